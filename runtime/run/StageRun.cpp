//===- StageRun.cpp - the plan `connectorc run --stage` executes ----------===//
//
// One stage of a plan, run on its own in a run directory that already holds
// the answers of the stages it reads (the sh backend runs a mesh stage so).
// The executor is not told: it is given a plan with only the stage's tasks
// and those of the stages it reads, the latter as done.
//
//===----------------------------------------------------------------------===//
#include "runtime/run/Run.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"

using namespace connectorc;
using namespace connectorc::runtime;
namespace json = llvm::json;

namespace {
/// A bad --stage: the driver's usage error.
llvm::Error badStage(const llvm::Twine &Message) {
  return llvm::createStringError(
      std::make_error_code(std::errc::invalid_argument), Message);
}

std::optional<unsigned> stageNamed(const ir::Plan &P, llvm::StringRef Name) {
  for (unsigned S = 0; S < P.Stages.size(); ++S)
    if (P.Stages[S].Name == Name)
      return S;
  return std::nullopt;
}

llvm::Error noSuchStage(const ir::Plan &P, llvm::StringRef Name) {
  std::vector<std::string> Names;
  for (const ir::PlanStage &S : P.Stages)
    if (!S.Tasks.empty())
      Names.push_back("'" + S.Name + "'");
  return badStage("--stage: the plan has no stage '" + Name +
              "' with tasks (its stages: " + llvm::join(Names, ", ") + ")");
}

/// The answer files stage \p S reads from earlier stages that \p RunDir
/// lacks, in the order its tasks read them.
std::vector<std::string> missingInputs(const ir::Plan &P, unsigned S,
                                       llvm::StringRef RunDir) {
  std::vector<std::string> Missing;
  for (unsigned T : P.Stages[S].Tasks)
    for (const std::string &F : ir::inputFiles(P, T)) {
      bool Own = llvm::any_of(P.Stages[S].Tasks, [&](unsigned Mine) {
        return P.Tasks[Mine].Output == F;
      });
      if (!Own && !llvm::sys::fs::exists(RunDir + "/" + F) &&
          !llvm::is_contained(Missing, F))
        Missing.push_back(F);
    }
  return Missing;
}

/// The tasks of \p P that the sub-plan keeps: the stage's and those it reads
/// (ir::taskInputs: every task of the stages it waits for, through teams),
/// in plan order.
std::vector<unsigned> keptTasks(const ir::Plan &P, unsigned S) {
  std::vector<bool> Keep(P.Tasks.size(), false);
  for (unsigned T : P.Stages[S].Tasks) {
    Keep[T] = true;
    for (unsigned D : ir::taskInputs(P, T))
      Keep[D] = true;
  }
  std::vector<unsigned> Out;
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    if (Keep[T])
      Out.push_back(T);
  return Out;
}
} // namespace

llvm::Expected<StagePlan> runtime::selectStage(const ir::Plan &P,
                                               llvm::StringRef Name,
                                               llvm::StringRef RunDir) {
  std::optional<unsigned> S = stageNamed(P, Name);
  if (!S || P.Stages[*S].Tasks.empty())
    return noSuchStage(P, Name);
  std::vector<std::string> Missing = missingInputs(P, *S, RunDir);
  if (!Missing.empty())
    return badStage("--stage " + Name + ": the run directory '" + RunDir +
                "' lacks the answers the stage reads: " +
                llvm::join(Missing, ", ") + " (run the stages before it first)");
  std::vector<unsigned> Kept = keptTasks(P, *S);
  std::vector<int> NewIndex(P.Tasks.size(), -1);
  for (unsigned I = 0; I < Kept.size(); ++I)
    NewIndex[Kept[I]] = static_cast<int>(I);
  StagePlan Out;
  Out.Plan = P;
  Out.Plan.Tasks.clear();
  for (ir::PlanStage &Stage : Out.Plan.Stages)
    llvm::erase_if(Stage.Tasks, [&](unsigned &T) {
      T = static_cast<unsigned>(NewIndex[T]);
      return static_cast<int>(T) < 0;
    });
  for (unsigned T : Kept) {
    ir::Task Task = P.Tasks[T];
    llvm::erase_if(Task.Deps, [&](unsigned &D) {
      D = static_cast<unsigned>(NewIndex[D]);
      return static_cast<int>(D) < 0;
    });
    if (Task.Stage != *S) {
      // Done already: its answer (or, for a dialogue's turn after `until`,
      // its stage's record) is in the run directory.
      Task.Session = ir::TaskSession();
      bool Answered = llvm::sys::fs::exists(RunDir + "/" + Task.Output);
      Out.Given.push_back(json::Object{
          {"event", "task-done"},
          {"task", Task.Id},
          {"status", Answered ? "succeeded" : "skipped-until"}});
    }
    Out.Plan.Tasks.push_back(std::move(Task));
  }
  return Out;
}
