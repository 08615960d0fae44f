//===- AssignSessions.cpp - the assign-sessions pass ----------------------===//
//
// Gives each task's session its final names and paths: unique worktree names
// and their branches (connector/<workflow>/<worktree>), and checks every path
// the spec gives (cwd, repo, sandbox write paths, copy globs, worktree names,
// phase outputs) stays inside the project: an absolute path, a `..` that
// climbs out, or a symlink that leads out is an error, never silently fixed.
// An "interactive" task's candidates become the interactive bindings of
// their CLIs (the registry's "interactive").
//
//===----------------------------------------------------------------------===//
#include "ir/SandboxLayout.h"
#include "passes/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace connectorc;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

/// Why \p Rel leaves \p Root, or std::nullopt when it stays inside. With
/// \p OnDisk, existing symlinks along the way are followed.
static std::optional<std::string> escapes(llvm::StringRef Root,
                                          llvm::StringRef Rel, bool OnDisk) {
  // POSIX paths, read as path::is_absolute and path::begin read them, whose
  // parsing was 35 M of lint's instructions on the benchmark spec
  // (callgrind), every task's worktree name being checked.
  if (Rel.startswith("/") || Rel.startswith("~"))
    return std::string("is an absolute path");
  int Depth = 0;
  for (llvm::StringRef Rest = Rel; !Rest.empty();) {
    auto [Part, Tail] = Rest.split('/');
    Rest = Tail;
    if (Part.empty() || Part == ".")
      continue;
    Depth += Part == ".." ? -1 : 1;
    if (Depth < 0)
      return std::string("climbs out with '..'");
  }
  if (!OnDisk)
    return std::nullopt;
  llvm::SmallString<256> RealRoot;
  if (fs::real_path(Root, RealRoot))
    return std::nullopt;
  // Follow the longest existing prefix: a symlink in it may lead out.
  llvm::SmallString<256> Probe(Root);
  path::append(Probe, Rel);
  while (!fs::exists(Probe) && path::has_parent_path(Probe))
    Probe = path::parent_path(Probe).str();
  llvm::SmallString<256> Real;
  if (fs::real_path(Probe, Real))
    return std::nullopt;
  llvm::StringRef R(Real);
  if (R == RealRoot || (R.startswith(RealRoot) &&
                        path::is_separator(R[RealRoot.size()])))
    return std::nullopt;
  return "resolves through a symlink to '" + std::string(Real) + "'";
}

/// The range of entry \p I of a spec list.
static llvm::SMRange entryLoc(llvm::ArrayRef<llvm::SMRange> Locs, size_t I) {
  return I < Locs.size() ? Locs[I] : llvm::SMRange();
}

