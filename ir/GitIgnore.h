//===- GitIgnore.h - keeping .connector/ out of git ------------*- C++ -*-===//
//
// Everything connectorc makes inside a project (run directories, worktrees,
// their scratchpads and state) goes under a `.connector/` directory, whose
// first file is a `.gitignore` of `*`: git then sees nothing there, the
// `.gitignore` itself included, in any repository, whatever its own ignore
// files say (docs/run.md). One text for every executor: the runtime
// (runtime/Files.cpp) and the sh and make backends (backends/ShellRunner.cpp).
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

} // namespace connectorc::ir

#endif
