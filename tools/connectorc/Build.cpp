//===- Build.cpp - `connectorc build` -------------------------------------===//
//
// Compiles a spec (or re-emits a plan file) into the format --emit names:
// the native plan by default, the textual IR, or any registered backend.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "backends/Backend.h"
#include "ir/PlanJson.h"
#include "ir/Printer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;


namespace {
cl::opt<std::string> Input(cl::Positional, cl::Required,
                           cl::desc("<file.connector.json | plan.json>"),
                           cl::sub(buildCommand()), cl::cat(Category));
cl::opt<std::string>
    Emit("emit",
         cl::desc("What to write: 'plan' (default; the JSON plan connectorc "
                  "run executes), 'ir' (the textual IR, for debugging), or "
                  "another backend's format"),
         cl::value_desc("kind"), cl::init("plan"), cl::sub(buildCommand()),
         cl::cat(Category));
cl::opt<std::string> Output("o", cl::desc("Write to <path> ('-' for stdout, "
                                          "the default)"),
                            cl::value_desc("path"), cl::init("-"),
                            cl::sub(buildCommand()), cl::cat(Category));
cl::list<std::string>
    PrintAfter("print-after",
               cl::desc("Print the plan after the named pass(es), to stderr"),
               cl::value_desc("pass"), cl::CommaSeparated,
               cl::sub(buildCommand()), cl::cat(Category));
cl::opt<bool> PrintAfterAll("print-after-all",
                            cl::desc("Print the plan after every pass"),
                            cl::sub(buildCommand()), cl::cat(Category));
cl::opt<bool> PrintChanged(
    "print-changed",
    cl::desc("Print the plan after each pass that changes it"),
    cl::sub(buildCommand()), cl::cat(Category));
cl::opt<bool> TimePasses("time-passes",
                         cl::desc("Report the time each pass takes"),
                         cl::sub(buildCommand()), cl::cat(Category));

/// `-o DIR`: a backend that writes several files (systemd) writes them into
/// DIR itself and nothing to its stream; one that writes to the stream has
/// one file to write, and DIR is no place for it.
int emitIntoDirectory(const BackendInfo &Backend, const ir::Plan &Plan,
                      const EmitOptions &EO) {
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  if (llvm::Error E = Backend.Emit(OS, Plan, EO)) {
    llvm::WithColor::error(llvm::errs(), "connectorc build")
        << llvm::toString(std::move(E)) << '\n';
    return ExitFailure;
  }
  if (Text.empty())
    return ExitOk;
  return usage("connectorc build",
               "'" + EO.OutputPath + "' is a directory, and --emit=" +
                   Backend.Flag + " writes one file: name the file");
}
} // namespace

int driver::runBuild() {
  bool EmitIr = Emit == "ir";
  const BackendInfo *Backend = EmitIr ? nullptr : findBackend(Emit);
  if (!EmitIr && !Backend) {
    std::string Kinds = "ir";
    for (const BackendInfo &B : allBackends())
      Kinds += ", " + B.Flag.str();
    return usage("connectorc build", "unknown --emit kind '" + Emit +
                                         "' (expected one of: " + Kinds + ")");
  }
  for (const std::string &P : PrintAfter)
    if (!findPass(P)) {
      std::string Names;
      for (const PassInfo &Info : allPasses())
        Names += (Names.empty() ? "" : ", ") + Info.Flag.str();
      return usage("connectorc build",
                   "unknown pass '" + P +
                       "' in --print-after (passes: " + Names + ")");
    }

  Driver D;
  std::optional<ir::Plan> Plan;
  std::shared_ptr<ir::Module> Module;
  auto Buf = llvm::MemoryBuffer::getFileOrSTDIN(Input, /*IsText=*/true);
  if (Buf && Driver::isPlanFile((*Buf)->getBuffer())) {
    llvm::Expected<ir::Plan> P = ir::readPlanJson((*Buf)->getBuffer(), Input);
    if (!P) {
      llvm::WithColor::error(llvm::errs(), "connectorc build")
          << llvm::toString(P.takeError()) << '\n';
      return ExitFailure;
    }
    Plan = std::move(*P);
  } else {
    bool RegistryOk = D.loadRegistry();
    PassOptions Opts;
    Opts.Simulate = Simulate;
    if (std::optional<std::string> Bad = parseSimulateFails(Opts.SimulateFail))
      return usage("connectorc build", *Bad);
    if (!Opts.SimulateFail.empty() && !Simulate)
      return usage("connectorc build", "--simulate-fail needs --simulate");
    Opts.PrintAfter = PrintAfter;
    Opts.PrintAfterAll = PrintAfterAll;
    Opts.PrintChanged = PrintChanged;
    Opts.TimePasses = TimePasses;
    if (RegistryOk)
      Plan = D.compile(Input, std::move(Opts), &Module);
    D.printDiagnostics();
    if (D.FE.hadUnreadableFile() || !RegistryOk)
      return ExitUsage;
    if (!Plan || D.exitStatus() != ExitOk)
      return ExitFailure;
  }

  EmitOptions EO;
  EO.OutputPath = Output;
  EO.SelfExe = selfExe();
  EO.InputPath = Input;
  if (Backend && llvm::sys::fs::is_directory(Output))
    return emitIntoDirectory(*Backend, *Plan, EO);
  // A backend's own error (a spec it cannot express) is not a write error;
  // it still makes writeToOutput discard the partial file.
  std::string EmitFailure;
  llvm::Error E =
      llvm::writeToOutput(Output, [&](llvm::raw_ostream &OS) -> llvm::Error {
        if (!EmitIr) {
          llvm::Error Failed = Backend->Emit(OS, *Plan, EO);
          if (Failed)
            EmitFailure = llvm::toString(std::move(Failed));
          return EmitFailure.empty()
                     ? llvm::Error::success()
                     : llvm::createStringError(llvm::inconvertibleErrorCode(),
                                               EmitFailure);
        }
        if (Module)
          ir::printModule(OS, *Module, &D.Diags);
        ir::printPlan(OS, *Plan);
        return llvm::Error::success();
      });
  if (E && !EmitFailure.empty()) {
    llvm::consumeError(std::move(E));
    llvm::WithColor::error(llvm::errs(), "connectorc build")
        << EmitFailure << '\n';
    return ExitFailure;
  }
  if (E) {
    llvm::WithColor::error(llvm::errs(), "connectorc build")
        << "cannot write '" << Output << "': " << llvm::toString(std::move(E))
        << '\n';
    return ExitFailure;
  }
  return ExitOk;
}
