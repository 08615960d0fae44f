//===- SshOption.cpp - a machine's `options` entries as ssh sees them -----===//
#include "ir/SshOption.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Errc.h"

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

static llvm::Error badMachine(const ir::Machine &M, const llvm::Twine &Why) {
  return llvm::createStringError(llvm::errc::invalid_argument,
                                 "machine '" + M.Name + "': " + Why);
}

/// A host ssh takes for a host: not empty, not an option, one word.
static bool isPlainHost(llvm::StringRef Host) {
  return !Host.empty() && Host.front() != '-' &&
         llvm::none_of(Host, [](char C) {
           return llvm::isSpace(C) || static_cast<unsigned char>(C) < 0x20;
         });
}

llvm::Expected<std::vector<std::string>>
ir::sshMachineArgs(const Machine &M, llvm::ArrayRef<std::string> Settings) {
  if (!isPlainHost(M.Host))
    return badMachine(M, "host '" + M.Host +
                             "' is not a host name ssh can be given");
  std::vector<std::string> A;
  if (!M.SshConfig.empty())
    A.insert(A.end(), {"-F", M.SshConfig});
  if (!M.Identity.empty())
    A.insert(A.end(), {"-i", M.Identity});
  if (M.Port)
    A.insert(A.end(), {"-p", std::to_string(M.Port)});
  if (!M.User.empty())
    A.insert(A.end(), {"-l", M.User});
  A.insert(A.end(), Settings.begin(), Settings.end());
  for (const std::string &O : M.Options) {
    if (!parseSshOption(O))
      return badMachine(M,
                        "option '" + O + "' is not one 'Keyword=value' line");
    A.insert(A.end(), {"-o", O});
  }
  A.push_back(M.Host);
  return A;
}
