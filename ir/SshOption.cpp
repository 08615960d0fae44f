//===- SshOption.cpp - a machine's `options` entries as ssh sees them -----===//
#include "ir/SshOption.h"

#include "llvm/ADT/StringExtras.h"

using namespace connectorc;
using namespace connectorc::ir;

std::optional<SshOption> ir::parseSshOption(llvm::StringRef Line) {
  if (Line.contains('\n') || Line.contains('\r') || Line.contains('\0'))
    return std::nullopt;
  size_t End = Line.find_first_of(" \t=");
  llvm::StringRef Key = Line.take_front(End);
  if (Key.empty() || !llvm::all_of(Key, llvm::isAlnum))
    return std::nullopt;
  llvm::StringRef Rest = Line.drop_front(Key.size()).ltrim(" \t");
  if (Rest.consume_front("="))
    Rest = Rest.ltrim(" \t");
  if (Rest.empty())
    return std::nullopt;
  return SshOption{Key, Rest};
}

bool ir::disablesHostKeyChecking(llvm::StringRef Line) {
  std::optional<SshOption> O = parseSshOption(Line);
  if (!O)
    return false;
  llvm::StringRef Value = O->Value.trim(" \t\"");
  if (O->Key.equals_insensitive("StrictHostKeyChecking"))
    return Value.equals_insensitive("no") || Value.equals_insensitive("off");
  if (O->Key.equals_insensitive("UserKnownHostsFile"))
    return Value == "/dev/null";
  return false;
}
