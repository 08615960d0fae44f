//===- RemoteGitScripts.h - the git commands run on another machine -*- C++ -*-===//
//
// A remote task's worktree is made, committed, packed and removed on its
// machine by these constant sh scripts, run as `sh -c SCRIPT connectorc
// ARG...` (so the remote login shell may be any shell; every ARG quoted with
// shellQuote). One copy for every executor: the runtime
// (runtime/remote/RemoteGit.cpp) runs them with libgit2 on its side, the sh and
// make backends (backends/ShellRunner.cpp) with the git CLI.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_REMOTEGITSCRIPTS_H
#define CONNECTORC_IR_REMOTEGITSCRIPTS_H

namespace connectorc::ir {

/// "$1" the remote repository, "$2" a commit, "$3" the ref that pins it.
/// Pins the commit when the remote has it ("present"); otherwise prints
/// whether the remote is shallow, then the objects its refs name.
inline constexpr const char *RemoteProbeScript = R"sh(
if git -C "$1" cat-file -e "$2^{commit}" 2>/dev/null; then
  git -C "$1" update-ref "$3" "$2" && echo present
else
  git -C "$1" rev-parse --is-shallow-repository &&
  git -C "$1" for-each-ref --format='%(objectname)'
fi)sh";

/// Stores the pack on stdin in "$1" and pins the commit "$2" it brought as
/// "$3".
inline constexpr const char *RemoteIndexPackScript = R"sh(
git -C "$1" index-pack --stdin --fix-thin >/dev/null &&
git -C "$1" update-ref "$3" "$2")sh";

/// Adds the worktree "$2" of "$1" on new branch "$3" at "$4"; when the
/// branch exists, succeeds only if "$2" is already a worktree of "$1" on it
/// (a resumed run), else exits 3 saying where the branch is.
inline constexpr const char *RemoteAddWorktreeScript = R"sh(
unset CDPATH # a relative cd must print nothing
real() { (cd "$1" 2>/dev/null && pwd -P); }
common() { (cd "$1" 2>/dev/null && cd "$(git rev-parse --git-common-dir)" && pwd -P); }
b="refs/heads/$3"
if ! git -C "$1" rev-parse -q --verify "$b" >/dev/null; then
  exec git -C "$1" worktree add -q -b "$3" "$2" "$4"
fi
top=$(git -C "$2" rev-parse --show-toplevel 2>/dev/null) && test -n "$top" &&
test "$(git -C "$2" symbolic-ref -q HEAD)" = "$b" &&
test "$(real "$top")" = "$(real "$2")" &&
test "$(common "$2")" = "$(common "$1")" && exit 0
at=$(git -C "$1" worktree list --porcelain | while IFS= read -r l; do
  case $l in "worktree "*) w=${l#worktree };; "branch $b") printf %s "$w";; esac
done)
echo "branch '$3' already exists in $1${at:+ (checked out at $at)}; it is not reset for a new worktree at $2" >&2
exit 3)sh";

/// Commits everything in worktree "$1" with message "$2" when anything
/// changed (as connectorc, no hooks, no signing), then prints HEAD.
inline constexpr const char *RemoteCommitScript = R"sh(
cd "$1" && git add -A || exit
if ! git diff --cached --quiet; then
  git -c user.name=connectorc -c user.email=connectorc@localhost \
    -c commit.gpgsign=false commit -q --no-verify -m "$2" || exit
fi
git rev-parse --verify HEAD)sh";

/// A pack of the objects the revisions on stdin name, from repository "$1".
inline constexpr const char *RemotePackObjectsScript =
    R"sh(git -C "$1" pack-objects --stdout --revs -q)sh";

/// Removes worktree "$2" of "$1" when it is there (its branch stays), then
/// prunes.
inline constexpr const char *RemoteRemoveWorktreeScript = R"sh(
if test -e "$2"; then git -C "$1" worktree remove --force "$2" || exit; fi
git -C "$1" worktree prune)sh";

} // namespace connectorc::ir

#endif
