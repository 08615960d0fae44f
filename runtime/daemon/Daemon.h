//===- Daemon.h - the session daemon ------------------------------*- C++ -*-===//
//
// `connectorc daemon`: a per-user server on $XDG_RUNTIME_DIR/connectorc/
// daemon.sock (or /tmp/connectorc-UID/daemon.sock) that holds detached runs.
// Each run it starts is a `connectorc run` process of its own, in a session
// of its own, with its own control socket (Control.h), so that the daemon,
// the runs and the clients can each end without the others:
//   - a run goes on whatever happens to the terminal that started it;
//   - a run that dies before its end (killed, out of memory) is continued
//     from its journal (`run --resume`): a finished task never runs again;
//   - a daemon killed with SIGKILL loses nothing: started again, it finds
//     the runs it held (runtime directory, daemon/*.json), keeps watching
//     the live ones and continues the others;
//   - `connectorc daemon --stop` stops every run it holds, as Ctrl-C does,
//     waits for them, and exits.
// Its socket speaks the control protocol (docs/control-protocol.md).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_DAEMON_H
#define CONNECTORC_RUNTIME_DAEMON_H

#include "runtime/daemon/Control.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// How many times a run that died before its end is continued.
inline constexpr unsigned MaxRunRestarts = 3;

/// The daemon's socket in the runtime directory \p RuntimeDir.
std::string daemonSocket(llvm::StringRef RuntimeDir);

/// What runs on the daemon's loop beside its socket (`connectorc serve`'s
/// HTTP server): destroyed when the daemon stops, before its loop is.
class DaemonExtension {
public:
  virtual ~DaemonExtension() = default;
};
/// Makes the extension, once the daemon's socket listens, with the loop and
/// the daemon's own operations (status, stop, call("start")); an error
/// stops the daemon before it serves.
using DaemonAddOn =
    std::function<llvm::Expected<std::unique_ptr<DaemonExtension>>(
        boost::asio::io_context &Io, RunControl &Daemon)>;

/// Serves until stopped (`daemon --stop`, SIGTERM, SIGINT). \p SelfExe
/// starts the runs; \p InheritedFd >= 0 is a listening socket from systemd;
/// \p AddOn, when given, runs beside it on its loop.
llvm::Error serveDaemon(const std::string &SelfExe, int InheritedFd,
                        DaemonAddOn AddOn = nullptr);

/// Whether a daemon answers on the user's runtime directory's socket.
bool daemonAnswers();

/// A connection to the daemon, started first when none answers.
llvm::Error ensureDaemon(const std::string &SelfExe);

/// What `run --detach` asks of the daemon: start `connectorc run ARGS` in
/// \p Cwd with \p Env, whose run directory is \p RunDir. The answer has the
/// run's "id" and "pid".
llvm::Expected<llvm::json::Object>
startDetached(const std::string &SelfExe, const std::vector<std::string> &Args,
              const std::string &Cwd, const std::vector<std::string> &Env,
              const std::string &RunDir);

/// `daemon --stop`: asks the daemon to stop its runs and exit, and waits for
/// it; nothing when none runs.
llvm::Error stopDaemon(llvm::raw_ostream &Msgs);

/// The user units that start the daemon by systemd's socket activation.
std::string systemdUnits(const std::string &SelfExe);

} // namespace connectorc::runtime

#endif
