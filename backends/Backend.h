//===- Backend.h - emitting a plan in some format -----------------*- C++ -*-===//
#ifndef CONNECTORC_BACKENDS_BACKEND_H
#define CONNECTORC_BACKENDS_BACKEND_H

#include "ir/Plan.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace connectorc {

struct EmitOptions {
  /// Where the artifact will be written ("-" for stdout), for backends whose
  /// output refers to its own location.
  std::string OutputPath = "-";
  /// The connectorc binary that is building, absolute: what "{connectorc}"
  /// in a binding's argv (the sim agent of --simulate) becomes by default.
  std::string SelfExe = "connectorc";
  /// The spec or plan file given to `connectorc build`, as given.
  std::string InputPath;
};

#define BACKEND(Name, Flag, Description)                                       \
  llvm::Error emit##Name(llvm::raw_ostream &OS, const ir::Plan &P,             \
                         const EmitOptions &Opts);
#include "backends/Backends.def"

struct BackendInfo {
  llvm::StringRef Flag;
  llvm::StringRef Description;
  llvm::Error (*Emit)(llvm::raw_ostream &, const ir::Plan &,
                      const EmitOptions &);
};

llvm::ArrayRef<BackendInfo> allBackends();

/// An error when \p P has a mesh stage, whose agents message each other
/// while they run and need the runtime as their supervisor: the backends
/// other than sh (which runs such a stage through `connectorc run --stage`)
/// refuse it; \p Backend names the --emit kind in the message.
llvm::Error refuseMesh(const ir::Plan &P, llvm::StringRef Backend);
const BackendInfo *findBackend(llvm::StringRef Flag);

} // namespace connectorc

#endif
