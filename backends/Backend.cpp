//===- Backend.cpp - the backend table ------------------------------------===//
#include "backends/Backend.h"

using namespace connectorc;

static const BackendInfo Backends[] = {
#define BACKEND(Name, Flag, Description) {Flag, Description, emit##Name},
#include "backends/Backends.def"
};

llvm::ArrayRef<BackendInfo> connectorc::allBackends() { return Backends; }

const BackendInfo *connectorc::findBackend(llvm::StringRef Flag) {
  for (const BackendInfo &B : Backends)
    if (B.Flag == Flag)
      return &B;
  return nullptr;
}
