//===- Control.h - a run's control socket ------------------------*- C++ -*-===//
//
// Every run, in the foreground or in the daemon, listens on a Unix socket of
// its own in the user's runtime directory, which only its owner can open
// (the directory is 0700 and each peer's uid is checked). `ps`, `stop`,
// `send` and `attach` speak to it; the daemon and the HTTP server pass the
// same operations on. The protocol is docs/control-protocol.md: one JSON
// object per line, each request answered by one; `attach` then turns the
// connection into frames of terminal bytes.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_CONTROL_H
#define CONNECTORC_RUNTIME_CONTROL_H

#include "runtime/session/Session.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace connectorc::runtime {

/// The protocol's version: requests carry it as "v"; a server answers a
/// request of another major version with an error naming both.
inline constexpr int ControlProtocolVersion = 1;

/// The longest request line a server reads (a `send` of a long text).
inline constexpr size_t MaxControlLine = 1 << 20;

/// The user's runtime directory for connectorc: $XDG_RUNTIME_DIR/connectorc
/// (\p XdgRuntimeDir) when it is absolute and short enough for the sockets
/// in it, else /tmp/connectorc-UID.
std::string pickUserRuntimeDir(llvm::StringRef XdgRuntimeDir, unsigned Uid);
/// Makes (or checks) it, and its runs/ directory, mode 0700.
llvm::Expected<std::string> userRuntimeDir();

/// A run as the runtime directory lists it (runs/KEY.json).
struct RunEntry {
  std::string Key;     ///< the socket's name: a hash of RunDir
  std::string Id;      ///< RunDir's last component
  std::string RunDir;  ///< absolute
  std::string Workflow;
  std::string Started; ///< UTC, ISO 8601
  int64_t Pid = 0;
  bool Detached = false; ///< started by the daemon
};
/// The key of the run in \p RunDir.
std::string runKey(llvm::StringRef RunDir);
/// Every run listed in \p Dir/runs, oldest first; unreadable entries are
/// left out.
std::vector<RunEntry> listRuns(llvm::StringRef Dir);
/// The run \p Name names: a run id (or a unique prefix of one), a run
/// directory, or a key. An error says why none, or which ones.
llvm::Expected<RunEntry> findRun(llvm::StringRef Dir, llvm::StringRef Name);

/// What a control socket does; the runtime's Runner implements it.
class RunControl {
public:
  virtual ~RunControl() = default;
  /// The run and its tasks (docs/control-protocol.md, "status").
  virtual llvm::json::Object status() = 0;
  /// Ends the run (\p Task empty) or one task, as Ctrl-C does.
  virtual llvm::Error stop(llvm::StringRef Task) = 0;
  /// `connectorc done`: interactive task \p Task (empty: the only running
  /// one) ends now with its last message; \p Id is set to its id.
  virtual llvm::Error done(llvm::StringRef Task, std::string &Id) {
    (void)Task;
    (void)Id;
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "this server has no interactive tasks");
  }
  /// Task \p Task's terminal (empty: the only running task's); \p Id is set
  /// to the task's id.
  virtual llvm::Expected<Terminal *> terminal(llvm::StringRef Task,
                                              std::string &Id) = 0;
  /// Any other operation \p Op: its answer (with "ok"), or none when this
  /// server does not know it.
  virtual std::optional<llvm::json::Object>
  call(llvm::StringRef Op, const llvm::json::Object &Request) {
    (void)Op;
    (void)Request;
    return std::nullopt;
  }
};

/// Frames of an attached connection: a type byte, a 32-bit big-endian
/// length, the payload.
enum class Frame : char {
  Output = 'o', ///< server to client: the agent's terminal bytes
  Closed = 'x', ///< server to client: the session ended (payload: why)
  Input = 'i',  ///< client to server: keystrokes (a writer's only)
  Resize = 'r', ///< client to server: rows, cols (16-bit big-endian each)
  Detach = 'd', ///< client to server: the client leaves
};
/// How deeply a request (or an answer) may nest arrays and objects: real
/// ones nest three levels.
inline constexpr unsigned MaxControlNesting = 64;
/// The longest frame either side accepts.
inline constexpr uint32_t MaxFrame = 1 << 20;
std::string encodeFrame(Frame F, llvm::StringRef Payload);
/// Takes the whole frames off the front of \p Buf, in order, calling
/// \p OnFrame on each, and leaves an incomplete one there for the next read.
/// False, at once, on a frame longer than MaxFrame or when \p OnFrame says
/// false (the connection is to close).
bool splitFrames(std::string &Buf,
                 llvm::function_ref<bool(Frame, llvm::StringRef)> OnFrame);

