//===- PassManager.h - the pass pipeline from Module to Plan -----*- C++ -*-===//
#ifndef CONNECTORC_PASSES_PASSMANAGER_H
#define CONNECTORC_PASSES_PASSMANAGER_H

#include "ir/Diagnostics.h"
#include "ir/Module.h"
#include "ir/Plan.h"
#include "ir/Template.h"
#include "passes/Registry.h"

#include "llvm/Support/raw_ostream.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace connectorc {

struct PassOptions {
  /// Bind every model to the offline sim agent (prices stay the real ones).
  bool Simulate = false;
  /// With Simulate: provider -> sim failure kind, baked into the simulated
  /// bindings' environment (CONNECTOR_SIM_FAIL) so that an emitted artifact
  /// fails over as `connectorc run --simulate-fail` does.
  std::map<std::string, std::string> SimulateFail;
  std::vector<std::string> PrintAfter;
  bool PrintAfterAll = false;
  bool PrintChanged = false;
  bool TimePasses = false;
  /// Give each task its "file:line:col" origin. Lint turns it off: it prints
  /// no plan, and finding the line of every agent in a large file was 134 M
  /// of its 1.74 G instructions on the benchmark spec (callgrind).
  bool Origins = true;
  /// The plan is lint's, which prints nothing of it: tasks get what the
  /// passes check (ids, models, costs, worktree names, the spec's paths) but
  /// not what only a backend or the runtime reads — prompt text (its size is
  /// kept, for the cost estimate), answer paths, branch names, session copy
  /// and setup lists, sandbox write paths. Building those for the benchmark
  /// spec's 25,842 tasks was 0.1 G of expand-workers' 0.22 G instructions.
  bool LintOnly = false;
  /// Where --print-* and --time-passes write (stderr by default).
  llvm::raw_ostream *Dump = nullptr;
};

/// What the passes share: the module being compiled (with its teams), the
/// plan being built, the registry and the diagnostics.
struct Compilation {
  Compilation(std::shared_ptr<ir::Module> M, const ProviderRegistry &R,
              DiagnosticEngine &Diags, PassOptions Opts = {})
      : Root(std::move(M)), Registry(R), Diags(Diags), Opts(std::move(Opts)),
        ErrorsAtStart(Diags.numErrors()) {
    Modules.push_back(Root.get());
    ModuleParent.push_back(0);
  }

  /// True once a pass has reported an error for this compilation (lint
  /// shares one engine across files).
  bool failed() const { return Diags.numErrors() > ErrorsAtStart; }

  std::shared_ptr<ir::Module> Root;
  /// Root first, then team modules as lower-topologies inlines them.
  std::vector<const ir::Module *> Modules;
  /// For each module, the module it is a team of (the root: itself).
  std::vector<unsigned> ModuleParent;
  /// For each task, the index in Modules of the module it came from (its
  /// model table and defaults). Compile-time only; not in the plan file.
  std::vector<unsigned> TaskModule;
  /// For each task, the agent it was made from (for positions and session
  /// settings). Compile-time only.
  std::vector<const ir::Agent *> TaskAgent;
  /// For each task, the size of its prompt (cost-route's input estimate):
  /// with PassOptions::LintOnly the only trace of its text. Compile-time only.
  std::vector<std::size_t> PromptBytes;
  /// For each plan stage, the spec stage it was made from (for positions).
  /// Compile-time only.
  std::vector<const ir::Stage *> StageSource;
  /// For each module, model name → binding index (resolve-models).
  std::vector<llvm::StringMap<unsigned>> ModelBindings;
  ir::Plan Plan;
  /// The agent whose prompt file's template problems were reported last:
  /// counted workers share one agent, and its problems are reported once.
  const ir::Agent *PromptProblemsReported = nullptr;
  /// Likewise the last "file:line:col" made, by the location it was made of.
  struct {
    const char *At = nullptr;
    std::string Text;
  } OriginCache;
  const ProviderRegistry &Registry;
  DiagnosticEngine &Diags;
  PassOptions Opts;
  unsigned ErrorsAtStart;
};

#define PASS(Name, Flag, Description) bool run##Name(Compilation &C);
#include "passes/Passes.def"

/// Adds \p B to the plan's binding table, reusing an identical binding (one
/// whose Id and command are the same). Returns its index.
unsigned internBinding(ir::Plan &P, ir::ModelBinding B);

struct PassInfo {
  llvm::StringRef Flag;
  llvm::StringRef Description;
  bool (*Run)(Compilation &);
};

/// The default pipeline, in order.
llvm::ArrayRef<PassInfo> allPasses();
const PassInfo *findPass(llvm::StringRef Flag);

/// Runs the default pipeline over C.Root into C.Plan. Returns false when a
/// pass reported an error (and stops there: later passes assume earlier ones
/// succeeded).
bool runPipeline(Compilation &C);

} // namespace connectorc

#endif
