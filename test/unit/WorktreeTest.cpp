//===- WorktreeTest.cpp - libgit2 worktrees, checked with the git CLI ----===//
//
// Every test makes a repository with the git CLI, acts on it through
// runtime/workspace/Worktree.h (libgit2), and asks the git CLI what it sees.
//
//===----------------------------------------------------------------------===//
#include "runtime/workspace/Worktree.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include "gtest/gtest.h"

#include <fstream>

using namespace connectorc::runtime;

namespace {
class WorktreeTest : public ::testing::Test {
protected:
  void SetUp() override {
    llvm::SmallString<128> Dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("wt-test", Dir));
    Root = Dir.str().str();
    Repo = Root + "/repo";
    ASSERT_FALSE(llvm::sys::fs::create_directories(Repo));
    git({"init", "-q", "-b", "main"});
    write("README.md", "hello\n");
    write("src/a.txt", "a\n");
    write(".gitignore", ".env*\nbuild/\n");
    git({"add", "-A"});
    git({"commit", "-q", "-m", "initial"});
  }
  void TearDown() override { llvm::sys::fs::remove_directories(Root); }

  /// Runs git in \p Dir (the repository by default) and returns stdout;
  /// fails the test on a non-zero exit.
  std::string git(std::vector<std::string> Args, std::string Dir = "") {
    static const std::string Git =
        llvm::sys::findProgramByName("git").get();
    std::vector<llvm::StringRef> Argv = {Git, "-C", Dir.empty() ? Repo : Dir,
                                         "-c", "user.name=t", "-c",
                                         "user.email=t@t"};
    for (const std::string &A : Args)
      Argv.push_back(A);
    std::string Out = Root + "/git.out";
    llvm::sys::fs::remove(Out); // the redirection does not truncate
    llvm::Optional<llvm::StringRef> Redirects[] = {llvm::None,
                                                   llvm::StringRef(Out),
                                                   llvm::None};
    int RC = llvm::sys::ExecuteAndWait(Git, Argv, llvm::None, Redirects);
    EXPECT_EQ(RC, 0) << "git " << llvm::join(Args, " ");
    return read(Out);
  }
  void write(const std::string &Rel, const std::string &Text,
             std::string Dir = "") {
    std::string Path = (Dir.empty() ? Repo : Dir) + "/" + Rel;
    llvm::sys::fs::create_directories(llvm::sys::path::parent_path(Path));
    std::ofstream(Path, std::ios::binary) << Text;
  }
  static std::string read(const std::string &Path) {
    auto Buf = llvm::MemoryBuffer::getFile(Path);
    return Buf ? (*Buf)->getBuffer().str() : "<missing>";
  }
  std::unique_ptr<GitRepo> open() {
    auto R = GitRepo::open(Repo + "/src");
    EXPECT_TRUE(bool(R)) << (R ? "" : llvm::toString(R.takeError()));
    return R ? std::move(*R) : nullptr;
  }
  /// Adds worktree \p Name on connector/wf/<Name> and returns its path.
  std::string add(GitRepo &R, const std::string &Name,
                  const std::string &Base = "HEAD") {
    std::string Path = Repo + "/.connector/worktrees/run1/" + Name;
    llvm::Error E =
        R.addWorktree("run1-" + Name, Path, "connector/wf/" + Name, Base);
    EXPECT_FALSE(bool(E)) << llvm::toString(std::move(E));
    return Path;
  }

  std::string Root, Repo;
};

TEST_F(WorktreeTest, OpenFindsTheRepositoryUpwardsAndRefusesOutside) {
  auto R = open();
  ASSERT_TRUE(R);
  EXPECT_EQ(R->workdir(), Repo);
  auto None = GitRepo::open(Root);
  ASSERT_FALSE(bool(None));
  EXPECT_NE(llvm::toString(None.takeError()).find("not inside a git repository"),
            std::string::npos);
}

