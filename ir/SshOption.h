//===- SshOption.h - a machine's `options` entries as ssh sees them -*- C++
//-*-===//
//
// A machine entry's "options" are ssh_config lines ("Key=Value" or
// "Key Value") passed with `-o`. The checker warns about the ones that turn
// off host key verification; the runtime refuses the ones ssh could read as
// something other than one option.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_SSHOPTION_H
#define CONNECTORC_IR_SSHOPTION_H

#include "ir/Module.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace connectorc::ir {

/// One ssh_config option: a keyword (letters and digits) and its value.
struct SshOption {
  llvm::StringRef Key;
  llvm::StringRef Value;
};

/// \p Line split as ssh splits an `-o` argument ("Key=Value", "Key Value",
/// blanks around '=' allowed); std::nullopt unless the key is a plain
/// keyword, so a line starting with '-' or holding a newline is never one.
std::optional<SshOption> parseSshOption(llvm::StringRef Line);

/// Whether \p Line stops ssh from verifying the host's key:
/// StrictHostKeyChecking no/off or UserKnownHostsFile /dev/null.
bool disablesHostKeyChecking(llvm::StringRef Line);

/// The arguments of ssh (after the program) that reach \p M, up to and
/// including its host: `-F`, `-i`, `-p`, `-l`, then \p Settings (the
/// caller's own `-o` options: first, so that ssh, which keeps an option's
/// first value, lets no option of the spec override them), then each of
/// \p M's options as `-o`, then the host. An error when the host is empty,
/// starts with '-' or holds a blank (ssh would read it as something else),
/// or an option is not one ssh_config line (parseSshOption). The runtime
/// (runtime::sshArgv) and the sh backend's script both reach a machine with
/// these arguments.
llvm::Expected<std::vector<std::string>>
sshMachineArgs(const Machine &M, llvm::ArrayRef<std::string> Settings = {});

} // namespace connectorc::ir

#endif
