//===- RemoteGitTest.cpp - packs to and from a "remote" repository -------===//
//
// The remote shell is {"/bin/sh", "-c"}: the same contract as ssh (one
// line for a shell), on this machine. Repositories are made with the git
// CLI, and the git CLI says what came across (`cat-file`, `fsck`, `show`).
//
//===----------------------------------------------------------------------===//
#include "runtime/remote/RemoteGit.h"

#include "ir/ShellQuote.h"
#include "runtime/workspace/Worktree.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
const std::vector<std::string> Sh = {"/bin/sh", "-c"};

/// git with an identity, for the commits a test makes itself.
const char *const Git = "git -c user.name=t -c user.email=t@t";

std::string q(llvm::StringRef S) { return shellQuote(S); }

class RemoteGitTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> Dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("remote-git", Dir));
    Root = Dir.str().str();
    Local = Root + "/local";
    sh("git init -q -b main " + q(Local));
    commit("README.md", "hello", "one");
    commit("src/a.txt", "a", "two");
    commit("src/b.txt", "b", "three");
    auto R = GitRepo::open(Local);
    ASSERT_TRUE(bool(R)) << llvm::toString(R.takeError());
    Repo = std::move(*R);
  }
  void TearDown() override { llvm::sys::fs::remove_directories(Root); }

  /// Runs \p Command locally; fails the test when it fails.
  std::string sh(const std::string &Command) {
    llvm::Expected<std::string> Out = runRemote(Sh, Command);
    EXPECT_TRUE(bool(Out)) << Command << ": "
                           << (Out ? "" : llvm::toString(Out.takeError()));
    return Out ? *Out : "";
  }
  /// Whether \p Command succeeds.
  bool ok(const std::string &Command) {
    llvm::Expected<std::string> Out = runRemote(Sh, Command);
    return Out ? true : (llvm::consumeError(Out.takeError()), false);
  }
  void commit(const std::string &Rel, const std::string &Text,
              const std::string &Message) {
    std::string File = q(Local + "/" + Rel);
    sh("mkdir -p \"$(dirname " + File + ")\" && printf %s " + q(Text) + " >" +
       File + " && " + Git + " -C " + q(Local) + " add -A && " + Git + " -C " +
       q(Local) + " commit -q -m " + q(Message));
  }
  std::string rev(const std::string &Dir, const std::string &Rev) {
    return llvm::StringRef(sh("git -C " + q(Dir) + " rev-parse " + q(Rev)))
        .trim()
        .str();
  }
  /// Objects in \p Dir, loose and packed.
  unsigned objects(const std::string &Dir) {
    std::string Out = sh("git -C " + q(Dir) + " count-objects -v");
    unsigned Total = 0;
    llvm::SmallVector<llvm::StringRef, 8> Lines;
    llvm::StringRef(Out).split(Lines, '\n');
    for (llvm::StringRef L : Lines) {
      unsigned N = 0;
      if ((L.consume_front("count: ") || L.consume_front("in-pack: ")) &&
          !L.getAsInteger(10, N))
        Total += N;
    }
    return Total;
  }
  void expectFsckClean(const std::string &Dir) {
    std::string Out = sh("git -C " + q(Dir) + " fsck --no-dangling 2>&1");
    EXPECT_EQ(Out.find("missing"), std::string::npos) << Out;
    EXPECT_EQ(Out.find("broken"), std::string::npos) << Out;
  }
  void expectPushed(const std::string &Remote, const std::string &Sha) {
    llvm::Error E = pushCommit(Repo->raw(), Sh, Remote, Sha, "run1");
    ASSERT_FALSE(bool(E)) << llvm::toString(std::move(E));
    EXPECT_EQ(sh("git -C " + q(Remote) + " cat-file -t " + Sha), "commit\n");
    EXPECT_EQ(rev(Remote, "refs/connector/base/run1"), Sha);
    expectFsckClean(Remote);
  }
  std::string Root, Local;
  std::unique_ptr<GitRepo> Repo;
};

