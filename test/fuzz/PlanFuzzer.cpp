//===- PlanFuzzer.cpp - libFuzzer target: the plan loader ------------------===//
//
// Feeds arbitrary bytes to ir::readPlanJson, what `connectorc run PLAN.json`
// reads a plan file with. A plan it accepts must also keep the format's
// promise (ir/PlanJson.h): written out and read back, it reads without error
// and is written again as the same bytes. A crash, a sanitizer report or a
// broken round trip is a finding.
//
//===----------------------------------------------------------------------===//
#include "ir/PlanJson.h"

#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace connectorc;

namespace {
std::string write(const ir::Plan &P) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  ir::writePlanJson(OS, P);
  return S;
}

[[noreturn]] void broken(const char *What, llvm::StringRef Text) {
  std::fprintf(stderr, "plan round trip broken: %s\n--- plan written ---\n%s\n",
               What, Text.str().c_str());
  std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Text(reinterpret_cast<const char *>(Data), Size);
  llvm::Expected<ir::Plan> P = ir::readPlanJson(Text, "fuzz.plan.json");
  if (!P) {
    llvm::consumeError(P.takeError());
    return 0;
  }
  std::string First = write(*P);
  llvm::Expected<ir::Plan> Again = ir::readPlanJson(First, "written.plan.json");
  if (!Again) {
    std::string Why = llvm::toString(Again.takeError());
    std::fprintf(stderr, "%s\n", Why.c_str());
    broken("a plan it wrote does not read back", First);
  }
  if (write(*Again) != First)
    broken("writing it again gives other bytes", First);
  return 0;
}
