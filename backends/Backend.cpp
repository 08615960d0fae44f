//===- Backend.cpp - the backend table ------------------------------------===//
#include "backends/Backend.h"

using namespace connectorc;

static const BackendInfo Backends[] = {
#define BACKEND(Name, Flag, Description) {Flag, Description, emit##Name},
#include "backends/Backends.def"
};

llvm::ArrayRef<BackendInfo> connectorc::allBackends() { return Backends; }

llvm::Error connectorc::refuseMesh(const ir::Plan &P, llvm::StringRef Backend) {
  for (const ir::PlanStage &S : P.Stages)
    if (S.Kind == ir::StageKind::Mesh)
      return llvm::createStringError(
          std::errc::not_supported,
          "--emit=%s: stage '%s' is a mesh, whose agents message each other "
          "while they run and need a supervisor: a mesh stage needs the "
          "runtime; run the workflow with `connectorc run`, or use --emit=sh "
          "or --emit=make, which run a mesh stage through `connectorc run "
          "--stage`",
          Backend.str().c_str(), S.Name.c_str());
  return llvm::Error::success();
}

const BackendInfo *connectorc::findBackend(llvm::StringRef Flag) {
  for (const BackendInfo &B : Backends)
    if (B.Flag == Flag)
      return &B;
  return nullptr;
}
