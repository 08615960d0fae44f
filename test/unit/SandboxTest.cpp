//===- SandboxTest.cpp - bwrap's command line and its probe --------------===//
#include "runtime/sandbox/Sandbox.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <cstdlib>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
SandboxPaths paths(std::string WorkDir, bool WorkDirIsProject,
                   std::string ProjectRoot, std::string RunDir,
                   std::string Program) {
  SandboxPaths P;
  P.WorkDir = std::move(WorkDir);
  P.WorkDirIsProject = WorkDirIsProject;
  P.ProjectRoot = std::move(ProjectRoot);
  P.RunDir = std::move(RunDir);
  P.Program = std::move(Program);
  return P;
}

/// The index of \p Seq's first element in \p A, or -1.
long find(const std::vector<std::string> &A,
          std::initializer_list<const char *> Seq) {
  std::vector<std::string> S(Seq.begin(), Seq.end());
  auto It = std::search(A.begin(), A.end(), S.begin(), S.end());
  return It == A.end() ? -1 : It - A.begin();
}

TEST(Sandbox, ProjectIsWritableButItsGitAndConnectorAreNot) {
  llvm::SmallString<128> Root;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("sbx", Root));
  std::string R = Root.str().str();
  ASSERT_FALSE(llvm::sys::fs::create_directories(R + "/.git/hooks"));
  ASSERT_FALSE(llvm::sys::fs::create_directories(R + "/out"));
  ir::SandboxProfile Profile;
  Profile.Enabled = true;
  Profile.Write = {"out", "missing"};
  SandboxPaths P = paths(R, true, R, R + "/run", "/usr/bin/agent");
  std::vector<std::string> A = sandboxArgv("/usr/bin/bwrap", Profile, P);
  EXPECT_EQ(A.front(), "/usr/bin/bwrap");
  EXPECT_EQ(A.back(), "--");
  EXPECT_EQ(find(A, {"--ro-bind", "/", "/"}), 1);
  long Rw = find(A, {"--bind", R.c_str(), R.c_str()});
  long Git = find(A, {"--ro-bind", (R + "/.git").c_str(), (R + "/.git").c_str()});
  ASSERT_GE(Rw, 0);
  ASSERT_GE(Git, 0);
  EXPECT_LT(Rw, Git) << "a later mount covers an earlier one";
  EXPECT_EQ(find(A, {"--ro-bind", (R + "/.connector").c_str()}), -1)
      << "absent: nothing to bind";
  EXPECT_GE(find(A, {"--bind", (R + "/out").c_str(), (R + "/out").c_str()}), 0);
  EXPECT_EQ(find(A, {"--bind", (R + "/missing").c_str()}), -1);
  EXPECT_GE(find(A, {"--bind", (R + "/run/scratchpad").c_str()}), 0);
  for (const char *Flag : {"--unshare-net", "--unshare-pid", "--die-with-parent",
                           "--new-session", "--tmpfs"})
    EXPECT_TRUE(llvm::is_contained(A, Flag)) << Flag;
  Profile.Network = ir::SandboxNet::Full;
  EXPECT_FALSE(llvm::is_contained(sandboxArgv("/usr/bin/bwrap", Profile, P),
                                  "--unshare-net"));
  llvm::sys::fs::remove_directories(R);
}

TEST(Sandbox, AnotherMachinesPathsAreLeftToItsBwrap) {
  // Paths of another machine are never looked up here: a bind that depends
  // on one existing is a --bind-try / --ro-bind-try for the remote bwrap.
  ir::SandboxProfile Profile;
  Profile.Enabled = true;
  Profile.Write = {"out"};
  const std::string R = "/nonexistent/remote/project";
  SandboxPaths P = paths(R, true, R, R + "/.connector/remote/run", "agent");
  P.Remote = true;
  std::vector<std::string> A = sandboxArgv("/usr/bin/bwrap", Profile, P);
  EXPECT_GE(find(A, {"--bind", R.c_str(), R.c_str()}), 0);
  EXPECT_GE(find(A, {"--ro-bind-try", (R + "/.git").c_str(),
                     (R + "/.git").c_str()}),
            0);
  EXPECT_GE(find(A, {"--bind-try", (R + "/out").c_str(), (R + "/out").c_str()}),
            0);
  // Here, the same paths do not exist: those binds are left out.
  P.Remote = false;
  A = sandboxArgv("/usr/bin/bwrap", Profile, P);
  EXPECT_EQ(find(A, {"--ro-bind", (R + "/.git").c_str()}), -1);
  EXPECT_EQ(find(A, {"--bind", (R + "/out").c_str()}), -1);
  EXPECT_FALSE(llvm::is_contained(A, "--bind-try"));
}

