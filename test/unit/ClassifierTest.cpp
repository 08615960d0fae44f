//===- ClassifierTest.cpp - the attempt classifier and its corpus ---------===//
//
// Every fixture in test/unit/Inputs/cli-failures/<provider>/<kind>-N.txt is a
// message a CLI really printed (the header names where it was reported); it
// must classify as <kind> through that provider's rules in the built-in
// registry. success-N.txt files are answers that merely talk about such
// errors and must classify as success.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/Classifier.h"

#include "ir/Diagnostics.h"
#include "passes/Registry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {

/// 2026-11-30 12:00:00 UTC, a Monday.
constexpr std::int64_t Noon = 1796040000;

const ProviderRegistry &registry() {
  static const ProviderRegistry R = [] {
    llvm::SourceMgr SM;
    DiagnosticEngine Diags(SM);
    // The built-in registry alone: the user's configuration directory is
    // pointed at one that does not exist, so no file from this machine is
    // read. (Loading the built-in file as a user file would redirect the
    // process-wide shorthands, which ModelRefTest checks.)
    const char *Saved = getenv("XDG_CONFIG_HOME");
    std::string Old = Saved ? Saved : "";
    setenv("XDG_CONFIG_HOME", "/nonexistent/connectorc-unit-tests", 1);
    std::optional<ProviderRegistry> Builtin = ProviderRegistry::load("", Diags);
    if (Saved)
      setenv("XDG_CONFIG_HOME", Old.c_str(), 1);
    else
      unsetenv("XDG_CONFIG_HOME");
    return *Builtin;
  }();
  return R;
}

ir::ModelBinding binding(llvm::StringRef Name) {
  const connectorc::Provider *P = registry().find(Name);
  EXPECT_NE(P, nullptr) << Name.str();
  return P ? registry().bind(*P, "") : ir::ModelBinding();
}

struct Fixture {
  std::string Path, Provider, Kind, Source, Text;
  int Exit = 1;
};

/// Reads "# key: value" lines up to "---", then the message.
Fixture readFixture(const std::string &Path) {
  Fixture F;
  F.Path = Path;
  llvm::StringRef Name = llvm::sys::path::stem(Path);
  F.Kind = Name.rsplit('-').first.str();
  F.Provider =
      llvm::sys::path::filename(llvm::sys::path::parent_path(Path)).str();
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  EXPECT_TRUE(bool(Buf)) << Path;
  if (!Buf)
    return F;
  llvm::StringRef Rest = (*Buf)->getBuffer();
  while (!Rest.empty()) {
    auto [Line, Tail] = Rest.split('\n');
    Rest = Tail;
    if (Line == "---")
      break;
    if (Line.consume_front("# exit: "))
      Line.trim().getAsInteger(10, F.Exit);
    else if (Line.consume_front("# source: "))
      F.Source = Line.str();
  }
  F.Text = Rest.str();
  return F;
}

std::vector<Fixture> corpus() {
  std::vector<Fixture> Out;
  std::string Root =
      std::string(CONNECTORC_SOURCE_DIR) + "/test/unit/Inputs/cli-failures";
  std::error_code EC;
  for (llvm::sys::fs::recursive_directory_iterator I(Root, EC), E;
       I != E && !EC; I.increment(EC))
    if (llvm::sys::path::extension(I->path()) == ".txt")
      Out.push_back(readFixture(I->path()));
  std::sort(Out.begin(), Out.end(),
            [](const Fixture &A, const Fixture &B) { return A.Path < B.Path; });
  return Out;
}

Outcome classify(const ir::ModelBinding &B, int Exit, llvm::StringRef Text) {
  return classifyAttemptAt(B, Exit, false, Text, Text.trim().empty(), Noon);
}

TEST(ClassifierCorpus, EveryFixtureClassifiesAsItsKind) {
  std::vector<Fixture> All = corpus();
  ASSERT_GE(All.size(), 50u);
  for (const Fixture &F : All) {
    SCOPED_TRACE(F.Path);
    EXPECT_FALSE(F.Source.empty()) << "fixture without a source";
    Outcome O = classify(binding(F.Provider), F.Exit, F.Text);
    EXPECT_EQ(outcomeName(O.Kind).str(), F.Kind) << "matched: " << O.Detail;
  }
}

TEST(ClassifierCorpus, CoversEveryProviderAndKind) {
  std::set<std::string> Seen;
  for (const Fixture &F : corpus())
    Seen.insert(F.Provider + "/" + F.Kind);
  for (const char *P : {"claude", "codex", "gemini", "aider", "ollama"})
    for (const char *K : {"rate-limited", "overloaded", "unavailable", "auth",
                          "context", "success"})
      EXPECT_TRUE(Seen.count(std::string(P) + "/" + K)) << P << "/" << K;
}

