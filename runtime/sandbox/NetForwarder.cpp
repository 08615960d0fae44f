//===- NetForwarder.cpp - `connectorc sandbox-net`, inside the sandbox ----===//
#include "runtime/sandbox/NetForwarder.h"

#include "runtime/support/ByteSplice.h"
#include "runtime/sandbox/EgressProxy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

using namespace connectorc::runtime;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

llvm::Expected<NetForward>
connectorc::runtime::parseNetForward(llvm::StringRef Text) {
  auto Bad = [&] {
    return llvm::createStringError(
        std::errc::invalid_argument,
        "bad --forward '%s': expected PORT:HOST:HOSTPORT, ports 1-65535",
        Text.str().c_str());
  };
  auto [Port, Rest] = Text.split(':');
  auto [Host, HostPort] = Rest.rsplit(':');
  if (Host.size() >= 2 && Host.front() == '[' && Host.back() == ']')
    Host = Host.drop_front().drop_back();
  NetForward F;
  std::optional<uint16_t> P = parsePortNumber(Port),
                          HP = parsePortNumber(HostPort);
  if (!P || !HP || Host.empty() ||
      Host.find_first_of(" \t\r\n/@") != llvm::StringRef::npos)
    return Bad();
  F.Port = *P;
  F.Host = Host.str();
  F.HostPort = *HP;
  return F;
}

std::vector<std::string>
connectorc::runtime::netForwarderArgv(llvm::StringRef SelfExe,
                                      const NetForwarderArgs &A) {
  std::vector<std::string> Argv = {SelfExe.str(), "sandbox-net", "--socket",
                                   A.Socket};
  if (A.ProxyPort)
    Argv.push_back("--proxy-port=" + std::to_string(A.ProxyPort));
  for (const NetForward &F : A.Forwards) {
    std::string Host =
        llvm::StringRef(F.Host).contains(':') ? "[" + F.Host + "]" : F.Host;
    Argv.push_back("--forward=" + std::to_string(F.Port) + ":" + Host + ":" +
                   std::to_string(F.HostPort));
  }
  Argv.push_back("--");
  return Argv;
}

/// The socket is there and a proxy accepts on it.
static llvm::Error checkProxySocket(const std::string &Path) {
  struct stat St;
  const char *Why = nullptr;
  if (::stat(Path.c_str(), &St) != 0)
    Why = std::strerror(errno);
  else if (!S_ISSOCK(St.st_mode))
    Why = "not a socket";
  if (Why)
    return llvm::createStringError(
        std::errc::no_such_file_or_directory,
        "no egress proxy socket at %s (%s): the runtime's proxy must be "
        "running and its socket bound into the sandbox",
        Path.c_str(), Why);
  sockaddr_un Addr{};
  Addr.sun_family = AF_UNIX;
  if (Path.size() >= sizeof(Addr.sun_path))
    return llvm::createStringError(std::errc::filename_too_long,
                                   "egress proxy socket path too long: %s",
                                   Path.c_str());
  std::memcpy(Addr.sun_path, Path.c_str(), Path.size() + 1);
  int FD = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int Status =
      FD < 0 ? -1
             : ::connect(FD, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr));
  int Errno = errno;
  if (FD >= 0)
    ::close(FD);
  if (Status != 0)
    return llvm::createStringError(
        std::error_code(Errno, std::generic_category()),
        "cannot connect to the egress proxy at %s: %s", Path.c_str(),
        std::strerror(Errno));
  return llvm::Error::success();
}

namespace {
/// The forwarder's loop: its listening ports, relays and the agent.
class Forwarder {
public:
  explicit Forwarder(const NetForwarderArgs &A)
      : A(A), Signals(Io, SIGTERM, SIGINT, SIGHUP) {
    Signals.add(SIGCHLD);
  }
  llvm::Error bindAll();
  llvm::Error spawn();
  int run();

private:
  llvm::Expected<std::unique_ptr<tcp::acceptor>> bind(uint16_t Port);
  void accept(tcp::acceptor &Acc, const NetForward *F);
  void relay(StreamSocket Client, const NetForward *F);
  void tunnel(std::shared_ptr<StreamSocket> Client,
              std::shared_ptr<asio::local::stream_protocol::socket> Proxy,
              const NetForward &F);
  void onSignal(boost::system::error_code EC, int Sig);
  std::vector<std::string> childEnvironment() const;

  const NetForwarderArgs &A;
  asio::io_context Io;
  asio::signal_set Signals;
  std::unique_ptr<tcp::acceptor> ProxyAcceptor;
  std::vector<std::unique_ptr<tcp::acceptor>> ForwardAcceptors;
  uint16_t ProxyPort = 0;
  pid_t Child = -1;
  int Status = 1;
};
} // namespace

