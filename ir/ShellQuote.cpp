//===- ShellQuote.cpp - one POSIX shell word for any string ---------------===//
#include "ir/ShellQuote.h"

#include <cassert>

using namespace connectorc;

std::string connectorc::shellQuote(llvm::StringRef S) {
  assert(!S.contains('\0') && "a shell word cannot hold a NUL byte");
  std::string Out = "'";
  for (char C : S) {
    if (C == '\'')
      Out += "'\\''";
    else
      Out += C;
  }
  return Out + "'";
}
