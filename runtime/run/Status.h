//===- Status.h - progress of a run, for people ------------------*- C++
//-*-===//
//
// A status printer hears every event of a run. On a terminal it keeps a
// block like ninja's or Docker Compose's at the bottom: one line per running
// task (name, model, elapsed, state, last line of output) and a totals line,
// with finished tasks scrolling above it. Elsewhere (CI, pipes) it prints one
// plain line per event.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_STATUS_H
#define CONNECTORC_RUNTIME_STATUS_H

#include "runtime/executor/Executor.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace connectorc::runtime {

/// How much a status printer says.
enum class Verbosity { Quiet, Normal, Verbose };

/// Shows a run's progress.
class StatusPrinter {
public:
  virtual ~StatusPrinter() = default;
  /// Every event, as the journal records it.
  virtual void event(const llvm::json::Object &E) = 0;
  /// The run is over: leave the terminal clean.
  virtual void stop() {}
};

/// One plain line per event on \p OS ("TASK: waiting for input: LAST
/// LINE" once per change to waiting).
std::unique_ptr<StatusPrinter>
createPlainStatus(llvm::raw_ostream &OS, const Executor &X, Verbosity V);

/// The live block on terminal \p FD (redrawn on a timer of \p Io). A task
/// waiting for input has a "?" in the margin and is counted in the totals
/// line; with \p Bell, each change to waiting rings the terminal's bell.
std::unique_ptr<StatusPrinter> createTerminalStatus(boost::asio::io_context &Io,
                                                    int FD, const Executor &X,
                                                    Verbosity V,
                                                    bool Bell = true);

/// The event as one plain line ("" when \p V does not show it).
std::string describeEvent(const llvm::json::Object &E, Verbosity V);

} // namespace connectorc::runtime

#endif