TEST(RunRemoteTest, BinaryStdinComesBackUnchanged) {
  std::string Bytes;
  for (int Round = 0; Round < 300; ++Round)
    for (int B = 0; B < 256; ++B)
      Bytes.push_back(static_cast<char>(B));
  llvm::Expected<std::string> Out = runRemote(Sh, "cat", Bytes);
  ASSERT_TRUE(bool(Out)) << llvm::toString(Out.takeError());
  EXPECT_EQ(*Out, Bytes);
}

TEST(RunRemoteTest, FailureCarriesStatusAndLastLineOfStderr) {
  llvm::Expected<std::string> Out =
      runRemote(Sh, "echo out; echo first >&2; echo 'last words' >&2; exit 3");
  ASSERT_FALSE(bool(Out));
  llvm::Error E =
      llvm::handleErrors(Out.takeError(), [](const RemoteCommandError &R) {
        EXPECT_EQ(R.status(), 3);
        EXPECT_EQ(R.reason(), "last words");
        EXPECT_FALSE(R.unreachable());
      });
  EXPECT_FALSE(bool(E)) << "not a RemoteCommandError";
  llvm::consumeError(std::move(E));
  std::string Text = llvm::toString(runRemote(Sh, "exit 3").takeError());
  EXPECT_NE(Text.find("exit status 3"), std::string::npos) << Text;
}

TEST(RunRemoteTest, Status255IsHostUnreachable) {
  llvm::Expected<std::string> Out =
      runRemote(Sh, "echo 'ssh: connect to host x port 22: refused' >&2; "
                    "exit 255");
  ASSERT_FALSE(bool(Out));
  llvm::Error E = Out.takeError();
  std::string Text;
  E = llvm::handleErrors(std::move(E), [&](const RemoteCommandError &R) {
    EXPECT_TRUE(R.unreachable());
    EXPECT_EQ(R.convertToErrorCode(), std::errc::host_unreachable);
    Text = R.message();
  });
  EXPECT_FALSE(bool(E));
  llvm::consumeError(std::move(E));
  EXPECT_NE(Text.find("refused"), std::string::npos) << Text;
  EXPECT_EQ(llvm::errorToErrorCode(runRemote(Sh, "exit 255").takeError()),
            std::errc::host_unreachable);
  EXPECT_NE(llvm::errorToErrorCode(runRemote(Sh, "exit 254").takeError()),
            std::errc::host_unreachable);
}

TEST(RunRemoteTest, MissingProgramIsAnError) {
  llvm::Expected<std::string> Out =
      runRemote({"/nonexistent/ssh", "host", "--"}, "true");
  ASSERT_FALSE(bool(Out));
  llvm::consumeError(Out.takeError());
}

TEST_F(RemoteGitTest, PushIntoAnOlderCloneSendsOnlyWhatItLacks) {
  std::string Remote = Root + "/older";
  sh("git -C " + q(Local) + " branch old HEAD~2");
  sh("git clone -q --no-local --single-branch -b old " + q(Local) + " " +
     q(Remote));
  std::string Sha = rev(Local, "main");
  ASSERT_FALSE(ok("git -C " + q(Remote) + " cat-file -e " + Sha));
  unsigned Before = objects(Remote);
  expectPushed(Remote, Sha);
  // Two commits, each with a root tree, a src tree and one blob.
  EXPECT_EQ(objects(Remote), Before + 8);
  // Once there, a second push sends nothing.
  expectPushed(Remote, Sha);
  EXPECT_EQ(objects(Remote), Before + 8);
  EXPECT_EQ(sh("git -C " + q(Remote) + " log --format=%s " + Sha),
            "three\ntwo\none\n");
}

