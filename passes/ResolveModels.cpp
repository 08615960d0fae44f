//===- ResolveModels.cpp - the resolve-models pass ------------------------===//
//
// Every model of every module's table (aliases already resolved transitively
// by the checker) becomes a binding through the provider registry: the
// executable and argv, how the prompt is passed, failure patterns, price and
// tier, with an object reference's overrides applied. Each task's primary
// candidate is its model's binding; "auto" is left for cost-route.
// With --simulate the command becomes the offline sim agent's while the
// binding keeps naming the real provider, its prices and its failure rules
// (followed by the sim's own).
//
//===----------------------------------------------------------------------===//
#include "passes/PassManager.h"

#include "llvm/ADT/STLExtras.h"

using namespace connectorc;

/// Makes argv agree with \p Via: with Arg, "{prompt}" stays where the
/// registry put it (after its flag) or goes last; otherwise it goes.
static void placePrompt(ir::ModelBinding &B) {
  if (B.Via != ir::PromptVia::Arg)
    llvm::erase_value(B.Argv, "{prompt}");
  else if (!llvm::is_contained(B.Argv, "{prompt}"))
    B.Argv.push_back("{prompt}");
}

static bool sameCommand(const ir::ModelBinding &A, const ir::ModelBinding &B) {
  return A.Argv == B.Argv && A.Via == B.Via && A.Cost == B.Cost &&
         A.ModelTier == B.ModelTier && A.Env == B.Env &&
         A.ReadyPattern == B.ReadyPattern && A.Simulated == B.Simulated &&
         A.InteractiveActive == B.InteractiveActive &&
         A.Interactive == B.Interactive;
}

/// The binding of one model table entry, or std::nullopt after reporting.
static std::optional<ir::ModelBinding> bindModel(Compilation &C,
                                                 const ir::Model &Mo) {
  ir::ModelBinding B;
  if (Mo.Ref.Provider == "custom") {
    B.Provider = "custom";
    B.Model = Mo.Ref.Model;
    B.Id = "custom/" + (Mo.Ref.Model.empty() ? Mo.Name : Mo.Ref.Model);
  } else {
    const Provider *P = C.Registry.find(Mo.Ref.Provider);
    if (!P) {
      // The checker accepts exactly the registry's providers (built-in and
      // user-added), so this is a compiler bug.
      C.Diags.report(DiagKind::VerifyFailed, Mo.Loc, "the checker",
                     fmt::format("provider '{}' has no registry entry",
                                 Mo.Ref.Provider));
      return std::nullopt;
    }
    B = C.Registry.bind(*P, Mo.Ref.Model);
  }
  bool Overridden = false;
  if (!Mo.Command.empty()) {
    B.Argv = Mo.Command;
    B.Via = ir::PromptVia::Arg; // a custom command takes the prompt last
    Overridden = true;
  }
  if (!Mo.Args.empty()) {
    auto At = llvm::find(B.Argv, "{prompt}");
    B.Argv.insert(At, Mo.Args.begin(), Mo.Args.end());
    Overridden = true;
  }
  if (Mo.Via) {
    B.Via = *Mo.Via;
    Overridden = true;
  }
  placePrompt(B);
  if (Mo.Cost) {
    B.Cost = *Mo.Cost;
    B.Priced = true;
    Overridden = true;
  }
  if (Mo.ModelTier) {
    B.ModelTier = *Mo.ModelTier;
    Overridden = true;
  }
  if (!Mo.ReadyPattern.empty()) {
    B.ReadyPattern = Mo.ReadyPattern;
    Overridden = true;
  }
  if (!Mo.Env.empty()) {
    B.Env = Mo.Env;
    Overridden = true;
  }
  if (Overridden && B.Provider != "custom")
    B.Id = Mo.Name + ":" + B.Id; // not the registry's plain binding
  if (C.Opts.Simulate && B.Provider != "sim") {
    const Provider *Sim = C.Registry.find("sim");
    if (!Sim) { // built in, and a user file cannot remove it
      C.Diags.report(DiagKind::VerifyFailed, Mo.Loc, "resolve-models",
                     "the registry has no 'sim' provider for --simulate");
      return std::nullopt;
    }
    ir::ModelBinding S = C.Registry.bind(*Sim, ir::tierName(B.ModelTier));
    B.Argv = S.Argv;
    B.Via = S.Via;
    B.ReadyPattern = S.ReadyPattern;
    B.IdlePattern = S.IdlePattern;
    B.Interactive = S.Interactive;
    B.SessionArgs = S.SessionArgs;
    B.ResumeArgs = S.ResumeArgs;
    B.AnswerJsonField = S.AnswerJsonField; // the sim prints markdown
    B.AnswerJsonWhere = S.AnswerJsonWhere;
    B.Usage = S.Usage;
    B.SetEnv = S.SetEnv;
    // The real provider's rules first, so that the sim imitating it
    // (CONNECTOR_SIM_FAIL) is classified as the real CLI would be; then the
    // sim's own, for providers it does not imitate.
    B.Failures.insert(B.Failures.end(), S.Failures.begin(), S.Failures.end());
    B.EnvKeys.clear();
    B.Env.clear();
    auto Fail = C.Opts.SimulateFail.find(B.Provider);
    if (Fail != C.Opts.SimulateFail.end())
      B.Env.push_back({"CONNECTOR_SIM_FAIL", Fail->second});
    B.Simulated = true;
  }
  return B;
}

unsigned connectorc::internBinding(ir::Plan &P, ir::ModelBinding B) {
  std::string Base = B.Id;
  for (unsigned N = 2;; ++N) {
    auto It = llvm::find_if(P.Bindings, [&](const ir::ModelBinding &E) {
      return E.Id == B.Id;
    });
    if (It == P.Bindings.end())
      break;
    if (sameCommand(*It, B))
      return static_cast<unsigned>(It - P.Bindings.begin());
    B.Id = fmt::format("{}#{}", Base, N);
  }
  P.Bindings.push_back(std::move(B));
  return static_cast<unsigned>(P.Bindings.size() - 1);
}

bool connectorc::runResolveModels(Compilation &C) {
  C.ModelBindings.assign(C.Modules.size(), {});
  for (unsigned I = 0; I < C.Modules.size(); ++I)
    for (const ir::Model &Mo : C.Modules[I]->Models) {
      if (Mo.Ref.Provider == "auto")
        continue;
      if (std::optional<ir::ModelBinding> B = bindModel(C, Mo))
        C.ModelBindings[I][Mo.Name] = internBinding(C.Plan, std::move(*B));
    }
  if (C.failed())
    return false;
  for (unsigned T = 0; T < C.Plan.Tasks.size(); ++T) {
    ir::Task &Task = C.Plan.Tasks[T];
    const llvm::StringMap<unsigned> &Table = C.ModelBindings[C.TaskModule[T]];
    auto It = Table.find(Task.ModelName);
    Task.Candidates.clear();
    if (It != Table.end())
      Task.Candidates.push_back(It->second);
  }
  return true;
}
