//===- Control.cpp - a run's control socket -------------------------------===//
#include "runtime/daemon/Control.h"
#include "runtime/support/Files.h"
#include "runtime/support/JsonText.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <set>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace json = llvm::json;
using Local = asio::local::stream_protocol;

namespace {
llvm::Error fail(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

llvm::Error errnoFail(int Err, const llvm::Twine &What) {
  return llvm::createStringError(std::error_code(Err, std::generic_category()),
                                 What + ": " + std::strerror(Err));
}

/// The longest name of a socket in the runtime directory: runs/KEY.sock.
constexpr size_t LongestSocketName = sizeof("/runs/0123456789abcdef.sock");
} // namespace

//===----------------------------------------------------------------------===//
// The runtime directory and its list of runs
//===----------------------------------------------------------------------===//

std::string runtime::pickUserRuntimeDir(llvm::StringRef XdgRuntimeDir,
                                        unsigned Uid) {
  std::string Xdg = (XdgRuntimeDir.rtrim('/') + "/connectorc").str();
  if (XdgRuntimeDir.startswith("/") &&
      Xdg.size() + LongestSocketName < sizeof(sockaddr_un::sun_path))
    return Xdg;
  return "/tmp/connectorc-" + std::to_string(Uid);
}

llvm::Expected<std::string> runtime::userRuntimeDir() {
  const char *Xdg = std::getenv("XDG_RUNTIME_DIR");
  std::string Dir = pickUserRuntimeDir(Xdg ? Xdg : "", ::geteuid());
  llvm::Error E = makePrivateDir(Dir, "connectorc's runtime directory");
  // A stale login's $XDG_RUNTIME_DIR that is gone: /tmp's serves.
  if (E && Xdg && !llvm::sys::fs::is_directory(Xdg)) {
    llvm::consumeError(std::move(E));
    Dir = pickUserRuntimeDir("", ::geteuid());
    E = makePrivateDir(Dir, "connectorc's runtime directory");
  }
  if (E)
    return E;
  if (llvm::Error R = makePrivateDir(Dir + "/runs", "its runs directory"))
    return R;
  return Dir;
}

std::string runtime::runKey(llvm::StringRef RunDir) {
  return fmt::format("{:016x}", llvm::xxHash64(RunDir));
}

namespace {
json::Object entryJson(const RunEntry &E) {
  return json::Object{{"key", E.Key},           {"id", E.Id},
                      {"run_dir", E.RunDir},    {"workflow", E.Workflow},
                      {"started", E.Started},   {"pid", E.Pid},
                      {"detached", E.Detached}};
}

std::optional<RunEntry> readEntry(const std::string &Path) {
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  if (!Buf)
    return std::nullopt;
  llvm::Expected<json::Value> V = json::parse((*Buf)->getBuffer());
  if (!V) {
    llvm::consumeError(V.takeError());
    return std::nullopt;
  }
  const json::Object *O = V->getAsObject();
  if (!O)
    return std::nullopt;
  RunEntry E;
  auto Str = [O](llvm::StringRef K) {
    return O->getString(K).getValueOr("").str();
  };
  E.Key = Str("key");
  E.Id = Str("id");
  E.RunDir = Str("run_dir");
  E.Workflow = Str("workflow");
  E.Started = Str("started");
  E.Pid = O->getInteger("pid").getValueOr(0);
  E.Detached = O->getBoolean("detached").getValueOr(false);
  if (E.Key.empty() || E.RunDir.empty())
    return std::nullopt;
  return E;
}
} // namespace

std::vector<RunEntry> runtime::listRuns(llvm::StringRef Dir) {
  std::vector<RunEntry> Out;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(Dir + "/runs", EC), End;
       It != End && !EC; It.increment(EC))
    if (llvm::StringRef(It->path()).endswith(".json"))
      if (std::optional<RunEntry> E = readEntry(It->path()))
        Out.push_back(std::move(*E));
  std::sort(Out.begin(), Out.end(), [](const RunEntry &A, const RunEntry &B) {
    return std::tie(A.Started, A.Id) < std::tie(B.Started, B.Id);
  });
  return Out;
}