TEST_F(RemoteGitTest, PushIntoAnEmptyRepositorySendsEverything) {
  std::string Remote = Root + "/empty";
  sh("git init -q " + q(Remote));
  std::string Sha = rev(Local, "main");
  expectPushed(Remote, Sha);
  EXPECT_EQ(sh("git -C " + q(Remote) + " rev-list --count " + Sha), "3\n");
}

TEST_F(RemoteGitTest, PushIntoAShallowCloneKeepsItWhole) {
  // A side branch from the first commit, merged into main: the shallow
  // clone of main~1 lacks the first commit, which the side commit needs.
  std::string L = "git -C " + q(Local);
  sh(L + " checkout -q -b side main~2");
  commit("side.txt", "side", "side");
  sh(L + " checkout -q main && " + Git + " -C " + q(Local) +
     " merge -q --no-edit side");
  sh(L + " branch old main~1");
  std::string Remote = Root + "/shallow";
  sh("git clone -q --depth 1 -b old " + q("file://" + Local) + " " + q(Remote));
  expectPushed(Remote, rev(Local, "main"));
}

TEST_F(RemoteGitTest, AnUnreachableHostStaysUnreachable) {
  // Like ssh that cannot connect: the command never runs, the status is 255.
  const std::vector<std::string> Down = {"/bin/sh", "-c",
                                         "echo 'ssh: no route' >&2; exit 255"};
  std::string Sha = rev(Local, "main");
  llvm::Error E = pushCommit(Repo->raw(), Down, Root, Sha, "run1");
  ASSERT_TRUE(bool(E));
  std::string Text;
  E = llvm::handleErrors(std::move(E), [&](const RemoteCommandError &R) {
    EXPECT_EQ(R.convertToErrorCode(), std::errc::host_unreachable);
    Text = R.message();
  });
  EXPECT_FALSE(bool(E));
  llvm::consumeError(std::move(E));
  EXPECT_NE(Text.find("ssh: no route"), std::string::npos) << Text;
  EXPECT_EQ(
      llvm::errorToErrorCode(fetchRemoteWorktree(Repo->raw(), Down, Root,
                                                 Root + "/wt", Sha, "b", "m")
                                 .takeError()),
      std::errc::host_unreachable);
}

TEST_F(RemoteGitTest, PushRejectsBadArguments) {
  std::string Sha = rev(Local, "main");
  std::string Remote = Root + "/empty";
  sh("git init -q " + q(Remote));
  auto ExpectError = [](llvm::Error E) {
    EXPECT_TRUE(bool(E));
    llvm::consumeError(std::move(E));
  };
  ExpectError(pushCommit(Repo->raw(), Sh, Remote, "HEAD", "run1"));
  ExpectError(pushCommit(Repo->raw(), Sh, "relative/path", Sha, "run1"));
  ExpectError(pushCommit(Repo->raw(), Sh, Remote, Sha, "bad..ref"));
  ExpectError(pushCommit(Repo->raw(), Sh, Root + "/not-a-repo", Sha, "run1"));
}

/// A full clone of the local repository as the remote, with the worktree
/// Wt on branch wf/t1 at the local main's commit, Base.
class RemoteWorktreeTest : public RemoteGitTest {
protected:
  void SetUp() override {
    RemoteGitTest::SetUp();
    Remote = Root + "/remote";
    sh("git clone -q --no-local " + q(Local) + " " + q(Remote));
    Base = rev(Local, "main");
    Wt = Root + "/remote-wt";
    llvm::Error E = addRemoteWorktree(Sh, Remote, Wt, "wf/t1", Base);
    ASSERT_FALSE(bool(E)) << llvm::toString(std::move(E));
  }
  llvm::Expected<std::string> fetch(const std::string &Branch,
                                    const std::string &Message = "task t1") {
    return fetchRemoteWorktree(Repo->raw(), Sh, Remote, Wt, Base, Branch,
                               Message);
  }
  std::string Remote, Base, Wt;
};