TEST(ClassifierCorpus, BuiltInPatternsAreValidAndKnown) {
  for (const std::string &Name : registry().providerNames())
    for (const ir::FailurePattern &F : registry().find(Name)->Failures) {
      std::string Error;
      // A rule without a pattern is an exit-status rule (gemini's exit 41):
      // it must name its statuses and must not be one to watch output for.
      if (F.Pattern.empty()) {
        EXPECT_FALSE(F.ExitCodes.empty()) << Name << ": " << F.Kind;
        EXPECT_FALSE(F.WhileRunning) << Name << ": " << F.Kind;
      } else {
        EXPECT_TRUE(llvm::Regex(F.Pattern).isValid(Error))
            << Name << ": " << F.Pattern << ": " << Error;
      }
      EXPECT_TRUE(parseOutcomeKind(F.Kind)) << Name << ": " << F.Kind;
    }
}

TEST(ClassifierCorpus, SimulatedBindingsClassifyThroughTheRealRules) {
  // A simulated binding keeps its provider's rules (resolve-models), so the
  // real corpus classifies the same way through it.
  for (const Fixture &F : corpus()) {
    ir::ModelBinding B = binding(F.Provider);
    ir::ModelBinding Sim = binding("sim");
    B.Failures.insert(B.Failures.end(), Sim.Failures.begin(),
                      Sim.Failures.end());
    B.Simulated = true;
    EXPECT_EQ(outcomeName(classify(B, F.Exit, F.Text).Kind).str(), F.Kind)
        << F.Path;
  }
}

TEST(Classifier, RetryAfterComesWithTheOutcome) {
  Outcome O = classify(binding("codex"), 1,
                       "■ You've hit your usage limit. Upgrade to Pro or try "
                       "again in 8 hours 30 minutes.\n");
  EXPECT_EQ(O.Kind, OutcomeKind::RateLimited);
  ASSERT_TRUE(O.RetryAfterS);
  EXPECT_DOUBLE_EQ(*O.RetryAfterS, 8 * 3600 + 30 * 60);
  EXPECT_NE(O.Detail.find("usage limit"), std::string::npos);
}

TEST(Classifier, ReviewTextAfterACleanExitIsSuccess) {
  ir::ModelBinding B = binding("claude");
  Outcome O = classify(B, 0,
                       "The handler retries on API Error: 529 and on "
                       "rate_limit_error, which is right.\n");
  EXPECT_EQ(O.Kind, OutcomeKind::Success);
  // The same words as the CLI's own message are a failure.
  EXPECT_EQ(classify(B, 0, "API Error: Rate limit reached\n").Kind,
            OutcomeKind::RateLimited);
}

TEST(Classifier, ALineRewrittenInPlaceCountsAsItsLastState) {
  ir::ModelBinding B = binding("claude");
  EXPECT_EQ(
      classify(B, 0, "Thinking... 10%\rAPI Error: Rate limit reached\r\n").Kind,
      OutcomeKind::RateLimited);
  EXPECT_EQ(
      classify(B, 0, "API Error: Rate limit reached\rDone, all fixed.\n").Kind,
      OutcomeKind::Success);
}

TEST(Classifier, DetailIsTheMatchedLineCutAtACharacter) {
  std::string Long = "API Error: Rate limit reached " + std::string(400, 'x');
  Outcome O = classify(binding("claude"), 1, Long + "\n");
  EXPECT_EQ(O.Detail.substr(0, 29), "API Error: Rate limit reached");
  EXPECT_LE(O.Detail.size(), 303u);
  std::string Wide = "API Error: Rate limit reached ";
  for (int I = 0; I < 150; ++I)
    Wide += "\u00b7"; // two bytes each
  O = classify(binding("claude"), 1, Wide + "\n");
  llvm::StringRef Cut = llvm::StringRef(O.Detail).drop_back(3);
  EXPECT_NE(static_cast<unsigned char>(Cut.back()), 0xC2); // no half character
}

TEST(Classifier, OnlyTheEndOfTheOutputCounts) {
  std::string Text = "API Error: 529 overloaded_error\n";
  for (int I = 0; I < 100; ++I)
    Text += "line " + std::to_string(I) + " of a long failing answer\n";
  EXPECT_EQ(classify(binding("claude"), 1, Text).Kind,
            OutcomeKind::TaskFailure);
}

TEST(Classifier, ExitStatusesWithoutARule) {
  ir::ModelBinding B = binding("claude");
  EXPECT_EQ(classifyAttemptAt(B, 0, true, "", true, Noon).Kind,
            OutcomeKind::MissingExecutable);
  EXPECT_EQ(classify(B, 127, "env: 'node': No such file or directory\n").Kind,
            OutcomeKind::MissingExecutable);
  EXPECT_EQ(classify(B, 134, "").Kind, OutcomeKind::TaskFailure);
  EXPECT_EQ(classify(B, 0, "").Kind, OutcomeKind::Empty);
  EXPECT_EQ(classify(B, 1, "").Kind, OutcomeKind::Empty);
  EXPECT_EQ(classify(B, 2, "error: unknown option '--bogus'\n").Kind,
            OutcomeKind::TaskFailure);
  EXPECT_EQ(classify(B, 0, "All good.\n").Kind, OutcomeKind::Success);
}

