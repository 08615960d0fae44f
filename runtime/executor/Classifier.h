//===- Classifier.h - what an agent session's end means ----------*- C++
//-*-===//
//
// Turns one attempt's exit status and output into an outcome: success, a
// provider failure (fail over to the next candidate) or a task failure
// (retry on the same model). The rules, and the corpus of real CLI messages
// they are tested against, are described in docs/providers.md
// ("Failure classification").
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_CLASSIFIER_H
#define CONNECTORC_RUNTIME_CLASSIFIER_H

#include "ir/Plan.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
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
  /// The prompt could not be handed to the program (too long an argument).
  Undeliverable,
  Empty,
  TaskFailure,
  Timeout,
  Unreachable, ///< ssh could not reach the task's machine
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
/// "missing-executable", "empty", "task-failure", "timeout", "unreachable",
/// "interrupted".
llvm::StringRef outcomeName(OutcomeKind K);

/// The kind named \p Name (outcomeName's spelling), if any.
std::optional<OutcomeKind> parseOutcomeKind(llvm::StringRef Name);

/// classifyAttempt with the clock given: \p Now (Unix seconds) is the instant
/// a printed reset time ("resets 3pm") is measured from.
/// The patterns of \p B's failure rules marked `while_running`, in order:
/// what the session watches its output for (LaunchRequest::WatchPatterns).
std::vector<std::string> watchPatterns(const ir::ModelBinding &B);

/// The outcome of an attempt that watchPatterns(B)[\p Index] ended when it
/// matched \p Line.
Outcome classifyWatched(const ir::ModelBinding &B, int Index,
                        llvm::StringRef Line);

Outcome classifyAttemptAt(const ir::ModelBinding &B, int ExitCode,
                          bool ExecFailed, llvm::StringRef OutputTail,
                          bool AnswerEmpty, std::int64_t Now);

/// Seconds from \p Now (Unix seconds) until the reset or retry time that
/// \p Text states, if it states one: a delay ("try again in 20s",
/// "retry in 1m30s", "Retry-After: 30", "try again in 5 days 22 hours 11
/// minutes", "retryDelay": "31s", "resets_in_seconds": 60) or a clock time
/// ("resets 7:40pm (Asia/Shanghai)", "resets Jul 31, 2am (UTC)", "try again
/// at Jul 5th, 2026 8:19 PM"), read in the zone it names, else local time.
/// A CLI's own retry progress ("Retrying in 4 seconds…") is not a reset
/// time. When several are stated, the last one counts.
std::optional<double> parseRetryAfter(llvm::StringRef Text, std::int64_t Now);

} // namespace connectorc::runtime

#endif
