//===- Classifier.h - what an agent session's end means ----------*- C++
//-*-===//
//
// Turns one attempt's exit status and output into an outcome: success, a
// provider failure (fail over to the next candidate) or a task failure
// (retry on the same model).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_CLASSIFIER_H
#define CONNECTORC_RUNTIME_CLASSIFIER_H

#include "ir/Plan.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace connectorc::runtime {

/// How one attempt ended.
enum class OutcomeKind {
  Success,
  Unavailable,
  RateLimited,
  Overloaded,
  Auth,
  Context,
  MissingExecutable,
  Empty,
  TaskFailure,
  Timeout,
  Interrupted
};

/// An attempt's classification.
struct Outcome {
  OutcomeKind Kind = OutcomeKind::Success;
  /// Reset time the CLI printed, seconds from now.
  std::optional<double> RetryAfterS;
  /// The line that matched, for the journal.
  std::string Detail;
};

/// ExitCode: exit status, or 128+signal when killed. ExecFailed: execve
/// failed with ENOENT/EACCES. OutputTail: last 64 KiB of the session's output
/// with terminal control sequences removed.
Outcome classifyAttempt(const ir::ModelBinding &B, int ExitCode,
                        bool ExecFailed, llvm::StringRef OutputTail,
                        bool AnswerEmpty);

/// Unavailable, RateLimited, Overloaded, Auth, Context, MissingExecutable,
/// Empty.
bool isProviderFailure(OutcomeKind K);

/// Auth, Context.
bool neverRetrySameModel(OutcomeKind K);

/// "success", "unavailable", "rate-limited", "overloaded", "auth", "context",
/// "missing-executable", "empty", "task-failure", "timeout", "interrupted".
llvm::StringRef outcomeName(OutcomeKind K);

} // namespace connectorc::runtime

#endif
