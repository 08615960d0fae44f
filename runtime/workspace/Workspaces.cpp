//===- Workspaces.cpp - the worktrees of a run ----------------------------===//
#include "runtime/workspace/Workspaces.h"

#include "runtime/support/Files.h"
#include "runtime/remote/RemoteGit.h"
#include "runtime/workspace/Worktree.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace json = llvm::json;
using llvm::StringRef;

namespace {
/// The repository directory a task's session names.
std::string repoDirOf(const ir::Plan &P, const ir::Task &T) {
  std::string Dir = P.ProjectRoot.empty() ? "." : P.ProjectRoot;
  if (!T.Session.Repo.empty())
    Dir += "/" + T.Session.Repo;
  return Dir;
}

/// The machine task \p T is placed on first, when it is another one.
std::string remoteMachineOf(const ir::Plan &P, const ir::Task &T) {
  if (T.Machines.empty())
    return "";
  const std::string &Name = T.Machines.front();
  bool Known = llvm::any_of(
      P.Machines, [&](const ir::Machine &M) { return M.Name == Name; });
  return Known && Name != "local" && Name != "localhost" ? Name : "";
}

/// A name libgit2 accepts for .git/worktrees/<name>.
std::string adminName(StringRef RunId, StringRef Name) {
  std::string Out = (RunId + "-" + Name).str();
  for (char &C : Out)
    if (!llvm::isAlnum(C) && C != '.' && C != '_' && C != '-')
      C = '-';
  return Out;
}

/// Opens repositories once each.
class Repos {
public:
  llvm::Expected<GitRepo &> get(StringRef Dir) {
    std::unique_ptr<GitRepo> &R = Open[Dir];
    if (!R) {
      llvm::Expected<std::unique_ptr<GitRepo>> Opened = GitRepo::open(Dir);
      if (!Opened)
        return Opened.takeError();
      R = std::move(*Opened);
    }
    return *R;
  }

private:
  llvm::StringMap<std::unique_ptr<GitRepo>> Open;
};

/// Makes \p WS's worktree here at WS.Path from WS.Base, on the first of
/// \p Branch, Branch-2, … that does not exist (a branch from an earlier run
/// is never reset: this run's gets a suffix, and the summary says which it
/// is), with session.copy's files; the branch.
llvm::Expected<std::string> addHere(GitRepo &R, const ir::Task &T,
                                    Workspace &WS, StringRef Branch) {
  std::string Name = Branch.str();
  for (unsigned N = 2; R.hasBranch(Name); ++N)
    Name = fmt::format("{}-{}", Branch, N);
  llvm::Error E = hideFromGit(WS.Path);
  if (!E)
    E = R.addWorktree(WS.Admin, WS.Path, Name, WS.Base);
  if (E)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(), "task %s: worktree '%s': %s",
        T.Id.c_str(), WS.Name.c_str(), llvm::toString(std::move(E)).c_str());
  llvm::Expected<std::vector<std::string>> Copied =
      copyUntracked(WS.Repo, WS.Path, T.Session.Copy);
  if (!Copied)
    return Copied.takeError();
  WS.Copied = std::move(*Copied);
  return Name;
}

/// The event that says \p WS was made (\p Made) or found again here.
json::Object worktreeEvent(const Workspace &WS, StringRef Branch, bool Made) {
  json::Array Copied;
  for (const std::string &C : WS.Copied)
    Copied.push_back(C);
  return json::Object{{"event", Made ? "worktree-add" : "worktree-reuse"},
                      {"name", WS.Name},
                      {"branch", Branch.str()},
                      {"base", WS.Base},
                      {"path", WS.Path},
                      {"copied", std::move(Copied)}};
}
} // namespace