TEST(Sandbox, WhatLivesInTmpStaysVisibleBehindThePrivateTmp) {
  ir::SandboxProfile Profile;
  SandboxPaths P = paths("/tmp/proj/.connector/worktrees/r/w", false,
                         "/tmp/proj", "/tmp/run", "/tmp/bin/agent");
  std::vector<std::string> A = sandboxArgv("/usr/bin/bwrap", Profile, P);
  long Tmp = find(A, {"--tmpfs", "/tmp"});
  ASSERT_GE(Tmp, 0);
  for (const char *Dir : {"/tmp/proj", "/tmp/run", "/tmp/bin"})
    EXPECT_GT(find(A, {"--ro-bind", Dir, Dir}), Tmp) << Dir;
  EXPECT_GT(find(A, {"--bind", P.WorkDir.c_str(), P.WorkDir.c_str()}), Tmp);
  // A worktree's project is not writable.
  EXPECT_EQ(find(A, {"--bind", "/tmp/proj", "/tmp/proj"}), -1);
}

TEST(Sandbox, AMailboxTaskMayWriteTheWholeMailRootAndOnlyIt) {
  ir::SandboxProfile Profile;
  Profile.Enabled = true;
  llvm::SmallString<128> Run;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("sbx-run", Run));
  std::string R = Run.str().str(), Mail = R + "/mail";
  ASSERT_FALSE(llvm::sys::fs::create_directories(Mail + "/api/new"));
  SandboxPaths P = paths("/tmp/w", false, "/tmp/proj", R, "/usr/bin/agent");
  // Sending writes to the other mailboxes' tmp/ and new/.
  P.Mailbox = true;
  std::vector<std::string> A = sandboxArgv("/usr/bin/bwrap", Profile, P);
  long Bind = find(A, {"--bind", Mail.c_str(), Mail.c_str()});
  EXPECT_GE(Bind, 0);
  EXPECT_GT(Bind, find(A, {"--ro-bind", R.c_str(), R.c_str()}))
      << "a later mount covers an earlier one";
  P.Mailbox = false;
  EXPECT_EQ(
      find(sandboxArgv("/usr/bin/bwrap", Profile, P), {"--bind", Mail.c_str()}),
      -1);
  llvm::sys::fs::remove_directories(R);
}

TEST(Sandbox, TheHomeIsPrivateButForTheProvidersStateAndGrants) {
  llvm::SmallString<128> Home;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("sbx-home", Home));
  std::string H = Home.str().str();
  for (const char *D : {"/.codex", "/proj/.connector/runs/r", "/.cache",
                        "/proj/.connector/worktrees/r/w", "/other"})
    ASSERT_FALSE(llvm::sys::fs::create_directories(H + D));
  ir::SandboxProfile Profile;
  Profile.Enabled = true;
  Profile.Write = {"~/.cache"};
  Profile.Read = {"~/missing"};
  SandboxPaths P = paths(H + "/proj/.connector/worktrees/r/w", false,
                         H + "/proj", H + "/proj/.connector/runs/r",
                         "/usr/bin/agent");
  P.Home = H;
  P.State = {"${CODEX_HOME:-~/.codex}", "~/.claude.json"};
  P.GetEnv = [](llvm::StringRef) -> std::optional<std::string> {
    return std::nullopt;
  };
  std::vector<std::string> A = sandboxArgv("/usr/bin/bwrap", Profile, P);
  long Private = find(A, {"--tmpfs", H.c_str()});
  ASSERT_GE(Private, 0);
  // The project (in the home) comes back read-only; connectorc's directory
  // is emptied but for this run's; the worktree is writable.
  long Proj = find(A, {"--ro-bind", (H + "/proj").c_str()});
  long Conn = find(A, {"--tmpfs", (H + "/proj/.connector").c_str()});
  long Run = find(A, {"--ro-bind", P.RunDir.c_str()});
  long Tree = find(A, {"--bind", P.WorkDir.c_str()});
  EXPECT_LT(Private, Proj);
  EXPECT_LT(Proj, Conn);
  EXPECT_LT(Conn, Run);
  EXPECT_LT(Run, Tree);
  EXPECT_GT(find(A, {"--bind", (H + "/.codex").c_str()}), Private);
  EXPECT_EQ(find(A, {"--bind", (H + "/.claude.json").c_str()}), -1)
      << "absent: nothing to bind";
  EXPECT_GT(find(A, {"--bind", (H + "/.cache").c_str()}), Private);
  EXPECT_EQ(find(A, {"--ro-bind", (H + "/missing").c_str()}), -1);
  EXPECT_EQ(find(A, {"--ro-bind", (H + "/other").c_str()}), -1);
  // $CODEX_HOME, when set, is the state.
  P.GetEnv = [&H](llvm::StringRef N) -> std::optional<std::string> {
    if (N == "CODEX_HOME")
      return H + "/other";
    return std::nullopt;
  };
  A = sandboxArgv("/usr/bin/bwrap", Profile, P);
  EXPECT_GE(find(A, {"--bind", (H + "/other").c_str()}), 0);
  EXPECT_EQ(find(A, {"--bind", (H + "/.codex").c_str()}), -1);
  llvm::sys::fs::remove_directories(H);
}

