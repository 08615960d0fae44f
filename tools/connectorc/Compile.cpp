//===- Compile.cpp - spec to plan, shared by the subcommands --------------===//
#include "Compile.h"
#include "Commands.h"

#include "frontend/Lower.h"
#include "ir/DiagnosticPrinter.h"
#include "runtime/run/Run.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;
namespace json = llvm::json;

cl::opt<std::string> driver::ProvidersFile(
    "providers",
    cl::desc("Provider registry file to use over the built-in one (default: "
             "~/.config/connectorc/providers.json when it exists)"),
    cl::value_desc("file"), cl::sub(lintCommand()), cl::sub(buildCommand()),
    cl::sub(explainCommand()), cl::sub(runCommand()), cl::sub(doctorCommand()),
    cl::sub(mcpCommand()), cl::cat(Category));
cl::opt<bool> driver::Simulate(
    "simulate",
    cl::desc("Bind every model to the offline sim agent (prices stay real)"),
    cl::sub(buildCommand()), cl::sub(explainCommand()), cl::sub(runCommand()),
    cl::cat(Category));

cl::list<std::string> driver::SimulateFail(
    "simulate-fail",
    cl::desc("Make the sim agent fail as PROVIDER would (KIND: unavailable, "
             "rate-limit, overloaded, auth, context, crash, hang, empty); "
             "build bakes it into the artifact"),
    cl::value_desc("PROVIDER=KIND"), cl::sub(buildCommand()),
    cl::sub(runCommand()), cl::cat(Category));

std::optional<std::string>
driver::parseSimulateFails(std::map<std::string, std::string> &Out) {
  for (const std::string &F : SimulateFail) {
    std::string Provider, Kind;
    if (!runtime::parseSimulateFail(F, Provider, Kind))
      return "--simulate-fail wants PROVIDER=KIND with KIND one of "
             "unavailable, rate-limit, overloaded, auth, context, crash, "
             "hang, empty; got '" +
             F + "'";
    Out[Provider] = Kind;
  }
  return std::nullopt;
}

std::string driver::selfExe() {
  char Buf[4096];
  ssize_t N = ::readlink("/proc/self/exe", Buf, sizeof Buf - 1);
  return N > 0 ? std::string(Buf, static_cast<size_t>(N)) : "connectorc";
}

namespace {
enum class ColorMode { Auto, Always, Never };

cl::opt<DiagFormat> Format(
    "format", cl::desc("How to print diagnostics"), cl::init(DiagFormat::Human),
    cl::values(
        clEnumValN(DiagFormat::Human, "human",
                   "file:line:col, the source line and a caret (default)"),
        clEnumValN(DiagFormat::Json, "json", "one JSON object per line"),
        clEnumValN(DiagFormat::Sarif, "sarif",
                   "SARIF 2.1.0 for code scanning"),
        clEnumValN(DiagFormat::Github, "github",
                   "GitHub Actions workflow annotations")),
    cl::sub(driver::lintCommand()), cl::sub(driver::buildCommand()),
    cl::sub(driver::explainCommand()), cl::cat(driver::Category));
cl::opt<bool> Werror("werror", cl::desc("Treat warnings as errors"),
                     cl::sub(driver::lintCommand()), cl::sub(driver::buildCommand()),
                     cl::sub(driver::explainCommand()), cl::cat(driver::Category));
cl::opt<ColorMode> Color(
    "color", cl::desc("Colour human output"), cl::init(ColorMode::Auto),
    cl::values(clEnumValN(ColorMode::Auto, "auto",
                          "on a terminal, unless NO_COLOR is set (default)"),
               clEnumValN(ColorMode::Always, "always", "always"),
               clEnumValN(ColorMode::Never, "never", "never")),
    cl::sub(driver::lintCommand()), cl::sub(driver::buildCommand()),
    cl::sub(driver::explainCommand()), cl::sub(driver::doctorCommand()),
    cl::cat(driver::Category));
} // namespace

bool driver::useColor(llvm::raw_ostream &OS) {
  switch (Color) {
  case ColorMode::Always:
    return true;
  case ColorMode::Never:
    return false;
  case ColorMode::Auto:
    return !llvm::sys::Process::GetEnv("NO_COLOR") && OS.has_colors();
  }
  return false;
}

