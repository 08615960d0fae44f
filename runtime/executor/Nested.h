//===- Nested.h - runs started by agents inside another run ------*- C++ -*-===//
//
// An agent may run `connectorc run SUB.connector.json` in its session. That
// child run finds its parent in its environment (CONNECTOR_RUN_DIR and
// CONNECTOR_TASK, which every session gets), nests its run directory in the
// parent task's session directory, and is bound by the parent's limits:
//  - concurrency: one pool of job slots for the whole tree of runs, shared as
//    GNU make shares its jobs, through a pipe that holds one byte per free
//    slot; every run has one slot of its own without a byte (the root's own,
//    a child's lent by the parent task that waits for it);
//  - budget: the parent passes what is left of its budget
//    (CONNECTOR_BUDGET_LEFT_USD) and a child estimated above it does not
//    start;
//  - interruption: the child is in its agent's process group, which the
//    parent stops; it stops its own sessions in turn.
// The parent's summary lists the child runs of each task.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_NESTED_H
#define CONNECTORC_RUNTIME_NESTED_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace connectorc::runtime {

/// What a run started in a session knows of the run around it.
struct ParentRun {
  std::string RunDir;    ///< CONNECTOR_RUN_DIR
  std::string Task;      ///< CONNECTOR_TASK
  std::string JobServer; ///< CONNECTOR_JOBSERVER ("" = none)
  std::optional<double> BudgetLeftUsd; ///< CONNECTOR_BUDGET_LEFT_USD
};

/// The parent of this process's run, when it runs inside a session.
std::optional<ParentRun> parentFromEnvironment();

/// Where a child run of \p Workflow goes by default:
/// `<parent>/sessions/<task>/teams/<workflow>`, with -2, -3... when taken.
std::string nestedRunDir(const ParentRun &P, llvm::StringRef Workflow);

/// The summaries of the child runs task \p TaskId of the run in \p RunDir
/// started, one object per run (workflow, run_dir, status, tasks, cost),
/// in name order; runs without a summary (still going, or killed) are
/// listed with the status "unfinished".
std::vector<llvm::json::Object> childRuns(llvm::StringRef RunDir,
                                          llvm::StringRef TaskId);

/// A pool of job slots shared across processes (see the file comment): a
/// pipe holding one byte per free slot, whose two ends every session
/// inherits (not a named FIFO: a program walking the run directory, cp -R or
/// a test, would block opening it). CONNECTOR_JOBSERVER names the ends:
/// "R,W".
class JobServer {
public:
  /// The pool of a root run of \p Slots jobs: \p Slots - 1 bytes.
  static llvm::Expected<std::unique_ptr<JobServer>>
  create(boost::asio::io_context &Io, unsigned Slots);
  /// The parent's pool, from CONNECTOR_JOBSERVER's value.
  static llvm::Expected<std::unique_ptr<JobServer>>
  join(boost::asio::io_context &Io, llvm::StringRef Spec);
  ~JobServer();

  /// Takes a free slot, if there is one now.
  bool tryTake();
  /// Returns a slot taken with tryTake().
  void giveBack();
  /// For a root pool (create), when no session of its run is running, so
  /// no run it started can hold a slot: puts back the slots missing from
  /// the pipe beyond the \p Held its own tasks hold. A run killed with
  /// SIGKILL never gives back what it took; without this its parent would
  /// run with that many fewer slots to the end. The number put back (0 for
  /// a joined pool).
  unsigned recoverLost(unsigned Held);
  /// Calls \p Then once a slot may be free (one wait at a time).
  void whenFree(std::function<void()> Then);
  /// "R,W", for CONNECTOR_JOBSERVER.
  const std::string &spec() const { return Spec; }

private:
  JobServer(boost::asio::io_context &Io, int Read, int Write,
            unsigned Tokens);
  boost::asio::posix::stream_descriptor Reader;
  int Write;
  unsigned Tokens; ///< the bytes a root pool holds when every slot is free
  std::string Spec;
  bool Waiting = false;
};

} // namespace connectorc::runtime

#endif