llvm::Expected<Workspaces> Workspaces::prepare(const ir::Plan &P,
                                               StringRef RunDir, bool Resume,
                                               const Note &Say) {
  Workspaces W;
  W.P = &P;
  W.RunId = llvm::sys::path::filename(RunDir).str();
  W.TaskDirs.assign(P.Tasks.size(), "");
  Repos Open;
  llvm::StringMap<unsigned> ByKey; // "<repo>\0<name>" -> index in All
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    const ir::TaskSession &S = P.Tasks[T].Session;
    if (S.Worktree.empty())
      continue;
    llvm::Expected<GitRepo &> R = Open.get(repoDirOf(P, P.Tasks[T]));
    if (!R)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(), "task %s: %s",
          P.Tasks[T].Id.c_str(), llvm::toString(R.takeError()).c_str());
    std::string Key = R->workdir() + '\0' + S.Worktree;
    auto [It, New] = ByKey.try_emplace(Key, W.All.size());
    if (!New) {
      W.All[It->second].Tasks.push_back(T);
      W.TaskDirs[T] = W.All[It->second].Path;
      continue;
    }
    Workspace WS;
    WS.Name = S.Worktree;
    WS.Repo = R->workdir();
    WS.Rel = ".connector/worktrees/" + W.RunId + "/" + S.Worktree;
    WS.Path = WS.Repo + "/" + WS.Rel;
    WS.Machine = remoteMachineOf(P, P.Tasks[T]);
    WS.Admin = adminName(W.RunId, S.Worktree);
    WS.Tasks.push_back(T);
    llvm::Expected<std::string> Base = R->resolve(S.Base.empty() ? "HEAD"
                                                                 : S.Base);
    if (!Base)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(), "task %s: session.base: %s",
          P.Tasks[T].Id.c_str(), llvm::toString(Base.takeError()).c_str());
    WS.Base = *Base;
    bool Made = false;
    if (!WS.Machine.empty()) {
      // Made there by the first task's remote-session; its branch is made
      // here when it comes back, so it must not exist here yet.
      WS.Branch = S.Branch;
      for (unsigned N = 2; R->hasBranch(WS.Branch); ++N)
        WS.Branch = fmt::format("{}-{}", S.Branch, N);
      // The run this one resumes fell back to this machine and made it here
      // too: its work is merged at the end even if no task falls back now.
      if (Resume && llvm::sys::fs::is_directory(WS.Path)) {
        llvm::Expected<std::string> Here = GitRepo::currentBranch(WS.Path);
        if (!Here)
          return Here.takeError();
        WS.HereBranch = *Here;
      }
    } else if (Resume && llvm::sys::fs::is_directory(WS.Path)) {
      llvm::Expected<std::string> Branch = GitRepo::currentBranch(WS.Path);
      if (!Branch)
        return Branch.takeError();
      WS.Branch = *Branch;
    } else {
      llvm::Expected<std::string> Branch =
          addHere(*R, P.Tasks[T], WS, S.Branch);
      if (!Branch)
        return Branch.takeError();
      WS.Branch = *Branch;
      Made = true;
    }
    json::Object E = worktreeEvent(WS, WS.Branch, Made);
    if (!WS.Machine.empty()) {
      E["event"] = "worktree-remote";
      E["machine"] = WS.Machine;
      E["path"] = WS.Rel;
    }
    Say(std::move(E));
    W.TaskDirs[T] = WS.Path;
    W.All.push_back(std::move(WS));
  }
  return W;
}

llvm::Error Workspaces::makeHere(unsigned T, const Note &Say) {
  auto It = llvm::find_if(All, [&](const Workspace &WS) {
    return !WS.Machine.empty() && llvm::is_contained(WS.Tasks, T);
  });
  if (It == All.end() || !It->HereBranch.empty())
    return llvm::Error::success();
  Workspace &WS = *It;
  bool Made = false;
  if (llvm::sys::fs::is_directory(WS.Path)) {
    // Made by the run this one resumes.
    llvm::Expected<std::string> Branch = GitRepo::currentBranch(WS.Path);
    if (!Branch)
      return Branch.takeError();
    WS.HereBranch = *Branch;
  } else {
    llvm::Expected<std::unique_ptr<GitRepo>> R = GitRepo::open(WS.Repo);
    if (!R)
      return R.takeError();
    llvm::Expected<std::string> Branch =
        addHere(**R, P->Tasks[T], WS, WS.Branch + "-local");
    if (!Branch)
      return Branch.takeError();
    WS.HereBranch = *Branch;
    Made = true;
  }
  json::Object E = worktreeEvent(WS, WS.HereBranch, Made);
  E["fallback_from"] = WS.Machine;
  Say(std::move(E));
  return llvm::Error::success();
}

std::vector<RemoteTree> Workspaces::remoteTrees() const {
  std::vector<RemoteTree> Out(TaskDirs.size());
  for (const Workspace &WS : All)
    if (!WS.Machine.empty())
      for (unsigned T : WS.Tasks)
        Out[T] = {WS.Machine, WS.Repo, WS.Branch, WS.Base, WS.Rel};
  return Out;
}

/// \p WS's machine, when it is up and one of its tasks reached it (so the
/// worktree was made there); null otherwise.
static const RemoteTarget *madeThere(const Executor &X, const Workspace &WS) {
  const RemoteTarget *M = X.machine(WS.Machine);
  bool Ran = M && M->Down.empty() && llvm::any_of(WS.Tasks, [&](unsigned T) {
               return llvm::any_of(X.attempts(T), [&](const AttemptRecord &A) {
                 return A.Machine == WS.Machine &&
                        A.Kind != OutcomeKind::Unreachable;
               });
             });
  return Ran ? M : nullptr;
}

/// Brings \p WS's work back from its machine: committed there, its objects
/// fetched, its branch made here. "" when nothing was done there.
static llvm::Expected<std::string> fetchBack(const Executor &X,
                                             const Workspace &WS,
                                             llvm::StringRef Message,
                                             GitRepo &Repo) {
  const RemoteTarget *M = madeThere(X, WS);
  if (!M)
    return "";
  llvm::Expected<std::string> Head =
      fetchRemoteWorktree(Repo.raw(), M->Prefix, M->Workdir,
                          M->Workdir + "/" + WS.Rel, WS.Base, WS.Branch,
                          Message);
  if (!Head)
    return Head.takeError();
  return *Head == WS.Base ? "" : *Head;
}