TEST_F(WorktreeTest, AddedWorktreeIsWhatGitWouldHaveMade) {
  auto R = open();
  ASSERT_TRUE(R);
  std::string Path = add(*R, "review-1");
  std::string List = git({"worktree", "list", "--porcelain"});
  EXPECT_NE(List.find("worktree " + Path + "\n"), std::string::npos) << List;
  EXPECT_NE(List.find("branch refs/heads/connector/wf/review-1\n"),
            std::string::npos)
      << List;
  EXPECT_EQ(git({"status", "--porcelain"}, Path), "");
  EXPECT_EQ(git({"rev-parse", "HEAD"}, Path), git({"rev-parse", "main"}));
  EXPECT_EQ(read(Path + "/src/a.txt"), "a\n");
  // The main worktree does not see the linked one as an untracked change
  // beyond .connector/ itself.
  EXPECT_EQ(git({"status", "--porcelain"}), "?? .connector/\n");
}

TEST_F(WorktreeTest, BaseIsHonouredAndAnExistingBranchIsNeverReset) {
  git({"branch", "old", "HEAD"});
  write("README.md", "changed\n");
  git({"commit", "-q", "-am", "second"});
  auto R = open();
  ASSERT_TRUE(R);
  std::string Path = add(*R, "w", "old");
  EXPECT_EQ(read(Path + "/README.md"), "hello\n");
  llvm::Error E = R->addWorktree("run2-w", Repo + "/.connector/worktrees/2/w",
                                 "connector/wf/w", "HEAD");
  ASSERT_TRUE(bool(E));
  EXPECT_NE(llvm::toString(std::move(E)).find("already exists"),
            std::string::npos);
  EXPECT_EQ(git({"rev-parse", "connector/wf/w"}), git({"rev-parse", "old"}));
  llvm::Error Bad = R->addWorktree("run3-x", Repo + "/x", "connector/wf/x",
                                   "no-such-ref");
  ASSERT_TRUE(bool(Bad));
  EXPECT_NE(llvm::toString(std::move(Bad)).find("no-such-ref"),
            std::string::npos);
}

TEST_F(WorktreeTest, CommitTakesNewChangedAndDeletedFilesButNotIgnoredOnes) {
  auto R = open();
  ASSERT_TRUE(R);
  std::string Path = add(*R, "w");
  auto Nothing = GitRepo::commitWorktree(Path, "no change");
  ASSERT_TRUE(bool(Nothing));
  EXPECT_EQ(*Nothing, "");
  write("new.txt", "new\n", Path);
  write("README.md", "edited\n", Path);
  llvm::sys::fs::remove(Path + "/src/a.txt");
  write(".env", "SECRET=1\n", Path);
  write("copied.cfg", "from the main tree\n", Path);
  auto Id = GitRepo::commitWorktree(Path, "connectorc: review/1", {"copied.cfg"});
  ASSERT_TRUE(bool(Id)) << llvm::toString(Id.takeError());
  EXPECT_EQ(*Id + "\n", git({"rev-parse", "connector/wf/w"}));
  EXPECT_EQ(git({"log", "-1", "--format=%an|%s", "connector/wf/w"}),
            "connectorc|connectorc: review/1\n");
  EXPECT_EQ(git({"show", "--name-status", "--format=", "connector/wf/w"}),
            "M\tREADME.md\nA\tnew.txt\nD\tsrc/a.txt\n");
  // The CLI agrees the worktree is clean, apart from what stayed out.
  EXPECT_EQ(git({"status", "--porcelain"}, Path), "?? copied.cfg\n");
  EXPECT_EQ(read(Repo + "/README.md"), "hello\n"); // main tree untouched
}

