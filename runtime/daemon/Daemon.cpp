//===- Daemon.cpp - the session daemon ------------------------------------===//
#include "runtime/daemon/Daemon.h"
#include "runtime/daemon/Control.h"
#include "runtime/support/Files.h"
#include "runtime/support/JsonText.h"
#include "runtime/support/Spawn.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace json = llvm::json;

namespace {
llvm::Error fail(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

std::vector<std::string> stringsOf(const json::Array *A) {
  std::vector<std::string> Out;
  if (A)
    for (const json::Value &V : *A)
      if (llvm::Optional<llvm::StringRef> S = V.getAsString())
        Out.push_back(S->str());
  return Out;
}

json::Array arrayOf(const std::vector<std::string> &V) {
  json::Array A;
  for (const std::string &S : V)
    A.push_back(S);
  return A;
}

/// Whether the journal in \p RunDir records the run's end: a run-end after
/// its last start or resume (what the end writes after it, the worktrees'
/// commits and merge, may follow).
bool runEnded(const std::string &RunDir) {
  auto Buf = llvm::MemoryBuffer::getFile(RunDir + "/events.jsonl");
  if (!Buf)
    return false;
  llvm::StringRef Text = (*Buf)->getBuffer().rtrim();
  while (!Text.empty()) {
    size_t At = Text.rfind('\n');
    llvm::StringRef Line = At == llvm::StringRef::npos ? Text : Text.substr(At + 1);
    if (Line.contains("\"event\":\"run-end\""))
      return true;
    if (Line.contains("\"event\":\"run-start\"") ||
        Line.contains("\"event\":\"run-resume\""))
      return false;
    Text = At == llvm::StringRef::npos ? "" : Text.take_front(At);
  }
  return false;
}

/// Whether \p Pid runs (a zombie, exited but not yet reaped by its parent,
/// does not).
bool alive(pid_t Pid) {
  if (Pid <= 0 || (::kill(Pid, 0) != 0 && errno != EPERM))
    return false;
  // /proc's files say they are empty: read, not mapped by their size.
  int Fd = ::open(("/proc/" + std::to_string(Pid) + "/stat").c_str(),
                  O_RDONLY | O_CLOEXEC);
  if (Fd < 0)
    return true;
  char Buf[1024];
  ssize_t N = ::read(Fd, Buf, sizeof Buf);
  ::close(Fd);
  if (N <= 0)
    return true;
  // "PID (COMM) STATE ...": COMM may hold anything but ends at the last ')'.
  llvm::StringRef S(Buf, static_cast<size_t>(N));
  S = S.substr(S.rfind(')') + 1).ltrim();
  return !S.startswith("Z") && !S.startswith("X");
}

/// A file descriptor that becomes readable when \p Pid exits (any process
/// of this user's, not only a child: a run adopted after a restart).
int pidFd(pid_t Pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, Pid, 0));
}

/// A run the daemon holds.
struct Held {
  std::string Key, RunDir, Cwd;
  std::vector<std::string> Args, Env; ///< Args: after the program's name
  pid_t Pid = -1;
  unsigned Restarts = 0;
  bool StopAsked = false, Child = false;
  std::unique_ptr<asio::posix::stream_descriptor> Exit;
};

class DaemonServer : public RunControl {
public:
  DaemonServer(std::string SelfExe, std::string Dir)
      : SelfExe(std::move(SelfExe)), Dir(std::move(Dir)), Server(Io, *this),
        Signals(Io, SIGTERM, SIGINT, SIGHUP) {}
  llvm::Error serve(int InheritedFd, const DaemonAddOn &AddOn);

  json::Object status() override;
  llvm::Error stop(llvm::StringRef Run) override;
  llvm::Expected<Terminal *> terminal(llvm::StringRef, std::string &) override {
    return fail("the daemon holds runs, not sessions: attach to a run "
                "(connectorc attach RUN[/TASK])");
  }
  std::optional<json::Object> call(llvm::StringRef Op,
                                   const json::Object &Req) override;

private:
  std::string heldPath(const std::string &Key) const {
    return Dir + "/daemon/" + Key + ".json";
  }
  llvm::Error save(const Held &H);
  void loadHeld();
  llvm::Error spawn(Held &H);
  void watch(Held &H);
  void onExit(const std::string &Key);
  void finish(const std::string &Key, llvm::StringRef State);
  json::Object start(const json::Object &Req);
  void shutdown();
  void watchSignals();

