//===- RegistryFuzzer.cpp - libFuzzer target: the provider registry file ---===//
//
// Feeds arbitrary bytes to ProviderRegistry::load as the user's registry
// file (`--providers FILE`, ~/.config/connectorc/providers.json): parsed,
// validated against passes/providers.schema.json, merged over the built-in
// registry, its patterns compiled. Its problems are printed as diagnostics;
// a registry it accepts has every provider bound to each of its models, as
// the resolve-models pass does. A crash or a sanitizer report is a finding.
//
// load() reads a file, so each input is written to one file in a directory of
// its own under $TMPDIR, removed when the fuzzer exits. A registry it accepts
// also adds its providers and shorthands to process-wide tables (as in the
// compiler); they only grow.
//
//===----------------------------------------------------------------------===//
#include "ir/DiagnosticPrinter.h"
#include "passes/Registry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace connectorc;

namespace {
std::string InputDir;

/// Removes the input and its directory when the fuzzer exits.
void removeInput() {
  llvm::sys::fs::remove(InputDir + "/providers.json");
  llvm::sys::fs::remove(InputDir);
}

/// The file each input is written to, in a fresh directory.
const std::string &inputPath() {
  static const std::string Path = [] {
    llvm::SmallString<128> Dir;
    if (std::error_code EC =
            llvm::sys::fs::createUniqueDirectory("connectorc-fuzz", Dir)) {
      std::fprintf(stderr, "cannot make a directory: %s\n",
                   EC.message().c_str());
      std::exit(1);
    }
    InputDir = std::string(Dir);
    std::atexit(removeInput);
    return InputDir + "/providers.json";
  }();
  return Path;
}

void writeInput(llvm::StringRef Text) {
  std::error_code EC;
  llvm::raw_fd_ostream OS(inputPath(), EC);
  OS << Text;
  OS.close();
  if (EC || OS.has_error()) {
    std::fprintf(stderr, "cannot write %s\n", inputPath().c_str());
    std::exit(1);
  }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  writeInput(llvm::StringRef(reinterpret_cast<const char *>(Data), Size));
  llvm::SourceMgr SM;
  DiagnosticEngine Diags(SM);
  std::optional<ProviderRegistry> R =
      ProviderRegistry::load(inputPath(), Diags);
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  printDiagnostics(OS, Diags, DiagPrintOptions());
  if (!R)
    return 0;
  for (const std::string &Name : R->providerNames()) {
    const Provider *P = R->find(Name);
    if (!P)
      continue;
    (void)R->bind(*P, "");
    for (const RegistryModel &M : P->Models)
      (void)R->bind(*P, M.Name);
  }
  return 0;
}
