//===- Status.cpp - progress of a run, for people -------------------------===//
#include "runtime/run/Status.h"
#include "runtime/executor/Journal.h"

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace json = llvm::json;

namespace {
/// RunningTask::State of a session that waits for input.
constexpr llvm::StringLiteral WaitingState = "waiting for input";

llvm::StringRef str(const json::Object &E, llvm::StringRef Key) {
  return eventString(E, Key);
}

/// A session's change to waiting for input: someone should answer it.
bool isWaiting(const json::Object &E) {
  return str(E, "event") == "session-state" &&
         str(E, "state") == WaitingState;
}

bool isProblem(const json::Object &E) {
  llvm::StringRef Kind = str(E, "event"), St = str(E, "status");
  return Kind == "failover" || Kind == "retry" || Kind == "warning" ||
         isWaiting(E) ||
         (Kind == "task-done" && St != "succeeded" && St != "skipped-until");
}

std::string describeDone(const json::Object &E) {
  llvm::StringRef St = str(E, "status");
  if (St == "succeeded")
    return fmt::format("{}: succeeded", str(E, "task").str());
  if (St == "skipped-until")
    return fmt::format("{}: skipped (the dialogue ended)",
                       str(E, "task").str());
  return fmt::format("{}: {} ({})", str(E, "task").str(),
                     St == "failed" ? "FAILED" : St.str(),
                     str(E, "reason").str());
}
} // namespace

std::string runtime::describeEvent(const json::Object &E, Verbosity V) {
  llvm::StringRef Kind = str(E, "event");
  if (V == Verbosity::Quiet && !isProblem(E))
    return "";
  std::string Task = str(E, "task").str();
  if (Kind == "attempt-start")
    return fmt::format("{}: started on {} (attempt {})", Task,
                       str(E, "binding").str(), eventInteger(E, "attempt"));
  if (Kind == "attempt-end" && V == Verbosity::Verbose)
    return fmt::format(
        "{}: {} ended: {}, exit status {}, {:.1f}s{}", Task,
        str(E, "binding").str(), str(E, "outcome").str(),
        eventInteger(E, "exit_code"), eventNumber(E, "duration_s"),
        E.getString("detail") ? ": " + str(E, "detail").str() : "");
  if (Kind == "failover")
    return fmt::format("{}: {} failed ({}): failing over", Task,
                       str(E, "from").str(), str(E, "reason").str());
  if (Kind == "retry")
    return fmt::format("{}: retry {} after {}", Task, eventInteger(E, "retry"),
                       str(E, "reason").str());
  if (Kind == "backoff" && V == Verbosity::Verbose)
    return fmt::format("{}: waiting {:.1f}s: {}", Task,
                       eventNumber(E, "delay_s"), str(E, "reason").str());
  if (Kind == "task-done")
    return describeDone(E);
  if (isWaiting(E))
    return fmt::format("{}: waiting for input: {}", Task,
                       str(E, "last_line").str());
  if (Kind == "warning")
    return fmt::format("{}: warning: {}", Task, str(E, "message").str());
  return "";
}

namespace {
class PlainStatus : public StatusPrinter {
public:
  PlainStatus(llvm::raw_ostream &OS, const Executor &X, Verbosity V)
      : OS(OS), X(X), V(V) {}
  void event(const json::Object &E) override {
    std::string Line = describeEvent(E, V);
    if (Line.empty())
      return;
    OS << fmt::format("[{}/{}] ", X.finished(), X.plan().Tasks.size()) << Line
       << '\n';
    OS.flush();
  }

private:
  llvm::raw_ostream &OS;
  const Executor &X;
  Verbosity V;
};

/// Cuts \p S to \p Width columns (bytes; agents' lines are mostly ASCII).
std::string elide(std::string S, size_t Width) {
  if (S.size() <= Width)
    return S;
  if (Width < 4)
    return S.substr(0, Width);
  return S.substr(0, Width - 3) + "...";
}

class TerminalStatus : public StatusPrinter {
public:
  TerminalStatus(boost::asio::io_context &Io, int FD, const Executor &X,
                 Verbosity V, bool Bell)
      : FD(FD), X(X), V(V), Bell(Bell), Tick(Io) {
    schedule();
  }
  void event(const json::Object &E) override {
    // Once per change to waiting, with the next redraw.
    if (Bell && isWaiting(E))
      Ring = true;
    std::string Line = describeEvent(E, V);
    // Starts show in the block; everything else scrolls above it.
    if (!Line.empty() && str(E, "event") != "attempt-start")
      Scroll.push_back(std::move(Line));
  }
  void stop() override {
    Tick.cancel();
    Stopped = true;
    redraw(/*Final=*/true);
  }

private:
  void schedule() {
    Tick.expires_after(std::chrono::milliseconds(100));
    Tick.async_wait([this](boost::system::error_code EC) {
      if (EC || Stopped)
        return;
      redraw(false);
      schedule();
    });
  }
  size_t width() const {
    struct winsize W {};
    if (::ioctl(FD, TIOCGWINSZ, &W) == 0 && W.ws_col > 10)
      return W.ws_col;
    return 80;
  }
  std::string block(size_t Width) const;
  void redraw(bool Final);