  std::string SelfExe, Dir;
  asio::io_context Io;
  ControlServer Server;
  asio::signal_set Signals;
  std::map<std::string, Held> Runs;
  /// Runs that ended while this daemon ran: their last state, for `ps`.
  std::vector<json::Object> Ended;
  bool ShuttingDown = false;
};

llvm::Error DaemonServer::save(const Held &H) {
  // The environment is the one the run was started with, kept to continue
  // it after a crash; in the private runtime directory (0700), mode 0600, as
  // the process's own /proc/PID/environ is.
  json::Object O{{"key", H.Key},        {"run_dir", H.RunDir},
                 {"cwd", H.Cwd},        {"args", arrayOf(H.Args)},
                 {"env", arrayOf(H.Env)}, {"pid", int64_t(H.Pid)},
                 {"restarts", int64_t(H.Restarts)}};
  std::string Path = heldPath(H.Key);
  if (llvm::Error E =
          writeFileAtomic(Path, toJsonText(json::Value(std::move(O))) + "\n"))
    return E;
  ::chmod(Path.c_str(), 0600);
  return llvm::Error::success();
}

llvm::Error DaemonServer::spawn(Held &H) {
  if (llvm::Error E = hideFromGit(H.RunDir))
    return E;
  if (std::error_code EC = llvm::sys::fs::create_directories(H.RunDir))
    return fail("cannot create " + H.RunDir + ": " + EC.message());
  SpawnOptions O;
  O.Argv = {SelfExe};
  O.Argv.insert(O.Argv.end(), H.Args.begin(), H.Args.end());
  O.Env = H.Env;
  O.Env.push_back("CONNECTORC_DETACHED=1");
  O.Cwd = H.Cwd;
  O.Output = H.RunDir + "/daemon.log";
  // A session of its own: no terminal's hang-up reaches it.
  llvm::Expected<pid_t> Pid = spawnProcess(O);
  if (!Pid)
    return Pid.takeError();
  H.Pid = *Pid;
  H.Child = true;
  if (llvm::Error E2 = save(H))
    return E2;
  watch(H);
  return llvm::Error::success();
}

void DaemonServer::watch(Held &H) {
  int Fd = pidFd(H.Pid);
  if (Fd < 0) {
    // Already gone (or no pidfd): decide now, on the loop.
    asio::post(Io, [this, Key = H.Key] { onExit(Key); });
    return;
  }
  H.Exit = std::make_unique<asio::posix::stream_descriptor>(Io, Fd);
  H.Exit->async_wait(asio::posix::stream_descriptor::wait_read,
                     [this, Key = H.Key](boost::system::error_code EC) {
                       if (!EC)
                         onExit(Key);
                     });
}

void DaemonServer::onExit(const std::string &Key) {
  auto It = Runs.find(Key);
  if (It == Runs.end())
    return;
  Held &H = It->second;
  int Status = 0;
  if (H.Child)
    ::waitpid(H.Pid, &Status, 0);
  H.Exit.reset();
  if (runEnded(H.RunDir)) {
    finish(Key, "ended");
    return;
  }
  if (H.StopAsked || ShuttingDown) {
    finish(Key, "stopped");
    return;
  }
  if (H.Restarts >= MaxRunRestarts) {
    finish(Key, "died");
    return;
  }
  // Died before its end: continued from its journal.
  ++H.Restarts;
  H.Args = {"run", "--resume", "--run-dir", H.RunDir, "--quiet"};
  if (llvm::Error E = spawn(H)) {
    llvm::errs() << "connectorc daemon: cannot continue " << H.RunDir << ": "
                 << llvm::toString(std::move(E)) << "\n";
    finish(Key, "died");
  }
}

