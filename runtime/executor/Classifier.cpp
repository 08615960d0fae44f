//===- Classifier.cpp - classify one attempt ------------------------------===//
//
// The rules (docs/providers.md, "Failure classification"):
//  - a program that could not be started is a missing executable;
//  - the binding's failure rules are tried in order against the end of the
//    output: after a failed run (non-zero exit) its last 64 non-empty lines,
//    anywhere in a line; after a clean exit (status 0) only its last 32
//    non-empty lines, and only where the match starts the line (after
//    blanks, '[' or a non-ASCII mark such as "⎿"), because some CLIs exit 0
//    after printing nothing but an error, while an answer that merely talks
//    about rate limits mentions them inside its sentences (or quotes them in
//    a code fence, which is skipped);
//  - otherwise exit 127 with "not found" is a missing executable, death by a
//    signal a task failure, an empty answer a provider failure, any other
//    non-zero exit a task failure, and the rest success.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/Classifier.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Regex.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>

using namespace connectorc;
using namespace connectorc::runtime;
using llvm::StringRef;

namespace {
/// The end of the output that the failure rules look at.
struct Window {
  unsigned MaxLines;
  size_t MaxBytes;
};
constexpr Window FailedRunWindow{64, 16 * 1024};
constexpr Window CleanExitWindow{32, 8 * 1024};
constexpr size_t MaxDetail = 300;
} // namespace

StringRef runtime::outcomeName(OutcomeKind K) {
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
  case OutcomeKind::Undeliverable:
    return "prompt-undeliverable";
  case OutcomeKind::Empty:
    return "empty";
  case OutcomeKind::TaskFailure:
    return "task-failure";
  case OutcomeKind::Timeout:
    return "timeout";
  case OutcomeKind::Unreachable:
    return "unreachable";
  case OutcomeKind::Interrupted:
    return "interrupted";
  }
  llvm_unreachable("unknown outcome kind");
}

std::optional<OutcomeKind> runtime::parseOutcomeKind(StringRef Name) {
  for (unsigned I = 0; I <= unsigned(OutcomeKind::Interrupted); ++I)
    if (outcomeName(OutcomeKind(I)) == Name)
      return OutcomeKind(I);
  return std::nullopt;
}

bool runtime::isProviderFailure(OutcomeKind K) {
  switch (K) {
  case OutcomeKind::Unavailable:
  case OutcomeKind::RateLimited:
  case OutcomeKind::Overloaded:
  case OutcomeKind::Auth:
  case OutcomeKind::Context:
  case OutcomeKind::MissingExecutable:
  case OutcomeKind::Undeliverable:
  case OutcomeKind::Empty:
    return true;
  case OutcomeKind::Success:
  case OutcomeKind::TaskFailure:
  case OutcomeKind::Timeout:
  case OutcomeKind::Unreachable:
  case OutcomeKind::Interrupted:
    return false;
  }
  llvm_unreachable("unknown outcome kind");
}

bool runtime::neverRetrySameModel(OutcomeKind K) {
  return K == OutcomeKind::Auth || K == OutcomeKind::Context ||
         K == OutcomeKind::Undeliverable;
}

/// The kinds a registry failure rule may name.
static std::optional<OutcomeKind> ruleKind(StringRef Kind) {
  return llvm::StringSwitch<std::optional<OutcomeKind>>(Kind)
      .Case("unavailable", OutcomeKind::Unavailable)
      .Case("rate-limited", OutcomeKind::RateLimited)
      .Case("overloaded", OutcomeKind::Overloaded)
      .Case("auth", OutcomeKind::Auth)
      .Case("context", OutcomeKind::Context)
      .Default(std::nullopt);
}

/// \p Pattern compiled once per process (the runtime classifies thousands of
/// attempts against a handful of patterns); nullptr when it is not a valid
/// POSIX ERE, in which case its rule never matches.
static const llvm::Regex *compiled(StringRef Pattern) {
  static std::mutex Lock;
  static llvm::StringMap<std::unique_ptr<llvm::Regex>> Cache;
  std::lock_guard<std::mutex> Guard(Lock);
  std::unique_ptr<llvm::Regex> &Slot = Cache[Pattern];
  if (!Slot)
    Slot = std::make_unique<llvm::Regex>(Pattern, llvm::Regex::IgnoreCase);
  return Slot->isValid() ? Slot.get() : nullptr;
}

