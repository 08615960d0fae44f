//===- Ssh.h - reaching a plan's machines with the system ssh ----*- C++
//-*-===//
//
// A machine is reached with OpenSSH's own client, by absolute path and an
// argv (never through a local shell), with the user's ssh configuration,
// agent and known_hosts, or the entry's own ssh_config (`-F`). Host keys are
// always verified: connectorc adds no option that weakens the check (the
// checker warns when a spec's options do). Connections to one host are
// shared (ControlMaster) through sockets in a private directory, so many
// sessions on one host make one handshake.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SSH_H
#define CONNECTORC_RUNTIME_SSH_H

#include "ir/Module.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <string>
#include <vector>

namespace connectorc::runtime {

/// The ssh client: Debian's, never looked up in PATH.
inline constexpr const char *SshProgram = "/usr/bin/ssh";

/// How connectorc connects, beyond what the machine entry says.
struct SshSettings {
  /// Private directory of the shared connections' sockets; empty: every
  /// ssh makes its own connection.
  std::string ControlDir;
  /// Seconds a shared connection outlives its last session.
  unsigned ControlPersistS = 60;
  /// Never ask for a password or passphrase (a check must not hang).
  bool BatchMode = false;
  unsigned ConnectTimeoutS = 0; ///< 0: ssh's default
};

/// The argv of ssh reaching \p M up to and including its host: `-F`, `-i`,
/// `-p`, `-l`, each option as `-o`, then \p S's. An error when \p M's host
/// is empty or starts with '-' (ssh would read it as an option), or one of
/// its options is not one ssh_config line (ir::parseSshOption).
llvm::Expected<std::vector<std::string>> sshArgv(const ir::Machine &M,
                                                 const SshSettings &S);

/// sshArgv followed by "--" and \p RemoteWords: the words of a command line
/// for the remote user's shell, which ssh joins with spaces; every word
/// that is not a constant must come from shellQuote.
llvm::Expected<std::vector<std::string>>
sshCommandArgv(const ir::Machine &M, const SshSettings &S,
               llvm::ArrayRef<std::string> RemoteWords);

/// The argv asking the shared connection to \p M (`ssh -O check`) whether
/// it is up.
llvm::Expected<std::vector<std::string>>
sshControlCheckArgv(const ir::Machine &M, const SshSettings &S);

/// The last non-blank line of \p Stderr, trimmed ("" when there is none):
/// ssh's (or a remote command's) reason for a failure, after any banner.
std::string lastNonBlankLine(llvm::StringRef Stderr);

/// How a program run by runCaptured ended.
struct Captured {
  /// Its exit status; negative when it could not be started, was killed by
  /// a signal or ran out of time (Message says which).
  int Status = -1;
  std::string Message;
  std::unique_ptr<llvm::MemoryBuffer> Out; ///< Its standard output.
  std::string Err;                         ///< Its standard error.
};

/// Runs \p Argv (no shell) with standard input from the file \p StdinPath
/// ("": /dev/null) and waits, at most \p TimeoutS seconds (0: no limit).
/// Its outputs go to temporary files, not pipes: a shared ssh connection's
/// master may keep them open after ssh exits. An error only when the files
/// cannot be made or read.
llvm::Expected<Captured> runCaptured(llvm::ArrayRef<std::string> Argv,
                                     llvm::StringRef StdinPath,
                                     unsigned TimeoutS = 0);

/// Where the control directory goes: $XDG_RUNTIME_DIR/connectorc-ssh
/// (\p XdgRuntimeDir) when that path is plain (no blanks, quotes or '%')
/// and short enough for a socket under it, else /tmp/connectorc-ssh-UID.
std::string pickControlDir(llvm::StringRef XdgRuntimeDir, unsigned Uid);

/// Whether a socket in \p Dir named by ssh's %C (40 hex digits, plus the
/// 17 characters of ssh's temporary name while it is made) fits in
/// sockaddr_un's sun_path.
bool controlDirFits(llvm::StringRef Dir);

/// Makes (or reuses) pickControlDir's directory for this user, mode 0700;
/// an error when it is a symbolic link, not ours, or open to others.
llvm::Expected<std::string> makeControlDir();

} // namespace connectorc::runtime

#endif