void DaemonServer::finish(const std::string &Key, llvm::StringRef State) {
  auto It = Runs.find(Key);
  if (It == Runs.end())
    return;
  Ended.push_back(json::Object{
      {"id", llvm::sys::path::filename(It->second.RunDir).str()},
      {"run_dir", It->second.RunDir},
      {"state", State},
      {"restarts", int64_t(It->second.Restarts)}});
  ::unlink(heldPath(Key).c_str());
  Runs.erase(It);
  if (ShuttingDown && Runs.empty())
    Io.stop();
}

void DaemonServer::loadHeld() {
  std::error_code EC;
  std::vector<std::string> Files;
  for (llvm::sys::fs::directory_iterator It(Dir + "/daemon", EC), End;
       It != End && !EC; It.increment(EC))
    if (llvm::StringRef(It->path()).endswith(".json"))
      Files.push_back(It->path());
  for (const std::string &F : Files) {
    auto Buf = llvm::MemoryBuffer::getFile(F);
    if (!Buf)
      continue;
    llvm::Expected<json::Value> V = json::parse((*Buf)->getBuffer());
    if (!V) {
      llvm::consumeError(V.takeError());
      continue;
    }
    const json::Object *O = V->getAsObject();
    if (!O)
      continue;
    Held H;
    H.Key = O->getString("key").getValueOr("").str();
    H.RunDir = O->getString("run_dir").getValueOr("").str();
    H.Cwd = O->getString("cwd").getValueOr("/").str();
    H.Args = stringsOf(O->getArray("args"));
    H.Env = stringsOf(O->getArray("env"));
    H.Pid = static_cast<pid_t>(O->getInteger("pid").getValueOr(-1));
    H.Restarts = static_cast<unsigned>(O->getInteger("restarts").getValueOr(0));
    if (H.Key.empty() || H.RunDir.empty() || H.Args.empty())
      continue;
    std::string Key = H.Key;
    Held &In = Runs.emplace(Key, std::move(H)).first->second;
    // A run that outlived the daemon goes on, watched again; one that did
    // not is continued (onExit decides).
    watch(In);
  }
}

json::Object DaemonServer::start(const json::Object &Req) {
  Held H;
  H.RunDir = Req.getString("run_dir").getValueOr("").str();
  H.Cwd = Req.getString("cwd").getValueOr("").str();
  H.Args = stringsOf(Req.getArray("args"));
  H.Env = stringsOf(Req.getArray("env"));
  auto Error = [](const llvm::Twine &Why) {
    return json::Object{{"ok", false}, {"error", Why.str()}};
  };
  if (ShuttingDown)
    return Error("the daemon is stopping");
  if (!llvm::sys::path::is_absolute(H.RunDir) ||
      !llvm::sys::path::is_absolute(H.Cwd) || H.Args.empty() ||
      H.Args.front() != "run")
    return Error("start needs an absolute \"run_dir\" and \"cwd\", and "
                 "\"args\" that begin with \"run\"");
  H.Key = runKey(H.RunDir);
  if (Runs.count(H.Key))
    return Error("the daemon holds a run in '" + H.RunDir + "' already");
  std::string Key = H.Key;
  Held &In = Runs.emplace(Key, std::move(H)).first->second;
  if (llvm::Error E = spawn(In)) {
    Runs.erase(Key);
    return Error(llvm::toString(std::move(E)));
  }
  return json::Object{{"ok", true},
                      {"id", llvm::sys::path::filename(In.RunDir).str()},
                      {"run_dir", In.RunDir},
                      {"pid", int64_t(In.Pid)}};
}

json::Object DaemonServer::status() {
  json::Array List;
  for (const auto &[Key, H] : Runs)
    List.push_back(json::Object{
        {"id", llvm::sys::path::filename(H.RunDir).str()},
        {"run_dir", H.RunDir},
        {"pid", int64_t(H.Pid)},
        {"state", H.Exit ? "running" : "restarting"},
        {"restarts", int64_t(H.Restarts)}});
  for (const json::Object &E : Ended)
    List.push_back(json::Object(E));
  return json::Object{{"daemon", json::Object{{"pid", int64_t(::getpid())},
                                              {"version", CONNECTORC_VERSION},
                                              {"held", int64_t(Runs.size())}}},
                      {"runs", std::move(List)}};
}