/// What a terminal shows of \p Line: the text after its last carriage
/// return (a progress line rewritten in place counts as its last state).
static StringRef shownText(StringRef Line) {
  Line = Line.rtrim('\r');
  size_t CR = Line.rfind('\r');
  return CR == StringRef::npos ? Line : Line.drop_front(CR + 1);
}

static bool isFence(StringRef Line) {
  Line = Line.ltrim();
  return Line.startswith("```") || Line.startswith("~~~");
}

/// The last non-empty lines of \p Text within \p W, the last line first.
/// With \p SkipCode, lines inside markdown code fences are left out: an
/// answer may quote an error message there, a CLI never prints one there.
static llvm::SmallVector<StringRef, 64> tailLines(StringRef Text, Window W,
                                                  bool SkipCode) {
  llvm::SmallVector<StringRef, 256> All;
  Text.take_back(W.MaxBytes).split(All, '\n');
  llvm::SmallVector<StringRef, 64> Lines;
  bool InCode = false;
  for (StringRef Line : All) {
    Line = shownText(Line);
    if (SkipCode && isFence(Line)) {
      InCode = !InCode;
      continue;
    }
    if (!(SkipCode && InCode) && !Line.trim().empty())
      Lines.push_back(Line.trim());
  }
  if (Lines.size() > W.MaxLines)
    Lines.erase(Lines.begin(), Lines.end() - W.MaxLines);
  std::reverse(Lines.begin(), Lines.end());
  return Lines;
}

/// Whether \p Match starts \p Line: nothing but blanks, '[' or non-ASCII
/// marks ("⎿", "■", "✕") before it.
static bool startsLine(StringRef Line, StringRef Match) {
  StringRef Before = Line.take_front(Match.data() - Line.data());
  return llvm::all_of(Before, [](char C) {
    return C == ' ' || C == '\t' || C == '[' ||
           static_cast<unsigned char>(C) >= 0x80;
  });
}

/// \p Line for the journal, cut to MaxDetail bytes at a UTF-8 character
/// boundary.
static std::string detail(StringRef Line) {
  if (Line.size() <= MaxDetail)
    return Line.str();
  size_t Cut = MaxDetail;
  while (Cut > 0 && (static_cast<unsigned char>(Line[Cut]) & 0xC0) == 0x80)
    --Cut;
  return Line.take_front(Cut).str() + "...";
}

/// The line (latest first) that \p R matches, under the anchoring rule.
static std::optional<StringRef>
findLine(const llvm::Regex &R, llvm::ArrayRef<StringRef> Lines, bool Anchored) {
  for (StringRef Line : Lines) {
    llvm::SmallVector<StringRef, 4> Match;
    if (R.match(Line, &Match) && (!Anchored || startsLine(Line, Match[0])))
      return Line;
  }
  return std::nullopt;
}

static std::optional<Outcome> matchRulesOf(const ir::ModelBinding &B,
                                           int ExitCode,
                                           llvm::ArrayRef<StringRef> Lines,
                                           bool Anchored, bool Watch);

/// The first of the binding's rules that matches.
static std::optional<Outcome> matchRules(const ir::ModelBinding &B,
                                         int ExitCode,
                                         llvm::ArrayRef<StringRef> Lines,
                                         bool Anchored) {
  // A CLI's retry message (a while_running rule) found at the end comes
  // last: its final message, when it printed one, says more.
  for (bool Watch : {false, true})
    if (std::optional<Outcome> O =
            matchRulesOf(B, ExitCode, Lines, Anchored, Watch))
      return O;
  return std::nullopt;
}

static std::optional<Outcome> matchRulesOf(const ir::ModelBinding &B,
                                           int ExitCode,
                                           llvm::ArrayRef<StringRef> Lines,
                                           bool Anchored, bool Watch) {
  for (const ir::FailurePattern &F : B.Failures) {
    std::optional<OutcomeKind> K = ruleKind(F.Kind);
    if (!K || F.WhileRunning != Watch ||
        (!F.ExitCodes.empty() && !llvm::is_contained(F.ExitCodes, ExitCode)))
      continue;
    if (F.Pattern.empty())
      return Outcome{*K, std::nullopt,
                     "exit status " + std::to_string(ExitCode)};
    const llvm::Regex *R = compiled(F.Pattern);
    if (!R)
      continue;
    if (std::optional<StringRef> Line = findLine(*R, Lines, Anchored))
      return Outcome{*K, std::nullopt, detail(*Line)};
  }
  return std::nullopt;
}

