//===- Worktree.cpp - git worktrees, commits and merges with libgit2 ------===//
#include "runtime/workspace/Worktree.h"

#include "runtime/support/Files.h"
#include "runtime/workspace/Libgit2.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <cstdlib>

using namespace connectorc;
using namespace connectorc::runtime;
using namespace connectorc::runtime::git;
using llvm::StringRef;

namespace {
/// Opens the worktree (or any repository) at exactly \p Path.
llvm::Error openWorktree(StringRef Path, Repository &R) {
  initLibgit2();
  if (git_repository_open(R.out(), Path.str().c_str()) < 0)
    return gitError("cannot open worktree '" + Path + "'");
  return llvm::Error::success();
}

/// connectorc's signature, with the time of the commit.
llvm::Error signature(Signature &Out) {
  if (git_signature_now(Out.out(), "connectorc", "connectorc@localhost") < 0)
    return gitError("cannot make a commit signature");
  return llvm::Error::success();
}
} // namespace

GitRepo::GitRepo(git_repository *R) : Repo(R) {
  StringRef W = git_repository_workdir(R) ? git_repository_workdir(R) : "";
  Workdir = W.rtrim('/').str();
}

GitRepo::~GitRepo() { git_repository_free(Repo); }

llvm::Expected<std::unique_ptr<GitRepo>> GitRepo::open(StringRef Dir) {
  initLibgit2();
  git_repository *R = nullptr;
  // The search stops where git's would (ir::enclosingGitRepo does the same).
  if (git_repository_open_ext(&R, Dir.str().c_str(), 0,
                              std::getenv("GIT_CEILING_DIRECTORIES")) < 0)
    return llvm::createStringError(
        std::errc::no_such_file_or_directory,
        "'%s' is not inside a git repository (a worktree needs one)",
        Dir.str().c_str());
  if (git_repository_is_bare(R)) {
    git_repository_free(R);
    return llvm::createStringError(std::errc::invalid_argument,
                                   "'%s' is a bare repository: a worktree "
                                   "needs one with a working directory",
                                   Dir.str().c_str());
  }
  return std::unique_ptr<GitRepo>(new GitRepo(R));
}

llvm::Expected<std::string> GitRepo::resolve(StringRef Rev) {
  Commit C;
  if (llvm::Error E = lookupCommit(Repo, Rev, C))
    return E;
  return hex(*git_commit_id(C.get()));
}

llvm::Error GitRepo::addWorktree(StringRef AdminName, StringRef Path,
                                 StringRef Branch, StringRef Base) {
  Commit At;
  if (llvm::Error E = lookupCommit(Repo, Base, At))
    return E;
  Reference Ref;
  int RC = git_branch_create(Ref.out(), Repo, Branch.str().c_str(), At.get(),
                             /*force=*/0);
  if (RC == GIT_EEXISTS)
    return llvm::createStringError(
        std::errc::file_exists,
        "branch '%s' already exists (from an earlier run?); connectorc never "
        "resets a branch that may hold work: delete or rename it "
        "(git branch -m %s %s-old) and run again",
        Branch.str().c_str(), Branch.str().c_str(), Branch.str().c_str());
  if (RC < 0)
    return gitError("cannot create branch '" + Branch + "'");
  // libgit2 makes the last component itself; the parents must exist.
  if (llvm::Error E = createParentDirs(Path))
    return E;
  git_worktree_add_options Opts = GIT_WORKTREE_ADD_OPTIONS_INIT;
  Opts.ref = Ref.get();
  Worktree W;
  if (git_worktree_add(W.out(), Repo, AdminName.str().c_str(),
                       Path.str().c_str(), &Opts) < 0) {
    llvm::Error E = gitError("cannot add worktree '" + Path + "'");
    git_branch_delete(Ref.get()); // nothing was done on it
    return E;
  }
  return llvm::Error::success();
}

