//===- RemoteGit.h - git objects to and from a machine over ssh -*- C++ -*-===//
//
// A remote task may work in a git worktree of the remote machine's own
// repository, at the local run's base commit; afterwards its branch comes
// back into the local repository, so the local merge includes remote work.
// The objects travel as packs streamed through the system ssh (the user's
// ssh configuration, agent and known_hosts), never through libgit2's own
// transport: libgit2 builds and reads the packs here, the git CLI does on
// the remote.
//
// A "remote shell" is a prefix argv to which one command line for the
// remote user's shell is appended as the last element: for ssh
// {"/usr/bin/ssh", ..., "host", "--"} (no -t: a terminal would mangle the
// packs' bytes), in tests {"/bin/sh", "-c"}; its first element is the
// program's path, not looked up in PATH. Every non-constant word of such a
// line comes from shellQuote (ir/ShellQuote.h); anything with shell control
// flow runs under `sh -c` with its values as positional parameters, so the
// remote login shell may be any shell.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_REMOTEGIT_H
#define CONNECTORC_RUNTIME_REMOTEGIT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

struct git_repository;

namespace connectorc::runtime {

/// A remote command that ran and failed (or could not run): its exit status
/// and the last non-blank line of its standard error. Its error code is
/// llvm::errc::host_unreachable when the status is 255 — what ssh exits
/// with when it cannot reach or log in to the host. A remote command that
/// itself exits 255 reads the same (ssh cannot tell them apart), whatever
/// the prefix, so the commands here never do.
class RemoteCommandError : public llvm::ErrorInfo<RemoteCommandError> {
public:
  static char ID;
  /// \p Status: the exit status, or -1 when the prefix's program could not
  /// be started or was killed by a signal.
  RemoteCommandError(std::string What, int Status, std::string Reason)
      : What(std::move(What)), Status(Status), Reason(std::move(Reason)) {}
  void log(llvm::raw_ostream &OS) const override;
  std::error_code convertToErrorCode() const override;
  /// True when the host could not be reached (exit status 255).
  bool unreachable() const { return Status == 255; }
  int status() const { return Status; }
  const std::string &reason() const { return Reason; }

private:
  std::string What;
  int Status;
  std::string Reason;
};

/// Runs \p Command (one line for the remote user's shell) through
/// \p Prefix, with \p Stdin (any bytes) as its standard input, and returns
/// its standard output. A RemoteCommandError when it exits non-zero.
llvm::Expected<std::string> runRemote(llvm::ArrayRef<std::string> Prefix,
                                      llvm::StringRef Command,
                                      llvm::StringRef Stdin = "");

/// Makes sure commit \p Sha (40 hex digits) of \p Local exists in the
/// repository at \p RemoteRepo (an absolute path on the remote), and pins it
/// there as refs/connector/base/<RunId> so no gc removes it during the run.
/// When the remote lacks it, a pack of \p Sha's history minus what the
/// remote's refs already reach (those \p Local knows too; all of it when the
/// remote is shallow) goes to `git index-pack --stdin`.
llvm::Error pushCommit(git_repository *Local,
                       llvm::ArrayRef<std::string> Prefix,
                       llvm::StringRef RemoteRepo, llvm::StringRef Sha,
                       llvm::StringRef RunId);

/// Makes the remote worktree \p Path (absolute) of \p RemoteRepo on a new
/// branch \p Branch at \p Sha. A worktree already at \p Path on \p Branch is
/// reused as it is (a resumed run); \p Branch existing otherwise is an error
/// that says where, and it is never reset.
llvm::Error addRemoteWorktree(llvm::ArrayRef<std::string> Prefix,
                              llvm::StringRef RemoteRepo, llvm::StringRef Path,
                              llvm::StringRef Branch, llvm::StringRef Sha);

/// Commits every change in the remote worktree \p Path (`git add -A`; by
/// "connectorc", with \p Message, only when something changed; no hooks, no
/// signing), brings the objects of its HEAD that \p BaseSha does not reach
/// into \p Local (a pack from the remote's `git pack-objects`, read with
/// git_odb_write_pack), and sets \p Local's branch \p LocalBranch to HEAD:
/// created, or moved only forward and only when no worktree has it checked
/// out — anything else is an error, and no local work is lost. Returns
/// HEAD's hex (\p BaseSha when nothing was ever committed there).
llvm::Expected<std::string>
fetchRemoteWorktree(git_repository *Local, llvm::ArrayRef<std::string> Prefix,
                    llvm::StringRef RemoteRepo, llvm::StringRef Path,
                    llvm::StringRef BaseSha, llvm::StringRef LocalBranch,
                    llvm::StringRef Message);

/// Removes the remote worktree \p Path of \p RemoteRepo (`git worktree
/// remove --force`; its branch stays) when it exists, then prunes the
/// worktrees whose directories are gone.
llvm::Error removeRemoteWorktree(llvm::ArrayRef<std::string> Prefix,
                                 llvm::StringRef RemoteRepo,
                                 llvm::StringRef Path);

} // namespace connectorc::runtime

#endif