TEST(Sandbox, ANodeProgramBringsItsPackagesAndInterpreter) {
  llvm::SmallString<128> Root;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("sbx-prog", Root));
  std::string R = Root.str().str();
  std::string Pkg = R + "/lib/node_modules/@acme/cli";
  ASSERT_FALSE(llvm::sys::fs::create_directories(Pkg));
  ASSERT_FALSE(llvm::sys::fs::create_directories(R + "/bin"));
  ASSERT_FALSE(llvm::sys::fs::create_directories(R + "/node/bin"));
  auto Write = [](const std::string &Path, llvm::StringRef Text) {
    std::error_code EC;
    llvm::raw_fd_ostream OS(Path, EC);
    OS << Text;
    OS.close();
    llvm::sys::fs::setPermissions(Path, llvm::sys::fs::all_read |
                                            llvm::sys::fs::all_exe |
                                            llvm::sys::fs::owner_write);
  };
  Write(Pkg + "/cli.js", "#!/usr/bin/env node\n");
  Write(R + "/node/bin/node", "#!/bin/sh\n");
  ASSERT_FALSE(llvm::sys::fs::create_link(Pkg + "/cli.js", R + "/bin/acme"));
  llvm::Expected<ResolvedProgram> P =
      resolveProgram("acme", R + "/nowhere:" + R + "/bin:" + R + "/node/bin");
  ASSERT_TRUE(bool(P)) << llvm::toString(P.takeError());
  EXPECT_EQ(P->Path, Pkg + "/cli.js");
  ASSERT_EQ(P->Dirs.size(), 2u);
  EXPECT_EQ(P->Dirs[0], R + "/lib/node_modules");
  EXPECT_EQ(P->Dirs[1], R + "/node");
  llvm::Expected<ResolvedProgram> Missing = resolveProgram("acme", R);
  ASSERT_FALSE(bool(Missing));
  EXPECT_EQ(llvm::toString(Missing.takeError()),
            "the agent's program 'acme' is not an executable file in its PATH");
  llvm::sys::fs::remove_directories(R);
}

TEST(Sandbox, GrantsOfCredentialsAreNamed) {
  EXPECT_EQ(ir::sensitivePath("~/.ssh"), "your SSH keys (~/.ssh)");
  EXPECT_EQ(ir::sensitivePath("~/.aws/credentials"),
            "your AWS credentials (~/.aws)");
  EXPECT_EQ(ir::sensitivePath("~/.config"), "the GitHub CLI's token (~/.config/gh)");
  EXPECT_TRUE(ir::sensitivePath("~").has_value());
  EXPECT_TRUE(ir::sensitivePath("/").has_value());
  EXPECT_FALSE(ir::sensitivePath("~/.cache").has_value());
  EXPECT_FALSE(ir::sensitivePath("~/.sshx").has_value());
  EXPECT_FALSE(ir::sensitivePath("/opt/cache").has_value());
}

TEST(Sandbox, BwrapIsFoundInSystemDirectoriesAndProbed) {
  ::unsetenv("CONNECTOR_BWRAP");
  llvm::Expected<std::string> B = findBwrap();
  ASSERT_TRUE(bool(B)) << "scripts/setup.sh installs bubblewrap: "
                       << llvm::toString(B.takeError());
  EXPECT_TRUE(llvm::StringRef(*B).startswith("/"));
  EXPECT_FALSE(bool(probeBwrap(*B)));
  llvm::Error E = probeBwrap("/bin/false");
  ASSERT_TRUE(bool(E));
  EXPECT_NE(llvm::toString(std::move(E)).find("cannot make its namespaces"),
            std::string::npos);
}

/// CONNECTOR_BWRAP is taken only as an absolute path to an executable.
TEST(Sandbox, BwrapOverrideIsAbsoluteAndMustExist) {
  auto Find = [](const char *Value) {
    ::setenv("CONNECTOR_BWRAP", Value, 1);
    llvm::Expected<std::string> B = findBwrap();
    ::unsetenv("CONNECTOR_BWRAP");
    return B ? *B : "error: " + llvm::toString(B.takeError());
  };
  EXPECT_EQ(Find("/bin/true"), "/bin/true");
  EXPECT_EQ(Find("bwrap"),
            "error: CONNECTOR_BWRAP must be an absolute path, not 'bwrap'");
  EXPECT_EQ(Find("/nonexistent/bwrap"),
            "error: bubblewrap is not at /nonexistent/bwrap (CONNECTOR_BWRAP): "
            "no executable there");
  EXPECT_EQ(Find("/tmp"), "error: bubblewrap is not at /tmp "
                          "(CONNECTOR_BWRAP): no executable there");
}
} // namespace
