//===- Classifier.cpp - what an agent session's end means -----------------===//
//
// placeholder until the sim branch merges: the real classifier (fixture
// corpus, reset times, sim failure messages) lives on branch `sim`. This one
// only applies the binding's failure patterns and exit codes.
//
//===----------------------------------------------------------------------===//
#include "runtime/Classifier.h"

#include "llvm/Support/Regex.h"

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
std::optional<OutcomeKind> kindFromName(llvm::StringRef Name) {
  if (Name == "unavailable")
    return OutcomeKind::Unavailable;
  if (Name == "rate-limited")
    return OutcomeKind::RateLimited;
  if (Name == "overloaded")
    return OutcomeKind::Overloaded;
  if (Name == "auth")
    return OutcomeKind::Auth;
  if (Name == "context")
    return OutcomeKind::Context;
  return std::nullopt;
}

/// The line of \p Text that \p R matches first ("" when none).
std::optional<std::string> matchingLine(llvm::Regex &R, llvm::StringRef Text) {
  llvm::SmallVector<llvm::StringRef, 2> Groups;
  if (!R.match(Text, &Groups))
    return std::nullopt;
  size_t At = Groups[0].data() - Text.data();
  size_t Begin = Text.rfind('\n', At);
  Begin = Begin == llvm::StringRef::npos ? 0 : Begin + 1;
  size_t End = Text.find('\n', At);
  return Text.slice(Begin, End).trim().str();
}

std::optional<Outcome> matchFailure(const ir::FailurePattern &F, int ExitCode,
                                    llvm::StringRef Tail) {
  std::optional<OutcomeKind> K = kindFromName(F.Kind);
  if (!K)
    return std::nullopt;
  for (int Code : F.ExitCodes)
    if (Code == ExitCode)
      return Outcome{*K, std::nullopt, "exit status " + std::to_string(Code)};
  if (F.Pattern.empty())
    return std::nullopt;
  llvm::Regex R(F.Pattern, llvm::Regex::IgnoreCase);
  if (!R.isValid())
    return std::nullopt;
  if (std::optional<std::string> Line = matchingLine(R, Tail))
    return Outcome{*K, std::nullopt, *Line};
  return std::nullopt;
}
} // namespace

Outcome runtime::classifyAttempt(const ir::ModelBinding &B, int ExitCode,
                                 bool ExecFailed, llvm::StringRef OutputTail,
                                 bool AnswerEmpty) {
  if (ExecFailed)
    return {OutcomeKind::MissingExecutable, std::nullopt,
            "cannot execute " + (B.Argv.empty() ? "" : B.Argv.front())};
  if (ExitCode != 0)
    for (const ir::FailurePattern &F : B.Failures)
      if (std::optional<Outcome> O = matchFailure(F, ExitCode, OutputTail))
        return *O;
  if (ExitCode != 0)
    return {OutcomeKind::TaskFailure, std::nullopt,
            "exit status " + std::to_string(ExitCode)};
  if (AnswerEmpty)
    return {OutcomeKind::Empty, std::nullopt, "empty answer"};
  return {};
}

bool runtime::isProviderFailure(OutcomeKind K) {
  switch (K) {
  case OutcomeKind::Unavailable:
  case OutcomeKind::RateLimited:
  case OutcomeKind::Overloaded:
  case OutcomeKind::Auth:
  case OutcomeKind::Context:
  case OutcomeKind::MissingExecutable:
  case OutcomeKind::Empty:
    return true;
  case OutcomeKind::Success:
  case OutcomeKind::TaskFailure:
  case OutcomeKind::Timeout:
  case OutcomeKind::Interrupted:
    return false;
  }
  return false;
}

bool runtime::neverRetrySameModel(OutcomeKind K) {
  return K == OutcomeKind::Auth || K == OutcomeKind::Context;
}

llvm::StringRef runtime::outcomeName(OutcomeKind K) {
  switch (K) {
  case OutcomeKind::Success:
    return "success";
  case OutcomeKind::Unavailable:
    return "unavailable";
  case OutcomeKind::RateLimited:
    return "rate-limited";
  case OutcomeKind::Overloaded:
    return "overloaded";
  case OutcomeKind::Auth:
    return "auth";
  case OutcomeKind::Context:
    return "context";
  case OutcomeKind::MissingExecutable:
    return "missing-executable";
  case OutcomeKind::Empty:
    return "empty";
  case OutcomeKind::TaskFailure:
    return "task-failure";
  case OutcomeKind::Timeout:
    return "timeout";
  case OutcomeKind::Interrupted:
    return "interrupted";
  }
  return "unknown";
}