llvm::Expected<std::string>
GitRepo::commitWorktree(StringRef Path, StringRef Message,
                        llvm::ArrayRef<std::string> Exclude) {
  Repository R;
  if (llvm::Error E = openWorktree(Path, R))
    return E;
  Index Idx;
  if (git_repository_index(Idx.out(), R.get()) < 0)
    return gitError("cannot read the index of '" + Path + "'");
  if (git_index_add_all(Idx.get(), nullptr, GIT_INDEX_ADD_DEFAULT, nullptr,
                        nullptr) < 0 ||
      git_index_update_all(Idx.get(), nullptr, nullptr, nullptr) < 0)
    return gitError("cannot stage the changes in '" + Path + "'");
  for (const std::string &X : Exclude)
    git_index_remove_bypath(Idx.get(), X.c_str()); // absent is fine
  git_oid TreeId;
  if (git_index_write_tree(&TreeId, Idx.get()) < 0 ||
      git_index_write(Idx.get()) < 0)
    return gitError("cannot write the index of '" + Path + "'");
  Commit Head;
  if (llvm::Error E = lookupCommit(R.get(), "HEAD", Head))
    return E;
  if (git_oid_equal(&TreeId, git_commit_tree_id(Head.get())))
    return std::string();
  Tree T;
  if (git_tree_lookup(T.out(), R.get(), &TreeId) < 0)
    return gitError("cannot read the tree just written");
  Signature Sig;
  if (llvm::Error E = signature(Sig))
    return E;
  git_oid Id;
  const git_commit *Parents[] = {Head.get()};
  if (git_commit_create(&Id, R.get(), "HEAD", Sig.get(), Sig.get(), nullptr,
                        Message.str().c_str(), T.get(), 1, Parents) < 0)
    return gitError("cannot commit in '" + Path + "'");
  return hex(Id);
}

llvm::Expected<MergeReport>
GitRepo::mergeBranches(llvm::ArrayRef<std::string> Branches, StringRef Result,
                       StringRef Base) {
  MergeReport Report;
  std::string ResultRef = ("refs/heads/" + Result).str();
  Commit Ours;
  Reference Existing;
  if (git_reference_lookup(Existing.out(), Repo, ResultRef.c_str()) == 0) {
    if (llvm::Error E = lookupCommit(Repo, ResultRef, Ours))
      return E;
  } else if (llvm::Error E = lookupCommit(Repo, Base, Ours)) {
    return E;
  }
  Signature Sig;
  if (llvm::Error E = signature(Sig))
    return E;
  bool Moved = false;
  for (const std::string &Branch : Branches) {
    Commit Theirs;
    if (llvm::Error E = lookupCommit(Repo, "refs/heads/" + Branch, Theirs))
      return E;
    const git_oid *OurId = git_commit_id(Ours.get());
    const git_oid *TheirId = git_commit_id(Theirs.get());
    git_oid Next;
    if (git_oid_equal(OurId, TheirId) ||
        git_graph_descendant_of(Repo, OurId, TheirId) == 1) {
      Report.Merged.push_back(Branch); // already contained
      continue;
    }
    if (git_graph_descendant_of(Repo, TheirId, OurId) == 1) {
      git_oid_cpy(&Next, TheirId); // fast-forward
    } else {
      Index Merged;
      git_merge_options Opts = GIT_MERGE_OPTIONS_INIT;
      if (git_merge_commits(Merged.out(), Repo, Ours.get(), Theirs.get(),
                            &Opts) < 0)
        return gitError("cannot merge '" + Branch + "'");
      if (git_index_has_conflicts(Merged.get())) {
        MergeReport::Conflict C{Branch, {}};
        const git_index_entry *Anc, *Our, *Their;
        git_index_conflict_iterator *It = nullptr;
        if (git_index_conflict_iterator_new(&It, Merged.get()) == 0) {
          while (git_index_conflict_next(&Anc, &Our, &Their, It) == 0) {
            const git_index_entry *Any = Our ? Our : Their ? Their : Anc;
            C.Files.push_back(Any->path);
          }
          git_index_conflict_iterator_free(It);
        }
        Report.Conflicts.push_back(std::move(C));
        continue;
      }
      git_oid TreeId;
      if (git_index_write_tree_to(&TreeId, Merged.get(), Repo) < 0)
        return gitError("cannot write the merge of '" + Branch + "'");
      Tree T;
      if (git_tree_lookup(T.out(), Repo, &TreeId) < 0)
        return gitError("cannot read the merged tree");
      std::string Message = fmt::format("Merge branch '{}' into {}\n", Branch,
                                        Result.str());
      const git_commit *Parents[] = {Ours.get(), Theirs.get()};
      if (git_commit_create(&Next, Repo, nullptr, Sig.get(), Sig.get(),
                            nullptr, Message.c_str(), T.get(), 2,
                            Parents) < 0)
        return gitError("cannot commit the merge of '" + Branch + "'");
    }
    Commit NextCommit;
    if (git_commit_lookup(NextCommit.out(), Repo, &Next) < 0)
      return gitError("cannot read the merge commit");
    std::swap(Ours.Ptr, NextCommit.Ptr);
    Report.Merged.push_back(Branch);
    Moved = true;
  }
  if (!Moved && !Existing.get())
    return Report; // nothing to record: no result branch yet
  Reference Updated;
  std::string Log = fmt::format("connectorc: merge into {}", Result.str());
  if (git_reference_create(Updated.out(), Repo, ResultRef.c_str(),
                           git_commit_id(Ours.get()), /*force=*/1,
                           Log.c_str()) < 0)
    return gitError("cannot update branch '" + Result + "'");
  Report.Head = hex(*git_commit_id(Ours.get()));
  return Report;
}