namespace {

class SessionAssigner {
public:
  explicit SessionAssigner(Compilation &C) : C(C), P(C.Plan) {}
  bool run();

private:
  void checkPath(llvm::StringRef What, llvm::StringRef Rel, llvm::SMRange Loc,
                 bool OnDisk = true) {
    if (Rel.empty())
      return;
    std::optional<std::string> Why =
        OnDisk ? onDisk(Rel) : escapes(P.ProjectRoot, Rel, /*OnDisk=*/false);
    if (!Why || !Reported.insert(key(Loc.Start.getPointer(), Rel)).second)
      return;
    C.Diags.report(DiagKind::PathEscapesProject, Loc, What, Rel, *Why,
                   P.ProjectRoot);
  }
  void checkEnvName(llvm::StringRef What, llvm::StringRef Name,
                    llvm::SMRange Loc) {
    bool Ok = !Name.empty() && !llvm::isDigit(Name.front()) &&
              llvm::all_of(Name, [](char C) {
                return llvm::isAlnum(C) || C == '_';
              });
    if (!Ok && Reported.insert(key(Loc.Start.getPointer(), Name)).second)
      C.Diags.report(DiagKind::BadEnvName, Loc, What, Name);
  }
  /// A sandbox "write" or "read" entry: "~/..." and absolute paths are the
  /// user's to grant (with a warning for the places that hold credentials),
  /// the others stay in the project.
  void checkGrant(llvm::StringRef Access, llvm::StringRef Path,
                  llvm::SMRange Loc) {
    if (!ir::isHomeOrAbsolute(Path)) {
      checkPath(("sandbox " + Access + " path").str(), Path, Loc);
      return;
    }
    if (std::optional<std::string> What = ir::sensitivePath(Path);
        What && Reported.insert(key(Loc.Start.getPointer(), Path)).second)
      C.Diags.report(DiagKind::SandboxSensitivePath, Loc, Access, Path, *What);
  }
  /// escapes(Root, Rel, OnDisk=true), asked of the file system once per
  /// value: tasks share their paths (every phase of the benchmark spec
  /// names "build"), and a check is several system calls.
  const std::optional<std::string> &onDisk(llvm::StringRef Rel) {
    auto [It, New] = DiskVerdicts.try_emplace(Rel);
    if (New)
      It->second = escapes(P.ProjectRoot, Rel, /*OnDisk=*/true);
    return It->second;
  }
  /// A (spec position, value) pair as one key: a std::set of pairs was
  /// 15 M of lint's instructions on the benchmark spec (callgrind).
  static llvm::SmallString<64> key(const char *At, llvm::StringRef Value) {
    llvm::SmallString<64> Key(llvm::StringRef(
        reinterpret_cast<const char *>(&At), sizeof At));
    Key += Value;
    return Key;
  }
  void nameWorktrees();
  void useInteractiveBindings();

  Compilation &C;
  ir::Plan &P;
  llvm::StringSet<> Reported;
  llvm::StringMap<std::optional<std::string>> DiskVerdicts;
};

} // namespace

void SessionAssigner::nameWorktrees() {
  struct Count {
    unsigned Total = 0, Seen = 0;
  };
  llvm::StringMap<Count> Uses(static_cast<unsigned>(P.Tasks.size()));
  for (const ir::Task &T : P.Tasks)
    if (!T.Session.Worktree.empty())
      ++Uses[T.Session.Worktree].Total;
  llvm::StringMap<bool> HasGit;
  for (unsigned I = 0; I < P.Tasks.size(); ++I) {
    ir::TaskSession &S = P.Tasks[I].Session;
    if (S.Worktree.empty())
      continue;
    const ir::Agent &A = *C.TaskAgent[I];
    std::string Name = S.Worktree;
    checkPath("worktree name", Name, A.Session.WorktreeLoc, /*OnDisk=*/false);
    Count &Of = Uses[Name];
    unsigned N = ++Of.Seen;
    unsigned Total = Of.Total;
    if (Total > 1 && N == 1)
      C.Diags.report(DiagKind::SharedWorktree, A.Session.WorktreeLoc, Name,
                     Total, Name, Name);
    if (N > 1) {
      // The next free "<name>-<n>": another task may be named so already.
      unsigned K = N;
      while (Uses.count(fmt::format("{}-{}", Name, K)))
        ++K;
      S.Worktree = fmt::format("{}-{}", Name, K);
      Uses[S.Worktree].Total = 1;
    }
    if (!C.Opts.LintOnly)
      S.Branch = fmt::format("connector/{}/{}", P.Workflow, S.Worktree);
    // A session.repo outside the project is reported by run(), once.
    if (!S.Repo.empty() && escapes(P.ProjectRoot, S.Repo, /*OnDisk=*/false))
      continue;
    // A worktree needs a repository: session.repo, else the project's.
    llvm::SmallString<256> Joined;
    llvm::StringRef Repo = P.ProjectRoot;
    if (!S.Repo.empty()) {
      Joined = P.ProjectRoot;
      path::append(Joined, S.Repo);
      Repo = Joined;
    }
    auto [It, New] = HasGit.try_emplace(Repo, false);
    if (New)
      It->second = ir::enclosingGitRepo(Repo).has_value();
    // Once per repository: every worktree of a spec outside git says the same.
    if (!It->second && Reported.insert(key(nullptr, Repo)).second)
      C.Diags.report(DiagKind::WorktreeOutsideGit, A.Session.WorktreeLoc,
                     Repo);
  }
}

