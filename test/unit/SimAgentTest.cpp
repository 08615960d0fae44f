//===- SimAgentTest.cpp - the sim agent fails as the real CLIs do ---------===//
//
// For every provider the sim imitates and every provider failure kind, the
// sim's output and exit status must classify as that kind through the
// provider's real rules, as a simulated binding keeps them, and its message
// must be one of the corpus's real messages.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/SimAgent.h"
#include "runtime/executor/Classifier.h"

#include "ir/Diagnostics.h"
#include "passes/Registry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {

const ProviderRegistry &registry() {
  static const ProviderRegistry R = [] {
    llvm::SourceMgr SM;
    DiagnosticEngine Diags(SM);
    return *ProviderRegistry::load(
        std::string(CONNECTORC_SOURCE_DIR) + "/passes/providers.json", Diags);
  }();
  return R;
}

/// The binding --simulate makes of \p Provider's default model: its rules,
/// then the sim's.
ir::ModelBinding simulated(llvm::StringRef Provider) {
  ir::ModelBinding B;
  if (const connectorc::Provider *P = registry().find(Provider))
    B = registry().bind(*P, "");
  ir::ModelBinding Sim = registry().bind(*registry().find("sim"), "");
  B.Failures.insert(B.Failures.end(), Sim.Failures.begin(), Sim.Failures.end());
  B.Simulated = true;
  return B;
}

const std::pair<SimFailKind, OutcomeKind> ProviderKinds[] = {
    {SimFailKind::Unavailable, OutcomeKind::Unavailable},
    {SimFailKind::RateLimited, OutcomeKind::RateLimited},
    {SimFailKind::Overloaded, OutcomeKind::Overloaded},
    {SimFailKind::Auth, OutcomeKind::Auth},
    {SimFailKind::Context, OutcomeKind::Context},
};

/// The sim run standing for \p BindingId and failing as \p Fail: its whole
/// output and its exit status.
std::pair<std::string, int> run(llvm::StringRef BindingId,
                                llvm::StringRef Fail) {
  SimRequest R;
  R.StandsFor = BindingId.str();
  R.Fail = Fail.str();
  R.Prompt = "Review the diff.\n";
  std::string Out, Err;
  llvm::raw_string_ostream OS(Out), ES(Err);
  int Status = runSimAgent(R, OS, ES);
  return {OS.str() + ES.str(), Status};
}

/// Whether some fixture <Provider>/<Kind>-N.txt contains \p Message.
bool inCorpus(llvm::StringRef Provider, llvm::StringRef Kind,
              llvm::StringRef Message) {
  std::string Dir = std::string(CONNECTORC_SOURCE_DIR) +
                    "/test/unit/Inputs/cli-failures/" + Provider.str();
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator I(Dir, EC), E; I != E && !EC;
       I.increment(EC)) {
    if (!llvm::sys::path::filename(I->path()).startswith(Kind.str() + "-"))
      continue;
    if (auto Buf = llvm::MemoryBuffer::getFile(I->path()))
      if ((*Buf)->getBuffer().contains(Message))
        return true;
  }
  return false;
}

TEST(SimAgent, ImitatesTheFiveCLIs) {
  std::vector<llvm::StringRef> P = simImitatedProviders();
  EXPECT_EQ(P, (std::vector<llvm::StringRef>{"claude", "codex", "gemini",
                                             "aider", "ollama"}));
}

TEST(SimAgent, FailsAsEachRealCLIWouldAndIsClassifiedSo) {
  for (llvm::StringRef Provider : simImitatedProviders())
    for (auto [Fail, Kind] : ProviderKinds) {
      std::string Id = Provider.str() + "/some-model";
      SimFailure F = simFailure(Provider, Fail);
      SCOPED_TRACE(Id + " " + outcomeName(Kind).str());
      EXPECT_TRUE(inCorpus(Provider, outcomeName(Kind), F.Message));
      auto [Output, Status] =
          run(Id, outcomeName(Kind) == "rate-limited" ? "rate-limit"
                                                      : outcomeName(Kind));
      EXPECT_EQ(Status, F.ExitCode);
      Outcome O =
          classifyAttempt(simulated(Provider), Status, false, Output, false);
      EXPECT_EQ(outcomeName(O.Kind).str(), outcomeName(Kind).str()) << O.Detail;
    }
}

TEST(SimAgent, OwnMessagesForProvidersItDoesNotImitate) {
  for (llvm::StringRef Id : {"sim/strong", "custom/mine", "mine:custom/x"})
    for (auto [Fail, Kind] : ProviderKinds) {
      auto [Output, Status] = run(Id, outcomeName(Kind));
      EXPECT_EQ(Status, 1);
      EXPECT_TRUE(llvm::StringRef(Output).startswith("sim: ")) << Output;
      Outcome O = classifyAttempt(simulated(simProviderOf(Id)), Status, false,
                                  Output, false);
      EXPECT_EQ(O.Kind, Kind) << Id.str() << ": " << Output;
    }
  Outcome O = classifyAttempt(simulated("sim"), 1, false,
                              run("sim/fast", "rate-limit").first, false);
  ASSERT_TRUE(O.RetryAfterS);
  EXPECT_EQ(*O.RetryAfterS, 30.0);
}

