//===- SimAgent.cpp - `connectorc sim-agent` ------------------------------===//
#include "Commands.h"

#include "runtime/executor/SimAgent.h"

#include "llvm/Support/raw_ostream.h"

using namespace connectorc;
namespace cl = llvm::cl;

namespace {
cl::opt<std::string>
    SimModel("model",
             cl::desc("The sim model: fast, balanced or strong (default "
                      "balanced)"),
             cl::value_desc("model"), cl::init("balanced"),
             cl::sub(driver::simAgentCommand()), cl::cat(driver::Category));
cl::opt<bool> SimInteractive(
    "interactive",
    cl::desc("Run as a full-screen CLI does: a first-run question, then a "
             "'sim> ' prompt for each turn, until end of input"),
    cl::sub(driver::simAgentCommand()), cl::cat(driver::Category));
cl::opt<std::string> SimSession(
    "session-id", cl::desc("With --interactive: the conversation's id"),
    cl::value_desc("id"), cl::sub(driver::simAgentCommand()),
    cl::cat(driver::Category));
cl::opt<std::string> SimResume(
    "resume",
    cl::desc("With --interactive: continue this conversation (its transcript "
             "is --transcript)"),
    cl::value_desc("id"), cl::sub(driver::simAgentCommand()),
    cl::cat(driver::Category));
cl::opt<std::string> SimTranscript(
    "transcript",
    cl::desc("With --interactive: the JSON lines file each turn goes to"),
    cl::value_desc("file"), cl::sub(driver::simAgentCommand()),
    cl::cat(driver::Category));
} // namespace

int driver::runSimAgent() {
  if (SimInteractive) {
    runtime::SimRequest R = runtime::simRequestFromEnvironment(SimModel, "");
    return runtime::runSimInteractive(std::move(R), SimTranscript,
                                      !SimResume.empty());
  }
  // The prompt arrives on standard input, up to end of file or ^D.
  llvm::Expected<std::string> Prompt = runtime::readSimPrompt(0);
  if (!Prompt) {
    llvm::errs() << "sim-agent: cannot read the prompt: "
                 << llvm::toString(Prompt.takeError()) << "\n";
    return ExitFailure;
  }
  runtime::SimRequest R =
      runtime::simRequestFromEnvironment(SimModel, std::move(*Prompt));
  int Status = runtime::runSimAgent(R, llvm::outs(), llvm::errs());
  llvm::outs().flush();
  return Status;
}
