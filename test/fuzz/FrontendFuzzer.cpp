//===- FrontendFuzzer.cpp - libFuzzer target: bytes through the frontend ---===//
//
// Feeds arbitrary bytes to the same path `connectorc lint` takes — parse with
// positions, validate against the schema, run the checker — and prints the
// diagnostics in every format, so a crash, a sanitizer report, a leak or an
// assertion anywhere on that path is a finding. The text is named
// "fuzz.json": relative team and prompt files resolve against the current
// directory, so run the fuzzer from a directory without stray JSON files.
//
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "ir/DiagnosticPrinter.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

using namespace connectorc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Text(reinterpret_cast<const char *>(Data), Size);
  llvm::SourceMgr SM;
  DiagnosticEngine Diags(SM);
  Frontend FE(Diags);
  FE.loadBuffer(llvm::MemoryBuffer::getMemBufferCopy(Text, "fuzz.json"));

  std::string Out;
  llvm::raw_string_ostream OS(Out);
  for (DiagFormat Format : {DiagFormat::Human, DiagFormat::Json,
                            DiagFormat::Sarif, DiagFormat::Github}) {
    DiagPrintOptions Opts;
    Opts.Format = Format;
    Opts.WarningsAsErrors = Format == DiagFormat::Json;
    printDiagnostics(OS, Diags, Opts);
  }
  return 0;
}