llvm::Expected<RunEntry> runtime::findRun(llvm::StringRef Dir,
                                          llvm::StringRef Name) {
  std::vector<RunEntry> Runs = listRuns(Dir);
  llvm::SmallString<256> Abs(Name);
  llvm::sys::fs::make_absolute(Abs);
  llvm::sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  std::vector<const RunEntry *> Hits;
  for (const RunEntry &E : Runs)
    if (E.Id == Name || E.Key == Name || E.RunDir == Abs.str())
      return E;
  for (const RunEntry &E : Runs)
    if (llvm::StringRef(E.Id).startswith(Name))
      Hits.push_back(&E);
  if (Hits.size() == 1)
    return *Hits.front();
  if (Hits.empty())
    return fail("no run '" + Name +
                "' is running (connectorc ps lists the runs there are)");
  std::string Names;
  for (const RunEntry *E : Hits)
    Names += (Names.empty() ? "" : ", ") + E->Id;
  return fail("'" + Name + "' names " + std::to_string(Hits.size()) +
              " runs (" + Names + "); say which");
}

namespace {
std::string resizePayload(unsigned Rows, unsigned Cols) {
  std::string P(4, '\0');
  P[0] = static_cast<char>((Rows >> 8) & 0xff);
  P[1] = static_cast<char>(Rows & 0xff);
  P[2] = static_cast<char>((Cols >> 8) & 0xff);
  P[3] = static_cast<char>(Cols & 0xff);
  return P;
}
} // namespace

//===----------------------------------------------------------------------===//
// The server
//===----------------------------------------------------------------------===//

namespace {
struct Conn;
} // namespace

struct ControlServer::Impl {
  Impl(asio::io_context &Io, RunControl &Run) : Io(Io), Run(Run) {}
  void accept();
  /// Closes the acceptor, removes the socket and the run's entry.
  void stopListening();
  /// Closes every connection now.
  void closeAll();
  asio::io_context &Io;
  RunControl &Run;
  std::optional<Local::acceptor> Acceptor;
  std::string SocketPath, EntryPath;
  std::set<std::shared_ptr<Conn>> Conns;
  /// The tasks a connection types into.
  std::set<std::string> Writers;
  /// closeGracefully: what runs once the last connection is closed, and
  /// when they are closed anyway.
  std::function<void()> Drained;
  std::optional<asio::steady_timer> Deadline;
};

namespace {
/// How much output a slow viewer may have queued before what it missed is
/// replaced by one redraw of the screen.
constexpr size_t MaxQueued = 4 << 20;

struct Conn : std::enable_shared_from_this<Conn> {
  Conn(ControlServer::Impl &Srv, Local::socket Sock)
      : Srv(Srv), Sock(std::move(Sock)), Lines(MaxControlLine) {}

  void readLine();
  void onLine(llvm::StringRef Line);
  void send(std::string Bytes);
  void writeMore();
  void readFrames();
  void onOutput(llvm::StringRef Bytes, bool Closed);
  void close();