TEST_F(RemoteWorktreeTest, RemoteWorkComesBackAsALocalBranch) {
  EXPECT_EQ(rev(Wt, "HEAD"), Base);
  EXPECT_EQ(rev(Wt, "wf/t1"), Base);
  // The agent commits once itself and leaves more uncommitted.
  sh("cd " + q(Wt) + " && printf 'hello again' >README.md && " + Git +
     " commit -q -am 'agent commit'");
  sh("cd " + q(Wt) +
     " && printf new >new.txt && rm src/a.txt && "
     "printf changed >src/b.txt");
  llvm::Expected<std::string> Head = fetch("connector/remote/t1");
  ASSERT_TRUE(bool(Head)) << llvm::toString(Head.takeError());
  EXPECT_EQ(*Head, rev(Wt, "HEAD"));
  EXPECT_EQ(rev(Local, "connector/remote/t1"), *Head);
  EXPECT_EQ(
      sh("git -C " + q(Local) + " log --format=%an:%s " + Base + ".." + *Head),
      "connectorc:task t1\nt:agent commit\n");
  std::string Stat =
      sh("git -C " + q(Local) + " show --stat --format= " + *Head);
  for (const char *File : {"new.txt", "src/a.txt", "src/b.txt"})
    EXPECT_NE(Stat.find(File), std::string::npos) << Stat;
  EXPECT_EQ(sh("git -C " + q(Local) + " show " + *Head + ":new.txt"), "new");
  EXPECT_EQ(sh("git -C " + q(Local) + " show " + *Head + ":README.md"),
            "hello again");
  expectFsckClean(Local);
  // Fetching again changes nothing; the branch only ever moves forward.
  llvm::Expected<std::string> Again = fetch("connector/remote/t1");
  ASSERT_TRUE(bool(Again)) << llvm::toString(Again.takeError());
  EXPECT_EQ(*Again, *Head);
}

TEST_F(RemoteWorktreeTest, NoChangeReturnsTheBase) {
  llvm::Expected<std::string> Head = fetch("remote/t1", "nothing");
  ASSERT_TRUE(bool(Head)) << llvm::toString(Head.takeError());
  EXPECT_EQ(*Head, Base);
  EXPECT_EQ(rev(Wt, "HEAD"), Base);
  EXPECT_EQ(rev(Local, "remote/t1"), Base);
}

TEST_F(RemoteWorktreeTest, LocalWorkOnTheBranchIsNeverLost) {
  sh("printf x >" + q(Wt + "/x.txt"));
  // A local commit on the target branch that the remote does not have.
  commit("local.txt", "mine", "local work");
  sh("git -C " + q(Local) + " branch remote/t1 main");
  std::string Mine = rev(Local, "remote/t1");
  llvm::Expected<std::string> Head = fetch("remote/t1");
  ASSERT_FALSE(bool(Head));
  std::string Text = llvm::toString(Head.takeError());
  EXPECT_NE(Text.find("would lose work"), std::string::npos) << Text;
  EXPECT_EQ(rev(Local, "remote/t1"), Mine);
  // The checked-out branch is not moved under its worktree either.
  sh("git -C " + q(Local) + " reset -q --hard " + Base);
  Head = fetch("main");
  ASSERT_FALSE(bool(Head));
  Text = llvm::toString(Head.takeError());
  EXPECT_NE(Text.find("checked out"), std::string::npos) << Text;
  EXPECT_EQ(rev(Local, "main"), Base);
}

TEST_F(RemoteWorktreeTest, AddingAgainResumesAndABranchElsewhereIsAnError) {
  sh("printf work >" + q(Wt + "/work.txt"));
  llvm::Error E = addRemoteWorktree(Sh, Remote, Wt, "wf/t1", Base);
  EXPECT_FALSE(bool(E)) << llvm::toString(std::move(E));
  EXPECT_EQ(sh("cat " + q(Wt + "/work.txt")), "work");
  E = addRemoteWorktree(Sh, Remote, Root + "/other-wt", "wf/t1", Base);
  ASSERT_TRUE(bool(E));
  std::string Text = llvm::toString(std::move(E));
  EXPECT_NE(Text.find("branch 'wf/t1' already exists"), std::string::npos)
      << Text;
  EXPECT_NE(Text.find("checked out at"), std::string::npos) << Text;
  EXPECT_FALSE(llvm::sys::fs::exists(Root + "/other-wt"));
}

