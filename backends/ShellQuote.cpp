//===- ShellQuote.cpp - quoting for POSIX sh and GNU Make recipes ---------===//
#include "backends/ShellQuote.h"

using namespace connectorc;

std::string connectorc::makeQuotePreamble() {
  // A define holding one empty line is a single newline.
  return std::string("define ") + MakeNewlineVar + "\n\n\nendef\nexport " +
         MakeNewlineVar + "\n";
}

std::string connectorc::makeQuote(llvm::StringRef S) {
  std::string Word;
  llvm::StringRef Rest = S;
  do {
    auto [Line, After] = Rest.split('\n');
    if (!Line.empty() || Word.empty())
      Word += shellQuote(Line);
    if (Line.size() < Rest.size()) // A newline follows.
      Word += std::string("\"${") + MakeNewlineVar + "}\"";
    Rest = Line.size() < Rest.size() ? After : llvm::StringRef();
  } while (!Rest.empty());
  std::string Out;
  for (char C : Word) {
    if (C == '$')
      Out += "$$";
    else
      Out += C;
  }
  return Out;
}