bool GitRepo::hasBranch(StringRef Branch) {
  Reference Ref;
  return git_branch_lookup(Ref.out(), Repo, Branch.str().c_str(),
                           GIT_BRANCH_LOCAL) == 0;
}

llvm::Expected<std::string> GitRepo::currentBranch(StringRef Path) {
  Repository R;
  if (llvm::Error E = openWorktree(Path, R))
    return E;
  Reference Head;
  if (git_repository_head(Head.out(), R.get()) < 0)
    return gitError("cannot read HEAD of '" + Path + "'");
  if (!git_reference_is_branch(Head.get()))
    return std::string();
  return std::string(git_reference_shorthand(Head.get()));
}

llvm::Error GitRepo::removeWorktree(StringRef AdminName) {
  Worktree W;
  if (git_worktree_lookup(W.out(), Repo, AdminName.str().c_str()) < 0)
    return gitError("no worktree '" + AdminName + "'");
  git_worktree_prune_options Opts = GIT_WORKTREE_PRUNE_OPTIONS_INIT;
  Opts.flags = GIT_WORKTREE_PRUNE_VALID | GIT_WORKTREE_PRUNE_WORKING_TREE;
  if (git_worktree_prune(W.get(), &Opts) < 0)
    return gitError("cannot remove worktree '" + AdminName + "'");
  return llvm::Error::success();
}

llvm::Expected<std::vector<std::string>>
runtime::copyUntracked(StringRef From, StringRef Worktree,
                       llvm::ArrayRef<std::string> Globs) {
  std::vector<llvm::GlobPattern> Patterns;
  for (const std::string &G : Globs) {
    llvm::Expected<llvm::GlobPattern> P = llvm::GlobPattern::create(G);
    if (!P)
      return llvm::createStringError(
          std::errc::invalid_argument, "session.copy: bad pattern '%s': %s",
          G.c_str(), llvm::toString(P.takeError()).c_str());
    Patterns.push_back(std::move(*P));
  }
  std::vector<std::string> Copied;
  std::error_code EC;
  llvm::SmallString<256> Root(From);
  for (llvm::sys::fs::recursive_directory_iterator It(Root, EC, /*follow_symlinks=*/false),
       End;
       It != End && !EC; It.increment(EC)) {
    StringRef Full = It->path();
    StringRef Rel = Full.drop_front(Root.size()).ltrim('/');
    StringRef Name = llvm::sys::path::filename(Full);
    if (It->type() == llvm::sys::fs::file_type::directory_file) {
      if (Name == ".git" || Name == ".connector")
        It.no_push();
      continue;
    }
    if (It->type() != llvm::sys::fs::file_type::regular_file ||
        llvm::none_of(Patterns, [&](const llvm::GlobPattern &P) {
          return P.match(Rel);
        }))
      continue;
    std::string To = (Worktree + "/" + Rel).str();
    if (llvm::sys::fs::exists(To))
      continue;
    if (llvm::Error E = createParentDirs(To))
      return E;
    if (std::error_code CE = llvm::sys::fs::copy_file(Full, To))
      return llvm::createStringError(CE, "session.copy: cannot copy '%s': %s",
                                     Rel.str().c_str(), CE.message().c_str());
    Copied.push_back(Rel.str());
  }
  if (EC)
    return llvm::createStringError(EC, "session.copy: cannot read '%s': %s",
                                   From.str().c_str(), EC.message().c_str());
  return Copied;
}
