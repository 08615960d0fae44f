//===- GitIgnore.h - keeping .connector/ out of git ------------*- C++ -*-===//
//
// Everything connectorc makes inside a project (run directories, worktrees,
// their scratchpads and state) goes under a `.connector/` directory, whose
// first file is a `.gitignore` of `*`: git then sees nothing there, the
// `.gitignore` itself included, in any repository, whatever its own ignore
// files say (docs/run.md). One text for every executor: the runtime
// (runtime/support/Files.cpp) and the sh and make backends (backends/ShellRunner.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_GITIGNORE_H
#define CONNECTORC_IR_GITIGNORE_H

namespace connectorc::ir {

/// The name of the directory connectorc keeps its files in, in a project.
inline constexpr const char *ConnectorDirName = ".connector";

/// The `.connector/.gitignore` connectorc writes when there is none.
inline constexpr const char *ConnectorGitIgnore =
    "# Written by connectorc: git ignores everything here (docs/run.md).\n"
    "*\n";

/// The same on another machine, as a POSIX sh script run as
/// `sh -c SCRIPT sh PATH TEXT` (TEXT: ConnectorGitIgnore): the innermost
/// `.connector` directory PATH is in, or is, gets a `.gitignore` of TEXT
/// unless it has one; written beside and linked in (ln never replaces a
/// file), or moved in where hard links do not work.
inline constexpr const char *HideFromGitScript = R"sh(
case /$1/ in */.connector/*) ;; *) exit 0 ;; esac
d=/$1/
d=${d%/.connector/*}/.connector
d=${d#/}
[ ! -e "$d/.gitignore" ] || exit 0
mkdir -p "$d" && t=$(mktemp "$d/.gitignore.XXXXXX") || exit 1
if ! printf '%s' "$2" >"$t"; then rm -f "$t"; exit 1; fi
if ln "$t" "$d/.gitignore" 2>/dev/null || [ -e "$d/.gitignore" ]; then
  rm -f "$t"; exit 0
fi
mv -f "$t" "$d/.gitignore")sh";

} // namespace connectorc::ir

#endif
