//===- PassManager.cpp - running the pipeline -----------------------------===//
#include "passes/PassManager.h"

#include "ir/Printer.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Timer.h"

#include <deque>

using namespace connectorc;

static const PassInfo Passes[] = {
#define PASS(Name, Flag, Description) {Flag, Description, run##Name},
#include "passes/Passes.def"
};

llvm::ArrayRef<PassInfo> connectorc::allPasses() { return Passes; }

const PassInfo *connectorc::findPass(llvm::StringRef Flag) {
  for (const PassInfo &P : Passes)
    if (P.Flag == Flag)
      return &P;
  return nullptr;
}

static std::string planText(const ir::Plan &P) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  ir::printPlan(OS, P);
  return S;
}

bool connectorc::runPipeline(Compilation &C) {
  llvm::raw_ostream &Dump = C.Opts.Dump ? *C.Opts.Dump : llvm::errs();
  std::optional<llvm::TimerGroup> Timers;
  // A group prints its report when its last timer goes away, so the timers
  // live until every pass has run.
  std::deque<llvm::Timer> PassTimers;
  if (C.Opts.TimePasses)
    Timers.emplace("connectorc", "connectorc pass execution timing");
  std::string Last = C.Opts.PrintChanged ? planText(C.Plan) : "";
  bool Ok = true;
  for (const PassInfo &P : Passes) {
    llvm::Timer *T = nullptr;
    if (Timers) {
      T = &PassTimers.emplace_back(P.Flag, P.Flag, *Timers);
      T->startTimer();
    }
    Ok = P.Run(C);
    if (T)
      T->stopTimer();
    if (C.Opts.PrintChanged) {
      std::string Now = planText(C.Plan);
      if (Now == Last)
        Dump << "*** IR Dump After " << P.Flag << " omitted because no change ***\n";
      else
        Dump << "*** IR Dump After " << P.Flag << " ***\n" << Now;
      Last = std::move(Now);
    } else if (C.Opts.PrintAfterAll ||
               llvm::is_contained(C.Opts.PrintAfter, P.Flag)) {
      Dump << "*** IR Dump After " << P.Flag << " ***\n";
      ir::printPlan(Dump, C.Plan);
    }
    if (!Ok)
      break;
  }
  if (Timers)
    Timers->print(Dump, /*ResetAfterPrint=*/true);
  PassTimers.clear();
  return Ok;
}
