//===- AnswerFuzzer.cpp - libFuzzer target: structured CLI output ----------===//
//
// Feeds arbitrary bytes to the answer extractor (runtime/executor/StructuredAnswer.h),
// what the runtime runs on a CLI's output when the registry says it prints
// JSON. The input's first line says where to look, tab-separated:
//
//   FIELD <tab> INPUT_TOKENS <tab> OUTPUT_TOKENS <tab> COST_USD <tab>
//   SESSION_ID [<tab> POINTER=VALUE ...]
//
// (the registry's answer_json_field, its usage pointers, and its
// answer_json_where conditions); the rest is the CLI's output. Both the field
// and the output come from outside (a user registry, the CLI), so neither may
// crash it. A crash or a sanitizer report is a finding.
//
//===----------------------------------------------------------------------===//
#include "runtime/executor/StructuredAnswer.h"

#include "llvm/ADT/SmallVector.h"

#include <cstddef>
#include <cstdint>

using namespace connectorc;
using namespace connectorc::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::StringRef Input(reinterpret_cast<const char *>(Data), Size);
  auto [Header, Output] = Input.split('\n');
  llvm::SmallVector<llvm::StringRef, 8> Parts;
  Header.split(Parts, '\t');
  Parts.resize(std::max<size_t>(Parts.size(), 5));
  ir::UsageFields F;
  F.InputTokens = Parts[1].str();
  F.OutputTokens = Parts[2].str();
  F.CostUsd = Parts[3].str();
  F.SessionId = Parts[4].str();
  ir::EnvList Where;
  for (llvm::StringRef Cond : llvm::makeArrayRef(Parts).drop_front(5)) {
    auto [Ptr, Want] = Cond.split('=');
    Where.emplace_back(Ptr.str(), Want.str());
  }

  StructuredOutput Out(Output);
  llvm::Expected<std::string> Answer = Out.answer(Parts[0], Where);
  if (!Answer)
    llvm::consumeError(Answer.takeError());
  (void)Out.usage(F);
  return 0;
}