  ControlServer::Impl &Srv;
  Local::socket Sock;
  asio::streambuf Lines;
  std::array<char, 16 * 1024> Buf;
  std::string Frames;
  std::deque<std::string> Out;
  size_t Queued = 0;
  bool Writing = false, Closing = false, Closed = false;
  ControlAttachment A;
  unsigned ListenId = 0;
};

void Conn::readLine() {
  asio::async_read_until(
      Sock, Lines, '\n',
      [Self = shared_from_this()](boost::system::error_code EC, size_t N) {
        if (EC == asio::error::not_found) {
          Self->send(toJsonText(json::Object{
                         {"v", ControlProtocolVersion},
                         {"ok", false},
                         {"error", "request longer than " +
                                       std::to_string(MaxControlLine) +
                                       " bytes"}}) +
                     "\n");
          Self->Closing = true;
          return;
        }
        if (EC) {
          Self->close();
          return;
        }
        std::string Line(asio::buffers_begin(Self->Lines.data()),
                         asio::buffers_begin(Self->Lines.data()) + N);
        Self->Lines.consume(N);
        Self->onLine(Line);
      });
}

void Conn::onLine(llvm::StringRef Line) {
  send(toJsonText(
           json::Value(handleControlLine(Srv.Run, Line, Srv.Writers, A))) +
       "\n");
  if (!A.Term) {
    readLine();
    return;
  }
  // What came after the request is the first frames.
  Frames.assign(asio::buffers_begin(Lines.data()),
                asio::buffers_end(Lines.data()));
  Lines.consume(Lines.size());
  send(encodeFrame(Frame::Output, A.Term->screen().redraw()));
  ListenId = A.Term->listen([W = std::weak_ptr<Conn>(shared_from_this())](
                                llvm::StringRef Bytes, bool Closed) {
    if (std::shared_ptr<Conn> Self = W.lock())
      Self->onOutput(Bytes, Closed);
  });
  if (!splitFrames(Frames, [this](Frame F, llvm::StringRef P) {
        return handleClientFrame(A, F, P);
      })) {
    close();
    return;
  }
  readFrames();
}

void Conn::onOutput(llvm::StringRef Bytes, bool SessionClosed) {
  if (SessionClosed) {
    A.Term = nullptr;
    ListenId = 0;
    send(encodeFrame(Frame::Closed, "the session ended"));
    Closing = true;
    return;
  }
  if (Queued > MaxQueued) {
    // A viewer that cannot keep up gets the screen as it is now instead.
    Out.erase(Out.begin() + (Writing ? 1 : 0), Out.end());
    Queued = Writing ? Out.front().size() : 0;
    send(encodeFrame(Frame::Output, A.Term->screen().redraw()));
    return;
  }
  send(encodeFrame(Frame::Output, Bytes));
}

void Conn::readFrames() {
  Sock.async_read_some(
      asio::buffer(Buf),
      [Self = shared_from_this()](boost::system::error_code EC, size_t N) {
        if (EC) {
          Self->close();
          return;
        }
        Self->Frames.append(Self->Buf.data(), N);
        if (!splitFrames(Self->Frames, [&](Frame F, llvm::StringRef P) {
              return handleClientFrame(Self->A, F, P);
            })) {
          Self->close();
          return;
        }
        if (!Self->Closed)
          Self->readFrames();
      });
}

void Conn::send(std::string Bytes) {
  if (Closed)
    return;
  Queued += Bytes.size();
  Out.push_back(std::move(Bytes));
  writeMore();
}

void Conn::writeMore() {
  if (Writing || Closed)
    return;
  if (Out.empty()) {
    if (Closing)
      close();
    return;
  }
  Writing = true;
  asio::async_write(Sock, asio::buffer(Out.front()),
                    [Self = shared_from_this()](boost::system::error_code EC,
                                                size_t) {
                      Self->Writing = false;
                      if (EC) {
                        Self->close();
                        return;
                      }
                      Self->Queued -= Self->Out.front().size();
                      Self->Out.pop_front();
                      Self->writeMore();
                    });
}

void Conn::close() {
  if (Closed)
    return;
  Closed = true;
  if (A.Term && ListenId && A.Writer)
    A.Term->hold(false);
  if (A.Term && ListenId)
    A.Term->unlisten(ListenId);
  A.Term = nullptr;
  if (A.Writer)
    Srv.Writers.erase(A.Task);
  boost::system::error_code Ignored;
  Sock.close(Ignored);
  Srv.Conns.erase(shared_from_this());
  if (Srv.Conns.empty() && Srv.Drained) {
    if (Srv.Deadline)
      Srv.Deadline->cancel();
    std::function<void()> Done = std::move(Srv.Drained);
    Srv.Drained = nullptr;
    Done();
  }
}
} // namespace

void ControlServer::Impl::accept() {
  Acceptor->async_accept([this](boost::system::error_code EC,
                                Local::socket Sock) {
    if (EC == asio::error::operation_aborted || !Acceptor->is_open())
      return;
    if (!EC) {
      // Only the run's owner: the directory is private, and the peer's uid
      // is checked too (a descriptor passed on would get past the first).
      struct ucred Peer {};
      socklen_t Len = sizeof Peer;
      // Never inherited by the agents this process starts (Asio does not
      // set close-on-exec): an agent holding it could reach the run.
      ::fcntl(Sock.native_handle(), F_SETFD, FD_CLOEXEC);
      if (::getsockopt(Sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &Peer,
                       &Len) == 0 &&
          Peer.uid == ::geteuid()) {
        auto C = std::make_shared<Conn>(*this, std::move(Sock));
        Conns.insert(C);
        C->readLine();
      }
    }
    accept();
  });
}

ControlServer::ControlServer(asio::io_context &Io, RunControl &Run)
    : I(std::make_unique<Impl>(Io, Run)) {}

ControlServer::~ControlServer() { close(); }

llvm::Error ControlServer::adopt(int Fd, const std::string &Path) {
  boost::system::error_code EC;
  I->Acceptor.emplace(I->Io);
  I->Acceptor->assign(Local(), Fd, EC);
  ::fcntl(Fd, F_SETFD, FD_CLOEXEC);
  if (EC) {
    I->Acceptor.reset();
    return fail("cannot use the socket systemd passed: " + EC.message());
  }
  (void)Path; // systemd made it, and removes it.
  I->accept();
  return llvm::Error::success();
}