llvm::Expected<std::unique_ptr<tcp::acceptor>> Forwarder::bind(uint16_t Port) {
  auto Acc = std::make_unique<tcp::acceptor>(Io);
  tcp::endpoint E(asio::ip::address_v4::loopback(), Port);
  boost::system::error_code EC;
  Acc->open(E.protocol(), EC);
  if (!EC) {
    ::fcntl(Acc->native_handle(), F_SETFD, FD_CLOEXEC);
    Acc->set_option(asio::socket_base::reuse_address(true), EC);
  }
  if (!EC)
    Acc->bind(E, EC);
  if (!EC)
    Acc->listen(asio::socket_base::max_listen_connections, EC);
  if (EC)
    return llvm::createStringError(EC, "cannot listen on 127.0.0.1:%u: %s",
                                   unsigned(Port), EC.message().c_str());
  return Acc;
}

llvm::Error Forwarder::bindAll() {
  if (llvm::Error E = checkProxySocket(A.Socket))
    return E;
  auto P = bind(A.ProxyPort);
  if (!P)
    return P.takeError();
  ProxyAcceptor = std::move(*P);
  ProxyPort = ProxyAcceptor->local_endpoint().port();
  for (const NetForward &F : A.Forwards) {
    auto Acc = bind(F.Port);
    if (!Acc)
      return Acc.takeError();
    ForwardAcceptors.push_back(std::move(*Acc));
  }
  return llvm::Error::success();
}

std::vector<std::string> Forwarder::childEnvironment() const {
  std::vector<std::string> Env;
  std::string Proxy = "http://127.0.0.1:" + std::to_string(ProxyPort);
  llvm::StringRef Set[] = {"HTTPS_PROXY", "HTTP_PROXY", "https_proxy",
                           "http_proxy"};
  llvm::StringRef Default[] = {"NO_PROXY", "no_proxy"};
  bool HasDefault[2] = {false, false};
  for (char **E = environ; *E; ++E) {
    llvm::StringRef Name = llvm::StringRef(*E).split('=').first;
    if (llvm::is_contained(Set, Name))
      continue;
    for (size_t I = 0; I < 2; ++I)
      HasDefault[I] |= Name == Default[I];
    Env.emplace_back(*E);
  }
  for (llvm::StringRef Name : Set)
    Env.push_back(Name.str() + "=" + Proxy);
  for (size_t I = 0; I < 2; ++I)
    if (!HasDefault[I])
      Env.push_back(Default[I].str() + "=localhost,127.0.0.1,::1");
  return Env;
}

/// In the child between fork and exec (async-signal-safe calls only): its
/// own process group, given the terminal when this process had it (so a
/// terminal's ^C reaches the agent once, not twice), killed if the
/// forwarder dies, default signal mask.
[[noreturn]] static void execChild(char *const *Argv, char *const *Env,
                                   pid_t Parent, bool TakeTerminal,
                                   int ErrPipe) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != Parent)
    ::_exit(127);
  ::setpgid(0, 0);
  sigset_t All;
  ::sigemptyset(&All);
  if (TakeTerminal) {
    sigset_t Ttou;
    ::sigemptyset(&Ttou);
    ::sigaddset(&Ttou, SIGTTOU);
    ::sigprocmask(SIG_BLOCK, &Ttou, nullptr);
    ::tcsetpgrp(STDIN_FILENO, ::getpid());
  }
  ::sigprocmask(SIG_SETMASK, &All, nullptr);
  ::execvpe(Argv[0], Argv, Env);
  int Errno = errno;
  (void)!::write(ErrPipe, &Errno, sizeof(Errno));
  ::_exit(127);
}

llvm::Error Forwarder::spawn() {
  std::vector<std::string> Env = childEnvironment();
  std::vector<char *> ArgvP, EnvP;
  for (const std::string &S : A.Argv)
    ArgvP.push_back(const_cast<char *>(S.c_str()));
  ArgvP.push_back(nullptr);
  for (const std::string &S : Env)
    EnvP.push_back(const_cast<char *>(S.c_str()));
  EnvP.push_back(nullptr);
  int Pipe[2];
  if (::pipe2(Pipe, O_CLOEXEC) != 0)
    return llvm::createStringError(
        std::error_code(errno, std::generic_category()), "cannot make a pipe");
  bool TakeTerminal =
      ::isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
  pid_t Parent = ::getpid();
  Child = ::fork();
  if (Child == 0)
    execChild(ArgvP.data(), EnvP.data(), Parent, TakeTerminal, Pipe[1]);
  int ForkErrno = errno;
  ::close(Pipe[1]);
  int ExecErrno = 0;
  ssize_t N = Child < 0 ? 0 : ::read(Pipe[0], &ExecErrno, sizeof(ExecErrno));
  ::close(Pipe[0]);
  if (Child < 0)
    return llvm::createStringError(
        std::error_code(ForkErrno, std::generic_category()),
        "cannot start the agent: %s", std::strerror(ForkErrno));
  ::setpgid(Child, Child); // as the child does: whichever runs first
  if (N == sizeof(ExecErrno)) {
    ::waitpid(Child, nullptr, 0);
    Child = -1;
    Status = 127;
    return llvm::createStringError(
        std::error_code(ExecErrno, std::generic_category()),
        "cannot run '%s': %s", A.Argv[0].c_str(), std::strerror(ExecErrno));
  }
  return llvm::Error::success();
}