TEST_F(RemoteWorktreeTest, RemoveKeepsTheBranch) {
  sh("printf dirty >" + q(Wt + "/dirty.txt"));
  llvm::Error E = removeRemoteWorktree(Sh, Remote, Wt);
  ASSERT_FALSE(bool(E)) << llvm::toString(std::move(E));
  EXPECT_FALSE(llvm::sys::fs::exists(Wt));
  EXPECT_EQ(rev(Remote, "refs/heads/wf/t1"), Base);
  EXPECT_EQ(sh("git -C " + q(Remote) +
               " worktree list --porcelain | grep -c '^worktree'"),
            "1\n");
  E = removeRemoteWorktree(Sh, Remote, Wt);
  EXPECT_FALSE(bool(E)) << llvm::toString(std::move(E));
}

/// Remote paths full of shell syntax: every step works, and nothing they
/// hold is ever run (the canaries stay unmade in the current directory).
class HostilePathTest : public RemoteGitTest {
protected:
  void SetUp() override {
    RemoteGitTest::SetUp();
    ASSERT_FALSE(llvm::sys::fs::current_path(OldCwd));
    ASSERT_FALSE(llvm::sys::fs::set_current_path(Root));
  }
  void TearDown() override {
    expectNoCanary(); // also after a step failed
    llvm::sys::fs::set_current_path(OldCwd);
    RemoteGitTest::TearDown();
  }
  void expectNoCanary() {
    for (const char *C : {"canary1", "canary2", "canary3", "canary4"})
      EXPECT_FALSE(llvm::sys::fs::exists(Root + "/" + C)) << C;
  }
  llvm::SmallString<128> OldCwd;
};

TEST_F(HostilePathTest, QuotingHoldsForEveryStep) {
  const std::string Hostile =
      " sp ace 'q' \"dq\" $(touch canary1) `touch canary2` ;touch canary3 "
      "&& touch canary4 \\ $HOME *";
  std::string Remote = Root + "/repo" + Hostile;
  std::string Wt = Root + "/wt" + Hostile;
  sh("git init -q " + q(Remote));
  std::string Base = rev(Local, "main");
  llvm::Error E = pushCommit(Repo->raw(), Sh, Remote, Base, "run1");
  ASSERT_FALSE(bool(E)) << llvm::toString(std::move(E));
  E = addRemoteWorktree(Sh, Remote, Wt, "wf/t1", Base);
  ASSERT_FALSE(bool(E)) << llvm::toString(std::move(E));
  E = addRemoteWorktree(Sh, Remote, Wt, "wf/t1", Base);
  ASSERT_FALSE(bool(E)) << llvm::toString(std::move(E));
  sh("printf x >" + q(Wt + "/x.txt"));
  llvm::Expected<std::string> Head =
      fetchRemoteWorktree(Repo->raw(), Sh, Remote, Wt, Base, "remote/t1",
                          "message $(touch canary1) 'q' \"`touch canary2`\"");
  ASSERT_TRUE(bool(Head)) << llvm::toString(Head.takeError());
  EXPECT_EQ(sh("git -C " + q(Local) + " log -1 --format=%s remote/t1"),
            "message $(touch canary1) 'q' \"`touch canary2`\"\n");
  E = removeRemoteWorktree(Sh, Remote, Wt);
  ASSERT_FALSE(bool(E)) << llvm::toString(std::move(E));
  EXPECT_FALSE(llvm::sys::fs::exists(Wt));
}
} // namespace