llvm::Error ControlServer::listen(const std::string &Path,
                                  const RunEntry *Entry) {
  if (Path.size() >= sizeof(sockaddr_un::sun_path))
    return fail("the socket path '" + Path + "' is too long");
  // A socket left by a run that is gone is replaced; a live one is not.
  if (llvm::sys::fs::exists(Path)) {
    Local::socket Probe(I->Io);
    boost::system::error_code EC;
    Probe.connect(Local::endpoint(Path), EC);
    if (!EC)
      return fail("another connectorc listens on " + Path);
    ::unlink(Path.c_str());
  }
  boost::system::error_code EC;
  I->Acceptor.emplace(I->Io);
  I->Acceptor->open(Local(), EC);
  if (!EC)
    ::fcntl(I->Acceptor->native_handle(), F_SETFD, FD_CLOEXEC);
  if (!EC)
    I->Acceptor->bind(Local::endpoint(Path), EC);
  if (!EC)
    I->Acceptor->listen(asio::socket_base::max_listen_connections, EC);
  if (EC) {
    I->Acceptor.reset();
    return fail("cannot listen on " + Path + ": " + EC.message());
  }
  ::chmod(Path.c_str(), 0600);
  I->SocketPath = Path;
  if (Entry) {
    std::string EntryPath =
        (llvm::sys::path::parent_path(Path) + "/" + Entry->Key + ".json").str();
    if (llvm::Error E = writeFileAtomic(
            EntryPath, toJsonText(json::Value(entryJson(*Entry))) + "\n")) {
      close();
      return E;
    }
    I->EntryPath = EntryPath;
  }
  I->accept();
  return llvm::Error::success();
}

void ControlServer::Impl::stopListening() {
  if (Acceptor) {
    boost::system::error_code Ignored;
    Acceptor->close(Ignored);
    Acceptor.reset();
  }
  if (!EntryPath.empty())
    ::unlink(EntryPath.c_str());
  if (!SocketPath.empty())
    ::unlink(SocketPath.c_str());
  EntryPath.clear();
  SocketPath.clear();
}

void ControlServer::Impl::closeAll() {
  // A copy: each close() takes its connection out of Conns.
  for (const std::shared_ptr<Conn> &C :
       std::vector<std::shared_ptr<Conn>>(Conns.begin(), Conns.end()))
    C->close();
}

void ControlServer::closeGracefully(std::function<void()> Done) {
  I->stopListening();
  for (const std::shared_ptr<Conn> &C :
       std::vector<std::shared_ptr<Conn>>(I->Conns.begin(), I->Conns.end())) {
    C->Closing = true;
    if (!C->Writing && C->Out.empty())
      C->close();
  }
  if (I->Conns.empty()) {
    Done();
    return;
  }
  I->Drained = std::move(Done);
  I->Deadline.emplace(I->Io, std::chrono::seconds(1));
  I->Deadline->async_wait([Impl = I.get()](boost::system::error_code EC) {
    if (!EC)
      Impl->closeAll();
  });
}

void ControlServer::close() {
  if (!I)
    return;
  I->stopListening();
  if (I->Deadline)
    I->Deadline->cancel();
  I->Drained = nullptr;
  I->closeAll();
}

//===----------------------------------------------------------------------===//
// The client
//===----------------------------------------------------------------------===//

namespace {
/// How long a client waits for an answer.
constexpr int AnswerTimeoutMs = 10000;

bool writeAllFd(int FD, llvm::StringRef Data) {
  while (!Data.empty()) {
    ssize_t N = ::write(FD, Data.data(), Data.size());
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return false;
    Data = Data.drop_front(static_cast<size_t>(N));
  }
  return true;
}
} // namespace

llvm::Expected<ControlClient> ControlClient::connect(const std::string &Path) {
  sockaddr_un Addr{};
  Addr.sun_family = AF_UNIX;
  if (Path.size() >= sizeof Addr.sun_path)
    return fail("the socket path '" + Path + "' is too long");
  std::memcpy(Addr.sun_path, Path.c_str(), Path.size() + 1);
  int FD = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (FD < 0)
    return errnoFail(errno, "cannot make a socket");
  if (::connect(FD, reinterpret_cast<sockaddr *>(&Addr), sizeof Addr) != 0) {
    int Err = errno;
    ::close(FD);
    return errnoFail(Err, "cannot connect to " + Path);
  }
  return ControlClient(FD);
}