TEST(SimAgent, EmptyAndUnknownKinds) {
  auto [Empty, Status] = run("claude/x", "empty");
  EXPECT_EQ(Status, 0);
  EXPECT_EQ(Empty, "");
  EXPECT_EQ(classifyAttempt(simulated("claude"), 0, false, Empty, true).Kind,
            OutcomeKind::Empty);
  auto [Message, Bad] = run("claude/x", "meltdown");
  EXPECT_EQ(Bad, 2);
  EXPECT_NE(Message.find("unknown CONNECTOR_SIM_FAIL kind 'meltdown'"),
            std::string::npos);
}

TEST(SimAgent, ThePromptEndsAtEndOfFileOrControlD) {
  auto ReadThrough = [](llvm::StringRef Written) {
    int P[2];
    EXPECT_EQ(pipe(P), 0);
    EXPECT_EQ(write(P[1], Written.data(), Written.size()),
              static_cast<ssize_t>(Written.size()));
    close(P[1]);
    llvm::Expected<std::string> Prompt = readSimPrompt(P[0]);
    close(P[0]);
    return Prompt ? *Prompt : llvm::toString(Prompt.takeError());
  };
  EXPECT_EQ(ReadThrough("Review the diff.\n"), "Review the diff.\n");
  EXPECT_EQ(ReadThrough("Review it.\n\x04ignored"), "Review it.\n");
  EXPECT_EQ(ReadThrough(""), "");
  std::string Long(60000,
                   'x'); // longer than a tty's 4 KiB line, within a pipe buffer
  EXPECT_EQ(ReadThrough(Long + "\x04"), Long);
}

TEST(SimAgent, ProviderOfABindingId) {
  EXPECT_EQ(simProviderOf("claude/claude-sonnet-5-5"), "claude");
  EXPECT_EQ(simProviderOf("h:claude/claude-haiku-5-5"), "claude");
  EXPECT_EQ(simProviderOf("ollama/qwen2.5-coder:32b#2"), "ollama");
  EXPECT_EQ(simProviderOf("sim"), "sim");
}

TEST(SimAgent, AnswerNamesModelTaskPromptAndInputs) {
  SimRequest R;
  R.Model = "fast";
  R.StandsFor = "codex/gpt-6.1-sol";
  R.Task = "synthesis/1";
  R.Prompt = "Merge the reviews.\nBe brief.\n";
  R.Inputs = {CONNECTORC_SOURCE_DIR "/test/unit/Inputs/cli-failures/"
                                    "ollama/auth-2.txt",
              "/nonexistent/review.md"};
  std::string A = simAnswer(R);
  EXPECT_NE(A.find("- model: codex/gpt-6.1-sol (simulated by sim/fast)"),
            std::string::npos);
  EXPECT_NE(A.find("- phase: synthesis\n- worker: 1"), std::string::npos);
  EXPECT_NE(A.find("> Merge the reviews.\n> Be brief.\n"), std::string::npos);
  EXPECT_NE(A.find("## Inputs (2)"), std::string::npos);
  EXPECT_NE(A.find("ollama/auth-2.txt | "), std::string::npos);
  EXPECT_NE(A.find("/nonexistent/review.md | - | unreadable"),
            std::string::npos);
  EXPECT_EQ(A, simAnswer(R)); // deterministic
}

} // namespace

TEST(SimAgent, WriteActionsReportEachResult) {
  llvm::SmallString<128> Dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("sim-actions", Dir));
  std::string Ok = (Dir + "/ok.txt").str();
  std::string Bad = (Dir + "/missing/dir/x.txt").str();
  std::string Out = connectorc::runtime::simActions(
      "Do it.\n@sim write " + Ok + " hello there\n@sim write " + Bad +
      " nope\nnot @sim write this");
  EXPECT_EQ(Out, "## Actions\n\n- write " + Ok + ": ok\n- write " + Bad +
                     ": failed: No such file or directory\n");
  auto Buf = llvm::MemoryBuffer::getFile(Ok);
  ASSERT_TRUE(bool(Buf));
  EXPECT_EQ((*Buf)->getBuffer(), "hello there\n");
  EXPECT_EQ(connectorc::runtime::simActions("no actions here"), "");
  llvm::sys::fs::remove_directories(Dir);
}

TEST(SimAgent, SymlinkAndConnectActions) {
  llvm::SmallString<128> Dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("sim-actions", Dir));
  std::string Link = (Dir + "/link").str();
  // A port of this test's own where connections are refused: bound here,
  // never listened on (a fixed port could be anyone's server).
  int Held = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(Held, 0);
  sockaddr_in Addr{};
  Addr.sin_family = AF_INET;
  Addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t Len = sizeof(Addr);
  ASSERT_EQ(::bind(Held, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr)), 0);
  ASSERT_EQ(::getsockname(Held, reinterpret_cast<sockaddr *>(&Addr), &Len), 0);
  std::string Closed = "127.0.0.1:" + std::to_string(ntohs(Addr.sin_port));
  std::string Out = connectorc::runtime::simActions(
      "@sim symlink /etc " + Link + "\n@sim connect " + Closed +
      "\n@sim connect nowhere\n@sim unknown verb");
  ::close(Held);
  EXPECT_EQ(Out, "## Actions\n\n- symlink /etc " + Link + ": ok\n- connect " +
                     Closed +
                     ": failed: Connection "
                     "refused\n- connect nowhere: failed: Invalid argument\n");
  llvm::SmallString<128> Real;
  ASSERT_FALSE(llvm::sys::fs::real_path(Link, Real));
  EXPECT_EQ(Real, "/etc");
  llvm::sys::fs::remove_directories(Dir);
}