TEST(Classifier, ExitCodeRulesAndBrokenPatterns) {
  ir::ModelBinding B;
  B.Failures = {{"auth", "", {77}, false},
                {"unavailable", "([unclosed", {}, false},
                {"rate-limited", "slow down", {3}, false}};
  EXPECT_EQ(classify(B, 77, "whatever\n").Kind, OutcomeKind::Auth);
  EXPECT_EQ(classify(B, 1, "slow down\n").Kind, OutcomeKind::TaskFailure);
  EXPECT_EQ(classify(B, 3, "slow down\n").Kind, OutcomeKind::RateLimited);
}

TEST(Classifier, KindsAndNames) {
  for (unsigned I = 0; I <= unsigned(OutcomeKind::Interrupted); ++I)
    EXPECT_EQ(parseOutcomeKind(outcomeName(OutcomeKind(I))), OutcomeKind(I));
  EXPECT_FALSE(parseOutcomeKind("rate-limit"));
  EXPECT_TRUE(isProviderFailure(OutcomeKind::Context));
  EXPECT_TRUE(isProviderFailure(OutcomeKind::Empty));
  EXPECT_FALSE(isProviderFailure(OutcomeKind::TaskFailure));
  EXPECT_FALSE(isProviderFailure(OutcomeKind::Timeout));
  EXPECT_TRUE(neverRetrySameModel(OutcomeKind::Auth));
  EXPECT_TRUE(neverRetrySameModel(OutcomeKind::Context));
  EXPECT_FALSE(neverRetrySameModel(OutcomeKind::RateLimited));
}

TEST(RetryAfter, Delays) {
  auto At = [](llvm::StringRef S) { return parseRetryAfter(S, Noon); };
  EXPECT_EQ(At("Please try again in 20s."), 20.0);
  EXPECT_EQ(At("retry in 1m30s"), 90.0);
  EXPECT_EQ(At("Retry-After: 30\r\n"), 30.0);
  EXPECT_EQ(At("retry-after-ms: 1500"), 1.5);
  EXPECT_EQ(At("Please retry in 45.5s."), 45.5);
  EXPECT_EQ(At("\"retryDelay\": \"31s\""), 31.0);
  EXPECT_EQ(At("\"resets_in_seconds\":13872}"), 13872.0);
  EXPECT_EQ(At("{\"resets_at\":1796043600}"), 3600.0);
  EXPECT_EQ(At("or try again in 5 days 22 hours 11\nminutes."),
            5 * 86400.0 + 22 * 3600 + 11 * 60);
  EXPECT_EQ(At("try again in 2 hours and 5 minutes"), 7200.0 + 300);
}

TEST(RetryAfter, NotAResetTime) {
  auto At = [](llvm::StringRef S) { return parseRetryAfter(S, Noon); };
  EXPECT_FALSE(At("API Error (529) · Retrying in 4 seconds… (attempt 4/10)"));
  EXPECT_FALSE(At("try again in a moment"));
  EXPECT_FALSE(At("resets soon"));
  EXPECT_FALSE(At("resets 5"));
  EXPECT_FALSE(At(""));
}

TEST(RetryAfter, ClockTimes) {
  auto At = [](llvm::StringRef S) { return parseRetryAfter(S, Noon); };
  // Noon UTC is 12:00 in UTC, 13:00 in Lisbon... (winter: UTC+0), 20:00 in
  // Shanghai (UTC+8), 21:00 in Seoul (UTC+9).
  EXPECT_EQ(At("You've hit your limit · resets 3pm (UTC)"), 3 * 3600.0);
  EXPECT_EQ(At("resets 1pm (Europe/Lisbon)"), 3600.0);
  EXPECT_EQ(At("resets 7:40pm (Asia/Shanghai)"), 23 * 3600.0 + 40 * 60);
  EXPECT_EQ(At("Weekly limit reached · resets 10am (Asia/Seoul) · /upgrade"),
            13 * 3600.0);
  EXPECT_EQ(At("resets at 12:30 (UTC)"), 1800.0);
  EXPECT_EQ(At("resets Dec 1, 2am (UTC)"), 14 * 3600.0);
  EXPECT_EQ(At("resets Dec 2 at 4:30am (UTC)"), 40 * 3600.0 + 1800);
  EXPECT_EQ(At("or try again at Dec 1st, 2026 8:19 PM (UTC)."),
            32 * 3600.0 + 19 * 60);
}

TEST(RetryAfter, TheLastStatementWins) {
  EXPECT_EQ(parseRetryAfter("try again in 10s\n...\nPlease retry in 30s", Noon),
            30.0);
}

} // namespace