TEST_F(WorktreeTest, MergeCombinesBranchesAndLeavesAConflictOut) {
  auto R = open();
  ASSERT_TRUE(R);
  std::string A = add(*R, "a"), B = add(*R, "b"), C = add(*R, "c");
  write("a.txt", "from a\n", A);
  write("b.txt", "from b\n", B);
  write("README.md", "a says\n", A);
  write("README.md", "c says\n", C);
  for (const std::string &P : {A, B, C})
    ASSERT_TRUE(bool(GitRepo::commitWorktree(P, "work")));
  std::string Base = git({"rev-parse", "HEAD"});
  auto Report = R->mergeBranches({"connector/wf/a", "connector/wf/b",
                                  "connector/wf/c"},
                                 "connector/wf/result", "HEAD");
  ASSERT_TRUE(bool(Report)) << llvm::toString(Report.takeError());
  EXPECT_EQ(Report->Merged,
            (std::vector<std::string>{"connector/wf/a", "connector/wf/b"}));
  ASSERT_EQ(Report->Conflicts.size(), 1u);
  EXPECT_EQ(Report->Conflicts[0].Branch, "connector/wf/c");
  EXPECT_EQ(Report->Conflicts[0].Files,
            std::vector<std::string>{"README.md"});
  EXPECT_EQ(Report->Head + "\n", git({"rev-parse", "connector/wf/result"}));
  EXPECT_EQ(git({"show", "connector/wf/result:a.txt"}), "from a\n");
  EXPECT_EQ(git({"show", "connector/wf/result:b.txt"}), "from b\n");
  EXPECT_EQ(git({"show", "connector/wf/result:README.md"}), "a says\n");
  // Nothing lost: c's branch keeps its work, main did not move.
  EXPECT_EQ(git({"show", "connector/wf/c:README.md"}), "c says\n");
  EXPECT_EQ(git({"rev-parse", "HEAD"}), Base);
  // The result is an ordinary merge history for the CLI.
  EXPECT_EQ(git({"merge-base", "--is-ancestor", "connector/wf/b",
                 "connector/wf/result"}),
            "");
  // Merging again changes nothing.
  auto Again = R->mergeBranches({"connector/wf/a", "connector/wf/b"},
                                "connector/wf/result", "HEAD");
  ASSERT_TRUE(bool(Again));
  EXPECT_EQ(Again->Head, Report->Head);
}

TEST_F(WorktreeTest, RemoveDeletesTheWorktreeAndKeepsTheBranch) {
  auto R = open();
  ASSERT_TRUE(R);
  std::string Path = add(*R, "w");
  write("x.txt", "x\n", Path);
  ASSERT_TRUE(bool(GitRepo::commitWorktree(Path, "work")));
  ASSERT_FALSE(bool(R->removeWorktree("run1-w")));
  EXPECT_FALSE(llvm::sys::fs::exists(Path));
  EXPECT_EQ(git({"worktree", "list", "--porcelain"}).find(Path),
            std::string::npos);
  EXPECT_EQ(git({"show", "connector/wf/w:x.txt"}), "x\n");
}

TEST_F(WorktreeTest, CopyBringsUntrackedFilesTheCheckoutLacks) {
  write(".env", "KEY=1\n");
  write(".env.local", "KEY=2\n");
  write("config/local.json", "{}\n");
  write("README.md", "dirty main tree\n");
  auto R = open();
  ASSERT_TRUE(R);
  std::string Path = add(*R, "w");
  auto Copied = copyUntracked(Repo, Path,
                              {".env*", "config/*.json", "README.md"});
  ASSERT_TRUE(bool(Copied)) << llvm::toString(Copied.takeError());
  std::sort(Copied->begin(), Copied->end());
  EXPECT_EQ(*Copied, (std::vector<std::string>{".env", ".env.local",
                                               "config/local.json"}));
  EXPECT_EQ(read(Path + "/.env"), "KEY=1\n");
  EXPECT_EQ(read(Path + "/README.md"), "hello\n"); // tracked: not replaced
  auto Bad = copyUntracked(Repo, Path, {"[z-a"});
  EXPECT_FALSE(bool(Bad));
  llvm::consumeError(Bad.takeError());
}
} // namespace
