//===- Workspaces.h - the worktrees of a run --------------------*- C++ -*-===//
//
// Before a run starts, every worktree its plan asks for is made (or, on
// --resume, found again) with libgit2: one per distinct worktree name and
// repository, on branch connector/<workflow>/<name> from the session's base,
// under <repo>/.connector/worktrees/<run-id>/<name>, with session.copy's
// untracked files. After the run each worktree's changes are committed on
// its branch, the branches whose tasks all succeeded are merged into
// connector/<workflow>/result, and the worktrees are removed (their branches
// stay) unless the user keeps them. An interrupted run keeps its worktrees
// for --resume.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_WORKSPACES_H
#define CONNECTORC_RUNTIME_WORKSPACES_H

#include "ir/Plan.h"
#include "runtime/executor/Executor.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>

namespace connectorc::runtime {

/// One worktree of a run.
struct Workspace {
  std::string Name;   ///< the spec's worktree name
  std::string Branch; ///< the branch it is on (the plan's, or with a suffix)
  std::string Path;   ///< absolute
  std::string Admin;  ///< libgit2's administrative name
  std::string Repo;   ///< the repository's working directory
  std::string Base;
  std::vector<std::string> Copied; ///< session.copy's files, never committed
  std::vector<unsigned> Tasks;     ///< tasks that work in it
  /// Made on this machine (its tasks' first) by remote-session, not here;
  /// its branch comes back into Repo at the end.
  std::string Machine;
  std::string Rel; ///< relative to the repository's (or workdir's) root
  /// For a worktree made on another machine: made here as well, on this
  /// branch, because one of its tasks fell back to this machine
  /// (makeHere); its work is merged with whatever came back from there.
  std::string HereBranch;
};

class Workspaces {
public:
  using Note = std::function<void(llvm::json::Object Event)>;

  /// Makes (or on \p Resume finds) the worktrees of \p P for the run in
  /// \p RunDir. \p Say receives one "worktree" event per worktree made.
  static llvm::Expected<Workspaces> prepare(const ir::Plan &P,
                                            llvm::StringRef RunDir,
                                            bool Resume, const Note &Say);

  bool empty() const { return All.empty(); }
  /// Per task: the directory it works in, "" for the project's.
  const std::vector<std::string> &taskDirs() const { return TaskDirs; }
  /// Per task: its worktree when it is made on another machine.
  std::vector<RemoteTree> remoteTrees() const;
  /// Before task \p T, whose worktree is made on another machine, runs on
  /// this one (its machine could not be reached): makes that worktree here
  /// too (once; found again on --resume), on a branch of its own, with
  /// session.copy's files. \p Say receives its "worktree-add" event.
  llvm::Error makeHere(unsigned T, const Note &Say);

  /// After the run: commits every worktree; unless \p Interrupted, merges
  /// the branches whose tasks all succeeded into connector/<workflow>/result
  /// and removes the worktrees (unless \p Keep). Returns the summary's
  /// "worktrees" member; every step is also said as an event.
  llvm::Expected<llvm::json::Value> finish(const Executor &X, bool Interrupted,
                                           bool Keep, const Note &Say);

private:
  const ir::Plan *P = nullptr;
  std::string RunId;
  std::vector<Workspace> All;
  std::vector<std::string> TaskDirs;
};

} // namespace connectorc::runtime

#endif