/// Provider failures after which waiting helps, so a printed reset time is
/// worth reading.
static bool waitingHelps(OutcomeKind K) {
  return K == OutcomeKind::RateLimited || K == OutcomeKind::Overloaded ||
         K == OutcomeKind::Unavailable;
}

static bool killedBySignal(int ExitCode) {
  return ExitCode > 128 && ExitCode <= 128 + 64;
}

/// Exit 127 is what a shell or wrapper script returns for a command it
/// cannot find.
static bool missingCommand(int ExitCode, llvm::ArrayRef<StringRef> Lines) {
  return ExitCode == 127 && llvm::any_of(Lines, [](StringRef L) {
           return L.contains_insensitive("not found") ||
                  L.contains_insensitive("no such file or directory");
         });
}

Outcome runtime::classifyAttemptAt(const ir::ModelBinding &B, int ExitCode,
                                   bool ExecFailed, StringRef OutputTail,
                                   bool AnswerEmpty, std::int64_t Now) {
  if (ExecFailed)
    return {OutcomeKind::MissingExecutable, std::nullopt,
            "cannot execute '" + (B.Argv.empty() ? B.Id : B.Argv[0]) + "'"};
  bool Clean = ExitCode == 0;
  Window W = Clean ? CleanExitWindow : FailedRunWindow;
  llvm::SmallVector<StringRef, 64> Lines = tailLines(OutputTail, W, Clean);
  if (std::optional<Outcome> O = matchRules(B, ExitCode, Lines, Clean)) {
    if (waitingHelps(O->Kind))
      O->RetryAfterS = parseRetryAfter(OutputTail.take_back(W.MaxBytes), Now);
    return *O;
  }
  if (missingCommand(ExitCode, Lines))
    return {OutcomeKind::MissingExecutable, std::nullopt, detail(Lines[0])};
  std::string Status = "exit status " + std::to_string(ExitCode);
  if (killedBySignal(ExitCode))
    return {OutcomeKind::TaskFailure, std::nullopt,
            "killed by signal " + std::to_string(ExitCode - 128)};
  if (AnswerEmpty)
    return {OutcomeKind::Empty, std::nullopt, "empty answer, " + Status};
  if (!Clean)
    return {OutcomeKind::TaskFailure, std::nullopt,
            Lines.empty() ? Status : detail(Lines[0])};
  return {};
}

/// The rules a session watches while it runs, in watchPatterns()' order.
static llvm::SmallVector<const ir::FailurePattern *, 8>
watchRules(const ir::ModelBinding &B) {
  llvm::SmallVector<const ir::FailurePattern *, 8> Out;
  for (const ir::FailurePattern &F : B.Failures)
    if (F.WhileRunning && !F.Pattern.empty() && ruleKind(F.Kind) &&
        compiled(F.Pattern))
      Out.push_back(&F);
  return Out;
}

static std::int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> runtime::watchPatterns(const ir::ModelBinding &B) {
  std::vector<std::string> Out;
  for (const ir::FailurePattern *F : watchRules(B))
    Out.push_back(F->Pattern);
  return Out;
}

Outcome runtime::classifyWatched(const ir::ModelBinding &B, int Index,
                                 StringRef Line) {
  auto Rules = watchRules(B);
  if (Index < 0 || size_t(Index) >= Rules.size())
    return {OutcomeKind::TaskFailure, std::nullopt, detail(Line)};
  Outcome O{*ruleKind(Rules[Index]->Kind), std::nullopt,
            detail(Line) + " (seen while it ran)"};
  if (waitingHelps(O.Kind))
    O.RetryAfterS = parseRetryAfter(Line, nowSeconds());
  return O;
}

Outcome runtime::classifyAttempt(const ir::ModelBinding &B, int ExitCode,
                                 bool ExecFailed, StringRef OutputTail,
                                 bool AnswerEmpty) {
  return classifyAttemptAt(B, ExitCode, ExecFailed, OutputTail, AnswerEmpty,
                           nowSeconds());
}
