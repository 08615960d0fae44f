//===- Lint.cpp - `connectorc lint` ---------------------------------------===//
#include "Commands.h"

#include "frontend/Frontend.h"
#include "ir/DiagnosticPrinter.h"

#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

using namespace connectorc;
namespace cl = llvm::cl;

cl::SubCommand driver::LintCommand(
    "lint", "Check connector.json files and explain every problem found");

namespace {
enum class ColorMode { Auto, Always, Never };

cl::list<std::string> Files(cl::Positional, cl::OneOrMore,
                            cl::desc("<file.connector.json>..."),
                            cl::sub(driver::LintCommand),
                            cl::cat(driver::Category));
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
    cl::sub(driver::LintCommand), cl::cat(driver::Category));
cl::opt<bool> Werror("werror", cl::desc("Treat warnings as errors"),
                     cl::sub(driver::LintCommand), cl::cat(driver::Category));
cl::opt<ColorMode> Color(
    "color", cl::desc("Colour human output"), cl::init(ColorMode::Auto),
    cl::values(clEnumValN(ColorMode::Auto, "auto",
                          "on a terminal, unless NO_COLOR is set (default)"),
               clEnumValN(ColorMode::Always, "always", "always"),
               clEnumValN(ColorMode::Never, "never", "never")),
    cl::sub(driver::LintCommand), cl::cat(driver::Category));

bool useColor() {
  switch (Color) {
  case ColorMode::Always:
    return true;
  case ColorMode::Never:
    return false;
  case ColorMode::Auto:
    return !llvm::sys::Process::GetEnv("NO_COLOR") &&
           llvm::errs().has_colors();
  }
  return false;
}
} // namespace

int driver::runLint() {
  llvm::SourceMgr SM;
  DiagnosticEngine Diags(SM);
  Frontend FE(Diags);
  for (const std::string &F : Files)
    FE.load(F);
  DiagPrintOptions Opts;
  Opts.Format = Format;
  Opts.Color = useColor();
  Opts.WarningsAsErrors = Werror;
  Opts.ToolVersion = CONNECTORC_VERSION;
  // People read diagnostics on stderr; machine formats are the output.
  bool Human = Format == DiagFormat::Human;
  if (Human && Opts.Color)
    llvm::errs().enable_colors(true);
  printDiagnostics(Human ? llvm::errs() : llvm::outs(), Diags, Opts);
  if (FE.hadUnreadableFile())
    return ExitUsage;
  if (Diags.hasErrors() || (Werror && Diags.numWarnings()))
    return ExitFailure;
  return ExitOk;
}