llvm::Expected<json::Value> Workspaces::finish(const Executor &X,
                                               bool Interrupted, bool Keep,
                                               const Note &Say) {
  std::string Result = "connector/" + P->Workflow + "/result";
  json::Array Trees;
  // Per repository, in plan order: the branches to merge and a base.
  llvm::StringMap<std::pair<std::vector<std::string>, std::string>> ToMerge;
  std::vector<std::string> RepoOrder;
  Repos Open;
  for (const Workspace &WS : All) {
    std::vector<std::string> Ids;
    bool AllSucceeded = true;
    for (unsigned T : WS.Tasks) {
      Ids.push_back(P->Tasks[T].Id);
      AllSucceeded &= X.status(T) == TaskStatus::Succeeded;
    }
    std::string Message = fmt::format("connectorc: {}: {}\n\nWork of task{} {} "
                                      "in worktree {}.\n",
                                      P->Workflow, llvm::join(Ids, ", "),
                                      Ids.size() == 1 ? "" : "s",
                                      llvm::join(Ids, ", "), WS.Name);
    llvm::Expected<GitRepo &> Local = Open.get(WS.Repo);
    if (!Local)
      return Local.takeError();
    // A worktree made on another machine has its work there and, when a
    // task fell back to this machine, here on HereBranch too.
    struct Part {
      const std::string &Branch;
      bool There;
    };
    llvm::SmallVector<Part, 2> Parts;
    Parts.push_back({WS.Branch, !WS.Machine.empty()});
    if (!WS.HereBranch.empty())
      Parts.push_back({WS.HereBranch, false});
    for (const Part &Pt : Parts) {
      llvm::Expected<std::string> Commit =
          Pt.There ? fetchBack(X, WS, Message, *Local)
                   : GitRepo::commitWorktree(WS.Path, Message, WS.Copied);
      if (!Commit)
        return Commit.takeError();
      // A remote worktree whose work never came back has no branch here.
      bool HasBranch = !Pt.There || Local->hasBranch(Pt.Branch);
      if (!HasBranch && !WS.HereBranch.empty())
        continue; // Its tasks all ran here.
      Say(json::Object{{"event", "worktree-commit"},
                       {"name", WS.Name},
                       {"branch", Pt.Branch},
                       {"commit", Commit->empty() ? json::Value(nullptr)
                                                  : json::Value(*Commit)}});
      json::Array Tasks;
      for (const std::string &Id : Ids)
        Tasks.push_back(Id);
      Trees.push_back(json::Object{
          {"name", WS.Name},
          {"branch", Pt.Branch},
          {"tasks", std::move(Tasks)},
          {"commit", Commit->empty() ? json::Value(nullptr)
                                     : json::Value(*Commit)},
          {"path", WS.Path},
          {"kept", Keep || Interrupted}});
      if (!Interrupted && AllSucceeded && HasBranch) {
        auto [It, New] = ToMerge.try_emplace(WS.Repo);
        if (New) {
          RepoOrder.push_back(WS.Repo);
          It->second.second = WS.Base;
        }
        It->second.first.push_back(Pt.Branch);
      }
    }
  }
  json::Array Merges;
  for (const std::string &Dir : RepoOrder) {
    llvm::Expected<GitRepo &> R = Open.get(Dir);
    if (!R)
      return R.takeError();
    auto &[Branches, Base] = ToMerge[Dir];
    llvm::Expected<MergeReport> M = R->mergeBranches(Branches, Result, Base);
    if (!M)
      return M.takeError();
    json::Array Merged, Conflicts;
    for (const std::string &B : M->Merged)
      Merged.push_back(B);
    for (const MergeReport::Conflict &C : M->Conflicts) {
      json::Array Files;
      for (const std::string &F : C.Files)
        Files.push_back(F);
      Conflicts.push_back(
          json::Object{{"branch", C.Branch}, {"files", std::move(Files)}});
    }
    json::Object E{{"repository", Dir},
                   {"into", Result},
                   {"head", M->Head.empty() ? json::Value(nullptr)
                                            : json::Value(M->Head)},
                   {"merged", std::move(Merged)},
                   {"conflicts", std::move(Conflicts)}};
    json::Object Event = E;
    Event["event"] = "merge";
    Say(std::move(Event));
    Merges.push_back(std::move(E));
  }
  if (!Keep && !Interrupted) {
    for (const Workspace &WS : All) {
      if (!WS.Machine.empty()) {
        if (const RemoteTarget *M = madeThere(X, WS))
          if (llvm::Error E = removeRemoteWorktree(M->Prefix, M->Workdir,
                                                   M->Workdir + "/" + WS.Rel))
            return E;
        if (WS.HereBranch.empty())
          continue;
      }
      llvm::Expected<GitRepo &> R = Open.get(WS.Repo);
      if (!R)
        return R.takeError();
      if (llvm::Error E = R->removeWorktree(WS.Admin))
        return E;
      // The run's directory of worktrees, once empty.
      llvm::sys::fs::remove(llvm::sys::path::parent_path(WS.Path));
    }
  }
  return json::Object{{"worktrees", std::move(Trees)},
                      {"merges", std::move(Merges)}};
}