llvm::Error DaemonServer::stop(llvm::StringRef Run) {
  if (Run.empty()) {
    shutdown();
    return llvm::Error::success();
  }
  for (auto &[Key, H] : Runs)
    if (llvm::sys::path::filename(H.RunDir) == Run || H.RunDir == Run) {
      H.StopAsked = true;
      ::kill(H.Pid, SIGTERM); // The run's Ctrl-C.
      return llvm::Error::success();
    }
  return fail("the daemon holds no run '" + Run + "'");
}

std::optional<json::Object> DaemonServer::call(llvm::StringRef Op,
                                               const json::Object &Req) {
  if (Op == "ping")
    return json::Object{{"ok", true},
                        {"pid", int64_t(::getpid())},
                        {"version", CONNECTORC_VERSION}};
  if (Op == "start")
    return start(Req);
  if (Op == "shutdown") {
    shutdown();
    return json::Object{{"ok", true}, {"pid", int64_t(::getpid())}};
  }
  return std::nullopt;
}

void DaemonServer::shutdown() {
  if (ShuttingDown)
    return;
  ShuttingDown = true;
  for (auto &[Key, H] : Runs) {
    H.StopAsked = true;
    if (H.Exit)
      ::kill(H.Pid, SIGTERM);
  }
  if (Runs.empty())
    asio::post(Io, [this] { Io.stop(); });
}

void DaemonServer::watchSignals() {
  Signals.async_wait([this](boost::system::error_code EC, int) {
    if (EC)
      return;
    shutdown();
    watchSignals();
  });
}

llvm::Error DaemonServer::serve(int InheritedFd, const DaemonAddOn &AddOn) {
  if (llvm::Error E = makePrivateDir(Dir + "/daemon", "the daemon's runs"))
    return E;
  std::string Socket = daemonSocket(Dir);
  if (llvm::Error E = InheritedFd >= 0 ? Server.adopt(InheritedFd, Socket)
                                       : Server.listen(Socket, nullptr))
    return E;
  ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<DaemonExtension> Extension;
  if (AddOn) {
    llvm::Expected<std::unique_ptr<DaemonExtension>> X = AddOn(Io, *this);
    if (!X) {
      Server.close();
      return X.takeError();
    }
    Extension = std::move(*X);
  }
  loadHeld();
  watchSignals();
  Io.run();
  Extension.reset();
  Server.close();
  return llvm::Error::success();
}
} // namespace

std::string runtime::daemonSocket(llvm::StringRef RuntimeDir) {
  return (RuntimeDir + "/daemon.sock").str();
}

llvm::Error runtime::serveDaemon(const std::string &SelfExe, int InheritedFd,
                                 DaemonAddOn AddOn) {
  llvm::Expected<std::string> Dir = userRuntimeDir();
  if (!Dir)
    return Dir.takeError();
  DaemonServer D(SelfExe, *Dir);
  return D.serve(InheritedFd, AddOn);
}

namespace {
llvm::Expected<ControlClient> connectDaemon(const std::string &Dir) {
  llvm::Expected<ControlClient> C = ControlClient::connect(daemonSocket(Dir));
  if (!C)
    return C.takeError();
  if (llvm::Expected<json::Object> A = C->call(json::Object{{"op", "ping"}});
      !A)
    return A.takeError();
  return C;
}
} // namespace

bool runtime::daemonAnswers() {
  llvm::Expected<std::string> Dir = userRuntimeDir();
  if (!Dir) {
    llvm::consumeError(Dir.takeError());
    return false;
  }
  llvm::Expected<ControlClient> C = connectDaemon(*Dir);
  if (!C)
    llvm::consumeError(C.takeError());
  return static_cast<bool>(C);
}

