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
} // namespace

int driver::runSimAgent() {
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