ControlClient::ControlClient(ControlClient &&O) noexcept
    : FD(std::exchange(O.FD, -1)), Rest(std::move(O.Rest)) {}

ControlClient &ControlClient::operator=(ControlClient &&O) noexcept {
  if (this != &O) {
    if (FD >= 0)
      ::close(FD);
    FD = std::exchange(O.FD, -1);
    Rest = std::move(O.Rest);
  }
  return *this;
}

ControlClient::~ControlClient() {
  if (FD >= 0)
    ::close(FD);
}

llvm::Expected<json::Object> ControlClient::call(json::Object Request) {
  if (llvm::Error E = send(std::move(Request)))
    return E;
  return receive();
}

llvm::Error ControlClient::send(json::Object Request) {
  Request["v"] = ControlProtocolVersion;
  if (!writeAllFd(FD, toJsonText(json::Value(std::move(Request))) + "\n"))
    return errnoFail(errno, "cannot send the request");
  return llvm::Error::success();
}

llvm::Expected<json::Object> ControlClient::receive() {
  std::string Line = std::move(Rest);
  Rest.clear();
  size_t End;
  while ((End = Line.find('\n')) == std::string::npos) {
    if (Line.size() > MaxControlLine)
      return fail("the answer is too long");
    pollfd P{FD, POLLIN, 0};
    int R = ::poll(&P, 1, AnswerTimeoutMs);
    if (R == 0)
      return fail("no answer within " + std::to_string(AnswerTimeoutMs / 1000) +
                  " s");
    if (R < 0 && errno == EINTR)
      continue;
    char Chunk[16384];
    ssize_t N = ::read(FD, Chunk, sizeof Chunk);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return fail("the connection closed before an answer");
    Line.append(Chunk, static_cast<size_t>(N));
  }
  Rest = Line.substr(End + 1);
  if (nestsDeeperThan(llvm::StringRef(Line).take_front(End), MaxControlNesting))
    return fail("a malformed answer: it nests too deeply");
  llvm::Expected<json::Value> V = json::parse(llvm::StringRef(Line).take_front(End));
  if (!V)
    return fail("a malformed answer: " + llvm::toString(V.takeError()));
  json::Object *O = V->getAsObject();
  if (!O)
    return fail("a malformed answer: not an object");
  if (!O->getBoolean("ok").getValueOr(false))
    return fail(O->getString("error").getValueOr("refused").str());
  return std::move(*O);
}

//===----------------------------------------------------------------------===//
// attach
//===----------------------------------------------------------------------===//

namespace {
/// The terminal in raw mode while attached; restored however it ends.
struct RawMode {
  bool On = false;
  termios Saved{};
  void enter(int FD) {
    if (!::isatty(FD) || ::tcgetattr(FD, &Saved) != 0)
      return;
    termios Raw = Saved;
    ::cfmakeraw(&Raw);
    On = ::tcsetattr(FD, TCSANOW, &Raw) == 0;
  }
  ~RawMode() {
    if (On)
      ::tcsetattr(STDIN_FILENO, TCSANOW, &Saved);
  }
};

bool windowSize(unsigned &Rows, unsigned &Cols) {
  winsize W{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &W) != 0 || !W.ws_row || !W.ws_col)
    return false;
  Rows = W.ws_row;
  Cols = W.ws_col;
  return true;
}