  int FD;
  const Executor &X;
  Verbosity V;
  bool Bell;
  bool Ring = false; ///< a BEL goes out with the next redraw
  boost::asio::steady_timer Tick;
  std::vector<std::string> Scroll;
  std::string Shown; ///< the block on screen now
  unsigned Drawn = 0;
  bool Stopped = false;
};

std::string TerminalStatus::block(size_t Width) const {
  std::string Out;
  std::vector<RunningTask> Rows = X.running();
  size_t Waiting = llvm::count_if(
      Rows, [](const RunningTask &R) { return R.State == WaitingState; });
  if (Rows.size() > 20) // The rest show in the totals line.
    Rows.resize(20);
  // Columns as wide as this block needs (capped), so the last line of
  // output keeps the room that is left.
  size_t IdW = 0, BindingW = 0, StateW = 0;
  for (const RunningTask &R : Rows) {
    IdW = std::max(IdW, std::min<size_t>(X.plan().Tasks[R.Task].Id.size(), 32));
    BindingW = std::max(BindingW, std::min<size_t>(R.Binding.size(), 32));
    StateW = std::max(StateW, R.State.size());
  }
  for (const RunningTask &R : Rows) {
    // "?" in the margin: this one needs someone.
    std::string Line = fmt::format(
        "{} {:<{}}  {:<{}}  {:>4.0f}s  {:<{}}  {}",
        R.State == WaitingState ? '?' : ' ', X.plan().Tasks[R.Task].Id, IdW,
        R.Binding, BindingW, R.ElapsedS, R.State, StateW, R.LastLine);
    Out += elide(Line, Width - 1) + "\n";
  }
  unsigned Total = X.plan().Tasks.size();
  Out += elide(fmt::format("[{}/{}] {} running{}, {} succeeded, {} failed, {} "
                           "skipped",
                           X.finished(), Total, X.count(TaskStatus::Running),
                           Waiting ? fmt::format(" ({} waiting for input)",
                                                 Waiting)
                                   : "",
                           X.count(TaskStatus::Succeeded),
                           X.count(TaskStatus::Failed),
                           X.count(TaskStatus::Skipped)),
               Width - 1) +
         "\n";
  return Out;
}

void TerminalStatus::redraw(bool Final) {
  size_t Width = width();
  std::string Block = block(Width);
  // Nothing new since the last tick: leave the terminal alone.
  if (!Final && Scroll.empty() && Block == Shown && !Ring)
    return;
  std::string Out = Ring ? "\a" : "";
  Ring = false;
  if (Drawn)
    Out += fmt::format("\r\x1b[{}A", Drawn);
  Out += "\x1b[J";
  for (const std::string &Line : Scroll)
    Out += elide(Line, Width - 1) + "\n";
  Scroll.clear();
  Drawn = Final ? 0 : std::count(Block.begin(), Block.end(), '\n');
  Shown = Block;
  if (!Final)
    Out += Block;
  (void)!::write(FD, Out.data(), Out.size());
}
} // namespace

std::unique_ptr<StatusPrinter> runtime::createPlainStatus(llvm::raw_ostream &OS,
                                                          const Executor &X,
                                                          Verbosity V) {
  return std::make_unique<PlainStatus>(OS, X, V);
}

std::unique_ptr<StatusPrinter>
runtime::createTerminalStatus(boost::asio::io_context &Io, int FD,
                              const Executor &X, Verbosity V, bool Bell) {
  return std::make_unique<TerminalStatus>(Io, FD, X, V, Bell);
}
