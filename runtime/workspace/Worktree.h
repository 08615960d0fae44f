//===- Worktree.h - git worktrees, commits and merges with libgit2 -*- C++ -*-===//
//
// Where a session works when its spec asks for a worktree: a linked worktree
// of the project's repository on a branch of its own, made, committed,
// merged and removed through libgit2 (never by running git). The git CLI
// sees exactly what it would have made itself; test/unit/WorktreeTest.cpp
// checks that with `git worktree list` and `git status`.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_WORKTREE_H
#define CONNECTORC_RUNTIME_WORKTREE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

struct git_repository;

namespace connectorc::runtime {

/// What merging a set of branches into one made.
struct MergeReport {
  /// Branches whose changes are now in the result branch.
  std::vector<std::string> Merged;
  /// A branch left out because it conflicts with what was merged before it,
  /// and the files in conflict. The branch itself is untouched.
  struct Conflict {
    std::string Branch;
    std::vector<std::string> Files;
  };
  std::vector<Conflict> Conflicts;
  /// The result branch's commit (hex), or "" when nothing was merged.
  std::string Head;
};

/// One repository, opened through libgit2.
class GitRepo {
public:
  /// Opens the repository that contains \p Dir (searching upwards, like
  /// git). A clear error when there is none.
  static llvm::Expected<std::unique_ptr<GitRepo>> open(llvm::StringRef Dir);
  ~GitRepo();
  GitRepo(const GitRepo &) = delete;
  GitRepo &operator=(const GitRepo &) = delete;

  /// The working directory of the main worktree (no trailing slash).
  const std::string &workdir() const { return Workdir; }

  /// The libgit2 repository, for the functions that take one
  /// (runtime/remote/RemoteGit.h). Owned by this object.
  git_repository *raw() const { return Repo; }

  /// The commit \p Rev names (a branch, tag, "HEAD", a hash), as hex.
  llvm::Expected<std::string> resolve(llvm::StringRef Rev);

  /// Makes branch \p Branch at \p Base and a linked worktree of it at
  /// \p Path (created; its parent directories too), registered under the
  /// administrative name \p AdminName (.git/worktrees/<AdminName>), which
  /// must be unique in the repository. An existing branch is an error that
  /// says so: work on it is never reset.
  llvm::Error addWorktree(llvm::StringRef AdminName, llvm::StringRef Path,
                          llvm::StringRef Branch, llvm::StringRef Base);

  /// Commits everything in the worktree at \p Path (new, changed and
  /// deleted files; ignored files stay out, as do the paths in \p Exclude,
  /// relative to the worktree) on its branch, by "connectorc". Returns the
  /// new commit's hex, or "" when there was nothing to commit.
  static llvm::Expected<std::string>
  commitWorktree(llvm::StringRef Path, llvm::StringRef Message,
                 llvm::ArrayRef<std::string> Exclude = {});

  /// Merges \p Branches, in order, into \p Result, which is created at
  /// \p Base when it does not exist. A branch that conflicts is skipped and
  /// reported; nothing is lost. A worktree with \p Result checked out is
  /// not updated (the branch is), so merge into a branch no one works on.
  llvm::Expected<MergeReport> mergeBranches(llvm::ArrayRef<std::string> Branches,
                                            llvm::StringRef Result,
                                            llvm::StringRef Base);

  /// True when branch \p Branch exists.
  bool hasBranch(llvm::StringRef Branch);

  /// The branch checked out in the worktree at \p Path ("" when detached).
  static llvm::Expected<std::string> currentBranch(llvm::StringRef Path);

  /// Removes the linked worktree \p AdminName and its directory. Its
  /// branch is kept.
  llvm::Error removeWorktree(llvm::StringRef AdminName);

private:
  explicit GitRepo(git_repository *R);
  git_repository *Repo;
  std::string Workdir;
};

/// Copies into \p Worktree the files under \p From that match one of
/// \p Globs (relative paths; `*`, `?`, `[...]` within one path component,
/// `**` across components) and that the worktree does not have: untracked
/// files such as `.env` that a fresh checkout lacks. `.git` and
/// `.connector` are never entered. Returns the copied paths, relative.
llvm::Expected<std::vector<std::string>>
copyUntracked(llvm::StringRef From, llvm::StringRef Worktree,
              llvm::ArrayRef<std::string> Globs);

} // namespace connectorc::runtime

#endif