llvm::Error runtime::ensureDaemon(const std::string &SelfExe) {
  llvm::Expected<std::string> Dir = userRuntimeDir();
  if (!Dir)
    return Dir.takeError();
  if (llvm::Expected<ControlClient> C = connectDaemon(*Dir))
    return llvm::Error::success();
  else
    llvm::consumeError(C.takeError());
  // Started in a session of its own, its output in the runtime directory.
  std::string Log = *Dir + "/daemon.log";
  SpawnOptions O;
  O.Argv = {SelfExe, "daemon"};
  O.Cwd = "/";
  O.Output = Log;
  llvm::Expected<pid_t> Started = spawnProcess(O);
  if (!Started)
    return fail("cannot start the daemon: " +
                llvm::toString(Started.takeError()));
  pid_t Pid = *Started;
  // Its socket is up in a moment; the daemon's child is reaped when it
  // exits here (it outlives this short command as an orphan otherwise).
  for (int Try = 0; Try < 200; ++Try) {
    if (llvm::Expected<ControlClient> C = connectDaemon(*Dir))
      return llvm::Error::success();
    else
      llvm::consumeError(C.takeError());
    int Status;
    if (::waitpid(Pid, &Status, WNOHANG) == Pid)
      return fail("the daemon exited at once; its log is " + Log);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail("the daemon does not answer on " + daemonSocket(*Dir) +
              "; its log is " + Log);
}

llvm::Expected<json::Object>
runtime::startDetached(const std::string &SelfExe,
                       const std::vector<std::string> &Args,
                       const std::string &Cwd,
                       const std::vector<std::string> &Env,
                       const std::string &RunDir) {
  if (llvm::Error E = ensureDaemon(SelfExe))
    return E;
  llvm::Expected<std::string> Dir = userRuntimeDir();
  if (!Dir)
    return Dir.takeError();
  llvm::Expected<ControlClient> C = connectDaemon(*Dir);
  if (!C)
    return C.takeError();
  return C->call(json::Object{{"op", "start"},
                              {"args", arrayOf(Args)},
                              {"cwd", Cwd},
                              {"env", arrayOf(Env)},
                              {"run_dir", RunDir}});
}

llvm::Error runtime::stopDaemon(llvm::raw_ostream &Msgs) {
  llvm::Expected<std::string> Dir = userRuntimeDir();
  if (!Dir)
    return Dir.takeError();
  llvm::Expected<ControlClient> C = connectDaemon(*Dir);
  if (!C) {
    llvm::consumeError(C.takeError());
    Msgs << "no daemon is running\n";
    return llvm::Error::success();
  }
  llvm::Expected<json::Object> A = C->call(json::Object{{"op", "shutdown"}});
  if (!A)
    return A.takeError();
  pid_t Pid = static_cast<pid_t>(A->getInteger("pid").getValueOr(0));
  // Its runs end as Ctrl-C ends them (SIGTERM, then SIGKILL after their
  // grace); the daemon exits after the last.
  for (int Try = 0; Try < 1200 && alive(Pid); ++Try)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (alive(Pid))
    return fail(fmt::format("the daemon (pid {}) is still stopping its runs",
                            Pid));
  Msgs << "the daemon stopped\n";
  return llvm::Error::success();
}

std::string runtime::systemdUnits(const std::string &SelfExe) {
  return fmt::format(
      R"(# ~/.config/systemd/user/connectorc.socket
[Unit]
Description=connectorc session daemon socket
Documentation=https://github.com/connectorc/connectorc/blob/main/docs/daemon.md

[Socket]
ListenStream=%t/connectorc/daemon.sock
SocketMode=0600
DirectoryMode=0700

[Install]
WantedBy=sockets.target

# ~/.config/systemd/user/connectorc.service
[Unit]
Description=connectorc session daemon
Documentation=https://github.com/connectorc/connectorc/blob/main/docs/daemon.md
Requires=connectorc.socket
After=connectorc.socket

[Service]
Type=simple
ExecStart={} daemon
Restart=on-failure

[Install]
WantedBy=default.target
)",
      SelfExe);
}