/// The interactive form of \p B: the CLI's full-screen interface, the
/// prompt typed once it is ready.
static ir::ModelBinding interactiveBinding(const ir::ModelBinding &B) {
  ir::ModelBinding V = B;
  const ir::InteractiveMode &I = *B.Interactive;
  V.Id = B.Id + "+interactive";
  V.Argv = {B.Argv.front()};
  V.Argv.insert(V.Argv.end(), I.Args.begin(), I.Args.end());
  V.Via = ir::PromptVia::Type;
  V.ReadyPattern = I.ReadyPattern;
  V.IdlePattern.clear();
  // The answer comes from the CLI's transcript, not its one-shot output.
  V.AnswerJsonField.clear();
  V.AnswerJsonWhere.clear();
  V.Usage = {};
  V.SessionArgs.clear(); // the interactive args have their own
  V.ResumeArgs.clear();
  V.InteractiveActive = true;
  return V;
}

void SessionAssigner::useInteractiveBindings() {
  std::string Known;
  for (const std::string &Name : C.Registry.providerNames())
    if (const Provider *Pr = C.Registry.find(Name); Pr && Pr->Interactive)
      Known += (Known.empty() ? "" : ", ") + Name;
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    if (!P.Tasks[T].Interactive)
      continue;
    const ir::Agent &A = *C.TaskAgent[T];
    llvm::SMRange At = A.InteractiveLoc.isValid() ? A.InteractiveLoc : A.Loc;
    for (const std::string &M : P.Tasks[T].Machines)
      if (M != "local" && M != "localhost") {
        C.Diags.report(DiagKind::InteractiveRemote, At, P.Tasks[T].Id, M);
        break;
      }
    for (size_t K = 0; K < P.Tasks[T].Candidates.size(); ++K) {
      unsigned Index = P.Tasks[T].Candidates[K];
      if (Index == ir::AutoCandidate || P.Bindings[Index].InteractiveActive)
        continue;
      if (!P.Bindings[Index].Interactive) {
        const ir::ModelBinding &B = P.Bindings[Index];
        C.Diags.report(DiagKind::InteractiveUnsupported, At,
                       K == 0 ? "its" : "failover", B.Id, B.Provider,
                       Known.empty() ? "none" : Known);
        continue;
      }
      unsigned V = internBinding(P, interactiveBinding(P.Bindings[Index]));
      P.Tasks[T].Candidates[K] = V;
    }
  }
}

bool SessionAssigner::run() {
  nameWorktrees();
  useInteractiveBindings();
  // The spec's values, whether or not the task's session uses them (a copy
  // list without a worktree still names a path).
  for (unsigned I = 0; I < P.Tasks.size(); ++I) {
    const ir::SessionSpec &Spec = C.TaskAgent[I]->Session;
    checkPath("session.cwd", Spec.Cwd, Spec.CwdLoc);
    checkPath("session.repo", Spec.Repo, Spec.RepoLoc);
    for (size_t W = 0; W < Spec.Write.size(); ++W)
      checkGrant("write", Spec.Write[W], entryLoc(Spec.WriteLocs, W));
    for (size_t R = 0; R < Spec.Read.size(); ++R)
      checkGrant("read", Spec.Read[R], entryLoc(Spec.ReadLocs, R));
    for (const auto &[Name, Value] : Spec.Env)
      checkEnvName("session.env", Name, Spec.EnvLoc);
    for (const std::string &Name : Spec.EnvPass)
      checkEnvName("session.env_pass", Name, Spec.EnvPassLoc);
    for (size_t G = 0; G < Spec.Copy.size(); ++G)
      checkPath("session.copy pattern", Spec.Copy[G],
                entryLoc(Spec.CopyLocs, G), /*OnDisk=*/false);
  }
  // Phase outputs (a team's too) are written under the run directory.
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    checkPath("output", P.Stages[S].Output, C.StageSource[S]->OutputLoc,
              /*OnDisk=*/false);
  return !C.failed();
}

bool connectorc::runAssignSessions(Compilation &C) {
  return SessionAssigner(C).run();
}