/// The largest window side a client may ask for (rows or columns), in an
/// attach request or a Resize frame.
inline constexpr unsigned MaxWindowSide = 1000;

/// One connection's side of the protocol: the session it attached to.
struct ControlAttachment {
  Terminal *Term = nullptr; ///< set by "attach"; cleared when it ends
  std::string Task;         ///< the attached task's id
  bool Writer = false;      ///< it may type (then Task is in the writers)
};

/// The server's handling of one request line \p Line (a trailing CR/LF is
/// ignored) on the connection \p Conn of a server for \p Run; \p Writers
/// is the server's set of tasks a client types into (one writer a task).
/// The answer, with "v" and "ok"; an "attach" it grants sets \p Conn, after
/// which the connection carries frames.
llvm::json::Object handleControlLine(RunControl &Run, llvm::StringRef Line,
                                     std::set<std::string> &Writers,
                                     ControlAttachment &Conn);
/// The server's handling of frame \p F from the client attached as \p Conn:
/// keys and window sizes reach the terminal (a writer's only). False when
/// the connection is to close: a detach, a malformed Resize, or a frame
/// that is not a client's.
bool handleClientFrame(ControlAttachment &Conn, Frame F,
                       llvm::StringRef Payload);

/// Listens on a run's socket on \p Io; serves until destroyed.
class ControlServer {
public:
  ControlServer(boost::asio::io_context &Io, RunControl &Run);
  ~ControlServer();
  /// Creates the socket at \p Path (replacing a stale one) and, given
  /// \p Entry, the run's entry beside it; an error when either cannot be
  /// made.
  llvm::Error listen(const std::string &Path, const RunEntry *Entry);
  /// Serves on \p Fd, a listening socket made by another (systemd's socket
  /// activation), at \p Path.
  llvm::Error adopt(int Fd, const std::string &Path);
  /// Removes the socket and the entry (the run is over).
  void close();
  /// Stops accepting and removes the socket and the entry at once; the
  /// connections are closed once what was queued for them is sent (an
  /// attached client still gets the session's end), or after a second.
  /// \p Done runs then, on the loop or before this returns.
  void closeGracefully(std::function<void()> Done);

  struct Impl;

private:
  std::unique_ptr<Impl> I;
};

/// A client's connection to a run's (or the daemon's) socket.
class ControlClient {
public:
  static llvm::Expected<ControlClient> connect(const std::string &Path);
  ControlClient(ControlClient &&) noexcept;
  ControlClient &operator=(ControlClient &&) noexcept;
  ~ControlClient();
  /// Sends \p Request (adding "v") and reads the answer; an error when the
  /// connection fails or the answer says "ok": false (its "error").
  llvm::Expected<llvm::json::Object> call(llvm::json::Object Request);
  /// call() in two halves, to ask several servers at once: send each its
  /// request, then read each answer (the servers work meanwhile).
  llvm::Error send(llvm::json::Object Request);
  llvm::Expected<llvm::json::Object> receive();
  /// The socket, for attach's frames after its request was answered.
  int fd() const { return FD; }
  /// Bytes read past the answer's line (the first frames).
  std::string takeRest() { return std::move(Rest); }

private:
  explicit ControlClient(int FD) : FD(FD) {}
  int FD = -1;
  std::string Rest;
};

/// `connectorc attach`: joins this terminal (standard input and output) to
/// the session of \p Task in the run at \p Socket until the session ends or
/// the user types the detach keys (\p DetachKey, then 'd').
llvm::Error attachTerminal(const std::string &Socket, llvm::StringRef Task,
                           bool ReadOnly, char DetachKey,
                           llvm::raw_ostream &Msgs);

} // namespace connectorc::runtime

#endif