/// One attached terminal on its own loop.
struct Attached {
  Attached(asio::io_context &Io, int Sock, bool ReadOnly, char DetachKey)
      : Sock(Io, Local(), Sock), In(Io, ::dup(STDIN_FILENO)),
        Winch(Io, SIGWINCH),
        ReadOnly(ReadOnly), DetachKey(DetachKey) {}
  void start(std::string Rest) {
    Frames = std::move(Rest);
    if (!splitFrames(Frames, [this](Frame F, llvm::StringRef P) {
          return onFrame(F, P);
        }))
      return;
    readSock();
    readIn();
    watchWinch();
  }
  void readSock() {
    Sock.async_read_some(asio::buffer(SockBuf), [this](boost::system::error_code EC,
                                                       size_t N) {
      if (EC) {
        end(Ended.empty() ? "the run is gone" : Ended);
        return;
      }
      Frames.append(SockBuf.data(), N);
      if (!splitFrames(Frames, [this](Frame F, llvm::StringRef P) {
            return onFrame(F, P);
          })) {
        if (Ended.empty())
          end("a malformed frame from the run");
        else
          end(Ended);
        return;
      }
      readSock();
    });
  }
  bool onFrame(Frame F, llvm::StringRef Payload) {
    if (F == Frame::Output) {
      writeAllFd(STDOUT_FILENO, Payload);
      return true;
    }
    if (F == Frame::Closed) {
      Ended = Payload.str();
      return true;
    }
    return false;
  }
  void readIn() {
    In.async_read_some(asio::buffer(InBuf), [this](boost::system::error_code EC,
                                                   size_t N) {
      if (EC) {
        // No more input (a pipe ran dry): keep watching if read-only.
        if (!ReadOnly)
          end("");
        return;
      }
      std::string Keys;
      for (size_t K = 0; K < N; ++K) {
        char C = InBuf[K];
        if (SawKey) {
          SawKey = false;
          if (C == 'd' || C == 'D') {
            Detached = true;
            sendFrame(Frame::Input, Keys);
            sendFrame(Frame::Detach, "");
            end("");
            return;
          }
          if (C != DetachKey)
            Keys += DetachKey;
          Keys += C;
          continue;
        }
        if (C == DetachKey) {
          SawKey = true;
          continue;
        }
        Keys += C;
      }
      if (!ReadOnly)
        sendFrame(Frame::Input, Keys);
      readIn();
    });
  }
  void watchWinch() {
    Winch.async_wait([this](boost::system::error_code EC, int) {
      if (EC)
        return;
      unsigned Rows, Cols;
      if (!ReadOnly && windowSize(Rows, Cols))
        sendFrame(Frame::Resize, resizePayload(Rows, Cols));
      watchWinch();
    });
  }
  void sendFrame(Frame F, llvm::StringRef Payload) {
    if (F == Frame::Input && Payload.empty())
      return;
    // Small and rare: written at once (the socket's buffer takes them).
    writeAllFd(Sock.native_handle(), encodeFrame(F, Payload));
  }
  void end(std::string Why) {
    if (Over)
      return;
    Over = true;
    Result = std::move(Why);
    boost::system::error_code Ignored;
    Sock.close(Ignored);
    In.close(Ignored);
    Winch.cancel(Ignored);
  }

  Local::socket Sock;
  asio::posix::stream_descriptor In;
  asio::signal_set Winch;
  bool ReadOnly;
  char DetachKey;
  std::array<char, 64 * 1024> SockBuf;
  std::array<char, 4096> InBuf;
  std::string Frames, Ended, Result;
  bool SawKey = false, Detached = false, Over = false;
};
} // namespace

llvm::Error runtime::attachTerminal(const std::string &Socket,
                                    llvm::StringRef Task, bool ReadOnly,
                                    char DetachKey, llvm::raw_ostream &Msgs) {
  llvm::Expected<ControlClient> C = ControlClient::connect(Socket);
  if (!C)
    return C.takeError();
  json::Object Req{{"op", "attach"}, {"task", Task}, {"write", !ReadOnly}};
  unsigned Rows, Cols;
  if (windowSize(Rows, Cols)) {
    Req["rows"] = int64_t(Rows);
    Req["cols"] = int64_t(Cols);
  }
  llvm::Expected<json::Object> A = C->call(std::move(Req));
  if (!A)
    return A.takeError();
  std::string Id = A->getString("task").getValueOr(Task).str();
  asio::io_context Io;
  RawMode Raw;
  Raw.enter(STDIN_FILENO);
  // The agent's screen on the alternate screen, as tmux does: the user's
  // scrollback is there again after.
  writeAllFd(STDOUT_FILENO, "\x1b[?1049h");
  std::string Rest = C->takeRest();
  int FD = ::dup(C->fd());
  Attached Session(Io, FD, ReadOnly, DetachKey);
  Session.start(std::move(Rest));
  Io.run();
  // The modes the agent's redraw and output set are the agent's, not ours.
  writeAllFd(STDOUT_FILENO, "\x1b[?2004l\x1b[?1l\x1b[?1000l\x1b[?1002l"
                            "\x1b[?1003l\x1b[?1006l\x1b[0m\x1b[?25h\x1b[?1049l");
  if (Raw.On)
    ::tcsetattr(STDIN_FILENO, TCSANOW, &Raw.Saved);
  Raw.On = false;
  if (Session.Detached)
    Msgs << "[detached from " << Id << "; it goes on]\n";
  else if (!Session.Result.empty())
    Msgs << "[" << Id << ": " << Session.Result << "]\n";
  return llvm::Error::success();
}