void Forwarder::accept(tcp::acceptor &Acc, const NetForward *F) {
  Acc.async_accept(
      [this, &Acc, F](boost::system::error_code EC, tcp::socket S) {
        if (EC == asio::error::operation_aborted)
          return;
        if (!EC) {
          boost::system::error_code Ignored;
          S.set_option(tcp::no_delay(true), Ignored);
          relay(StreamSocket(std::move(S)), F);
        }
        accept(Acc, F);
      });
}

// One connection of the agent's: to the proxy's socket, then (for a
// forwarded port) a CONNECT, then bytes both ways.
void Forwarder::relay(StreamSocket Client, const NetForward *F) {
  auto C = std::make_shared<StreamSocket>(std::move(Client));
  auto P = std::make_shared<asio::local::stream_protocol::socket>(Io);
  P->async_connect(asio::local::stream_protocol::endpoint(A.Socket),
                   [this, C, P, F](boost::system::error_code EC) {
                     if (EC)
                       return; // closing C tells the agent
                     if (F)
                       tunnel(C, P, *F);
                     else
                       ByteSplice::start(std::move(*C),
                                         StreamSocket(std::move(*P)), "", "");
                   });
}

void Forwarder::tunnel(
    std::shared_ptr<StreamSocket> Client,
    std::shared_ptr<asio::local::stream_protocol::socket> Proxy,
    const NetForward &F) {
  std::string Host =
      llvm::StringRef(F.Host).contains(':') ? "[" + F.Host + "]" : F.Host;
  std::string Authority = Host + ":" + std::to_string(F.HostPort);
  auto Head = std::make_shared<std::string>(
      "CONNECT " + Authority + " HTTP/1.1\r\nHost: " + Authority + "\r\n\r\n");
  auto Answer = std::make_shared<asio::streambuf>(16 * 1024);
  asio::async_write(*Proxy, asio::buffer(*Head),
                    [=](boost::system::error_code EC, size_t) {
                      if (EC)
                        return;
                      asio::async_read_until(
                          *Proxy, *Answer, "\r\n\r\n",
                          [=](boost::system::error_code EC, size_t HeadSize) {
                            if (EC)
                              return;
                            std::string Got(asio::buffers_begin(Answer->data()),
                                            asio::buffers_end(Answer->data()));
                            llvm::StringRef Status(Got);
                            // Refused (403) or unreachable (502): the proxy has
                            // told the runtime; the agent sees its connection
                            // closed.
                            if (!(Status.startswith("HTTP/1.1 200") ||
                                  Status.startswith("HTTP/1.0 200")))
                              return;
                            ByteSplice::start(std::move(*Client),
                                              StreamSocket(std::move(*Proxy)),
                                              "", Got.substr(HeadSize));
                          });
                    });
}

void Forwarder::onSignal(boost::system::error_code EC, int Sig) {
  if (EC)
    return;
  if (Sig != SIGCHLD) {
    ::kill(Child, Sig);
  } else {
    int WS = 0;
    if (::waitpid(Child, &WS, WNOHANG) == Child) {
      Status = WIFEXITED(WS) ? WEXITSTATUS(WS) : 128 + WTERMSIG(WS);
      Io.stop();
      return;
    }
  }
  Signals.async_wait(
      [this](boost::system::error_code E, int S) { onSignal(E, S); });
}

int Forwarder::run() {
  accept(*ProxyAcceptor, nullptr);
  for (size_t I = 0; I < ForwardAcceptors.size(); ++I)
    accept(*ForwardAcceptors[I], &A.Forwards[I]);
  Signals.async_wait(
      [this](boost::system::error_code E, int S) { onSignal(E, S); });
  // The agent may have ended before the handler was waiting.
  int WS = 0;
  if (::waitpid(Child, &WS, WNOHANG) == Child)
    return WIFEXITED(WS) ? WEXITSTATUS(WS) : 128 + WTERMSIG(WS);
  Io.run();
  return Status;
}

int connectorc::runtime::runNetForwarder(const NetForwarderArgs &A,
                                         llvm::raw_ostream &Err) {
  if (A.Argv.empty()) {
    Err << "connectorc sandbox-net: no command to run (after --)\n";
    return 2;
  }
  Forwarder F(A);
  if (llvm::Error E = F.bindAll()) {
    Err << "connectorc sandbox-net: " << llvm::toString(std::move(E))
        << "; the agent was not started\n";
    return 1;
  }
  if (llvm::Error E = F.spawn()) {
    Err << "connectorc sandbox-net: " << llvm::toString(std::move(E)) << "\n";
    return 127;
  }
  return F.run();
}
