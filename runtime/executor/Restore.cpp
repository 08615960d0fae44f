//===- Restore.cpp - the executor's records from a journal ----------------===//
#include "runtime/executor/Executor.h"
#include "runtime/executor/Journal.h"

#include "llvm/Support/FileSystem.h"

using namespace connectorc;
using namespace connectorc::runtime;
namespace json = llvm::json;

std::optional<OutcomeKind> runtime::outcomeByName(llvm::StringRef Name) {
  for (int K = 0; K <= static_cast<int>(OutcomeKind::Interrupted); ++K)
    if (outcomeName(static_cast<OutcomeKind>(K)) == Name)
      return static_cast<OutcomeKind>(K);
  return std::nullopt;
}

AttemptRecord runtime::attemptFromEvent(const json::Object &E) {
  AttemptRecord A;
  A.Binding = eventString(E, "binding").str();
  A.Provider = eventString(E, "provider").str();
  A.Model = eventString(E, "model").str();
  A.Kind = outcomeByName(eventString(E, "outcome"))
               .value_or(OutcomeKind::TaskFailure);
  A.ExitCode = eventInteger(E, "exit_code");
  A.DurationS = eventNumber(E, "duration_s");
  A.Detail = eventString(E, "detail").str();
  A.Machine = eventString(E, "machine").str();
  auto Number = [](const json::Object &O,
                   llvm::StringRef K) -> std::optional<double> {
    if (llvm::Optional<double> V = O.getNumber(K))
      return *V;
    return std::nullopt;
  };
  if (const json::Object *U = E.getObject("usage")) {
    A.Usage.InputTokens = Number(*U, "input_tokens");
    A.Usage.OutputTokens = Number(*U, "output_tokens");
    A.Usage.CostUsd = Number(*U, "cost_usd");
  }
  A.ActualUsd = Number(E, "actual_usd");
  if (llvm::Optional<llvm::StringRef> S = E.getString("session_id"))
    A.Usage.SessionId = S->str();
  return A;
}

void Executor::restore(const std::vector<json::Object> &Events) {
  llvm::StringMap<unsigned> ById;
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    ById[P.Tasks[T].Id] = T;
  llvm::StringMap<std::vector<AttemptRecord>> Attempts;
  // The conversation of each task's last attempt, while it may go on: it
  // started and never ended (the run was killed), or it was interrupted.
  llvm::StringMap<std::string> Unfinished;
  for (const json::Object &E : Events) {
    llvm::Optional<llvm::StringRef> Kind = E.getString("event");
    llvm::Optional<llvm::StringRef> Id = E.getString("task");
    if (!Kind || !Id || !ById.count(*Id))
      continue;
    if (*Kind == "attempt-start") {
      Unfinished[*Id] = eventString(E, "conversation").str();
      continue;
    }
    if (*Kind == "attempt-end" && eventString(E, "outcome") != "interrupted")
      Unfinished.erase(*Id);
    if (*Kind == "attempt-end") {
      Attempts[*Id].push_back(attemptFromEvent(E));
      // What a killed run spent counts against the budget of its resume.
      addSpend(ById[*Id], Attempts[*Id].back());
      continue;
    }
    if (*Kind != "task-done")
      continue;
    unsigned T = ById[*Id];
    llvm::StringRef St = eventString(E, "status");
    bool Kept = St == "succeeded" || St == "skipped-until";
    // An answer lost after its record (a damaged disk) means run it again.
    if (!Kept ||
        (St == "succeeded" && !llvm::sys::fs::exists(path(P.Tasks[T].Output))))
      continue;
    setStatus(T,
              St == "succeeded" ? TaskStatus::Succeeded : TaskStatus::Skipped);
    Tasks[T].Attempts = std::move(Attempts[*Id]);
  }
  for (const auto &U : Unfinished) {
    unsigned T = ById[U.getKey()];
    if (Tasks[T].Status != TaskStatus::Succeeded &&
        Tasks[T].Status != TaskStatus::Skipped)
      Tasks[T].ResumeConversation = U.getValue();
  }
}
