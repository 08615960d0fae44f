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

#include "llvm/ADT/StringRef.h"

#include <optional>

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

} // namespace connectorc::ir

#endif