bool Driver::loadRegistry() {
  Registry = ProviderRegistry::load(ProvidersFile, Diags);
  return Registry.has_value();
}

bool Driver::isPlanFile(llvm::StringRef Text) {
  Text = Text.ltrim();
  if (!Text.consume_front("{"))
    return false;
  return Text.ltrim().startswith("\"plan\"");
}

std::optional<ir::Plan> Driver::compile(llvm::StringRef File, PassOptions Opts,
                                        std::shared_ptr<ir::Module> *Module) {
  unsigned Before = Diags.numErrors();
  return compileChecked(FE.load(File), Before, std::move(Opts), Module);
}

std::optional<ir::Plan> Driver::compileText(llvm::StringRef Name,
                                            llvm::StringRef Text,
                                            PassOptions Opts) {
  unsigned Before = Diags.numErrors();
  return compileChecked(
      FE.loadBuffer(llvm::MemoryBuffer::getMemBufferCopy(Text, Name)), Before,
      std::move(Opts), nullptr);
}

std::optional<ir::Plan>
Driver::compileChecked(std::shared_ptr<spec::Workflow> W, unsigned Before,
                       PassOptions Opts, std::shared_ptr<ir::Module> *Module) {
  if (!W || Diags.numErrors() > Before || !Registry)
    return std::nullopt;
  std::shared_ptr<ir::Module> M = lowerWorkflow(*W, Diags);
  if (Module)
    *Module = M;
  if (Diags.numErrors() > Before)
    return std::nullopt;
  auto C = std::make_unique<Compilation>(M, *Registry, Diags, std::move(Opts));
  bool Ok = runPipeline(*C);
  if (C->Opts.LintOnly) {
    // lint reads only the diagnostics and exits: the compilation is kept
    // for the process to drop at exit (see Kept).
    Kept.push_back(std::move(C));
    return Ok ? std::optional<ir::Plan>(ir::Plan()) : std::nullopt;
  }
  if (!Ok)
    return std::nullopt;
  return std::move(C->Plan);
}

void Driver::printDiagnostics() {
  DiagPrintOptions Opts;
  Opts.Format = Format;
  Opts.Color = useColor(llvm::errs());
  Opts.WarningsAsErrors = Werror;
  Opts.ToolVersion = CONNECTORC_VERSION;
  // People read diagnostics on stderr; machine formats are the output.
  bool Human = Format == DiagFormat::Human;
  if (Human && Opts.Color)
    llvm::errs().enable_colors(true);
  connectorc::printDiagnostics(Human ? llvm::errs() : llvm::outs(), Diags, Opts);
}

int Driver::exitStatus() const {
  if (Diags.hasErrors() || (Werror && Diags.numWarnings()))
    return ExitFailure;
  return ExitOk;
}

json::Array driver::diagnosticsJson(const DiagnosticEngine &Diags) {
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  DiagPrintOptions O;
  O.Format = DiagFormat::Json;
  connectorc::printDiagnostics(OS, Diags, O);
  json::Array All;
  llvm::SmallVector<llvm::StringRef, 8> Lines;
  llvm::StringRef(Text).split(Lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef L : Lines) {
    llvm::Expected<json::Value> V = json::parse(L);
    if (V)
      All.push_back(std::move(*V));
    else
      llvm::consumeError(V.takeError());
  }
  return All;
}

server::CompiledSpec driver::compileSpecText(llvm::StringRef Text,
                                             llvm::StringRef Name,
                                             bool Simulate,
                                             server::CompileMode Mode) {
  Driver D;
  server::CompiledSpec Out;
  std::optional<ir::Plan> Plan;
  if (D.loadRegistry()) {
    PassOptions Opts;
    Opts.Simulate = Simulate;
    Opts.LintOnly = Mode == server::CompileMode::Lint;
    Opts.Origins = Mode != server::CompileMode::Lint;
    Plan = D.compileText(Name, Text, std::move(Opts));
  }
  Out.Diagnostics = diagnosticsJson(D.Diags);
  Out.Ok = Plan && !D.Diags.hasErrors();
  if (!Out.Ok || Mode == server::CompileMode::Lint)
    return Out;
  if (Mode == server::CompileMode::Explain) {
    llvm::raw_string_ostream OS(Out.Explanation);
    printExplanation(OS, *Plan);
  }
  Out.Plan = std::move(Plan);
  return Out;
}
