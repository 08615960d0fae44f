//===- PtySession.h - agents in real pseudo-terminals ------------*- C++
//-*-===//
//
// The Launcher that runs each agent in a pseudo-terminal of its own: its own
// session and process group with the PTY as controlling terminal, a 120x40
// window, TERM=xterm-256color, started with posix_spawn (vfork + execve, never
// a shell). The master side is read on the event loop; raw bytes go to
// the transcript, stripped text to the answer file, and only a bounded tail
// stays in memory. Exits are collected through one SIGCHLD signal_set.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_PTYSESSION_H
#define CONNECTORC_RUNTIME_PTYSESSION_H

#include "runtime/session/Session.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <sys/types.h>
#include <unordered_map>

namespace connectorc::runtime {

struct PtyState;

/// Starts agents in pseudo-terminals on one io_context.
class PtyLauncher : public Launcher {
public:
  explicit PtyLauncher(boost::asio::io_context &Io);
  ~PtyLauncher() override;

  llvm::Expected<std::unique_ptr<Session>> launch(const LaunchRequest &R,
                                                  SessionDone Done) override;

  /// Sessions whose process has not been reaped yet.
  size_t liveProcesses() const { return Live.size(); }

private:
  void watchChildren();
  void reapChildren();

  boost::asio::io_context &Io;
  boost::asio::signal_set ChildExits;
  std::unordered_map<pid_t, std::shared_ptr<PtyState>> Live;
};

} // namespace connectorc::runtime

#endif
