//===- EgressProxy.cpp - the sandbox's allowlisting HTTP(S) proxy ---------===//
#include "runtime/sandbox/EgressProxy.h"

#include "runtime/support/ByteSplice.h"
#include "runtime/sandbox/EgressRequest.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Path.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <unordered_set>

using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using egress::ipLiteral;
using egress::Parsed;

//===----------------------------------------------------------------------===//
// Connections
//===----------------------------------------------------------------------===//

/// Sockets this process makes must not reach the agents it starts.
template <typename Socket> static void closeOnExec(Socket &S) {
  if (S.is_open())
    ::fcntl(S.native_handle(), F_SETFD, FD_CLOEXEC);
}

namespace {
class ProxyConn;
} // namespace

struct EgressProxy::ListenerState
    : std::enable_shared_from_this<EgressProxy::ListenerState> {
  ListenerState(asio::io_context &Io, ListenerOptions O, Limits L)
      : Acceptor(Io), Retry(Io), Opts(std::move(O)), Lim(L) {}
  void accept();
  void shutdown();
  void report(const DeniedFn &Fn, llvm::StringRef Host, uint16_t Port,
              llvm::StringRef Why) {
    if (!Closed && Fn)
      Fn(Host, Port, Why);
  }

  asio::local::stream_protocol::acceptor Acceptor;
  asio::steady_timer Retry; ///< after a failed accept (EMFILE)
  ListenerOptions Opts;
  Limits Lim;
  std::unordered_set<ProxyConn *> Live;
  bool Closed = false;
  dev_t Dev = 0;
  ino_t Ino = 0;
};

namespace {
/// One client of a listener: its request head, the destination's address,
/// then a ByteSplice.
class ProxyConn : public std::enable_shared_from_this<ProxyConn> {
public:
  using State = EgressProxy::ListenerState;
  ProxyConn(std::shared_ptr<State> L, StreamSocket Client)
      : L(std::move(L)), Client(std::move(Client)),
        Timer(this->Client.get_executor()),
        Resolver(this->Client.get_executor()),
        Upstream(this->Client.get_executor()) {
    this->L->Live.insert(this);
  }
  ~ProxyConn() { L->Live.erase(this); }
  void start();
  void abort();

private:
  void onHead(boost::system::error_code EC);
  void resolve();
  void resolved(const tcp::resolver::results_type &Results);
  void connectNext();
  void tunnel();
  void reply(unsigned Status, llvm::StringRef Text);
  void linger();

  std::shared_ptr<State> L;
  StreamSocket Client;
  beast::flat_buffer Buf;
  http::request_parser<http::empty_body> Parser;
  asio::steady_timer Timer;
  tcp::resolver Resolver;
  tcp::socket Upstream;
  ProxyRequest Req;
  std::vector<tcp::endpoint> Endpoints;
  size_t NextEndpoint = 0;
  std::string LastError;
  bool TimedOut = false;
  std::weak_ptr<ByteSplice> Splice;
  std::string Reply; ///< kept alive while written
  std::array<char, 4096> Drain;
};
} // namespace

void ProxyConn::start() {
  Parser.header_limit(static_cast<uint32_t>(L->Lim.MaxHeadBytes));
  Buf.max_size(L->Lim.MaxHeadBytes + 64 * 1024);
  Timer.expires_after(L->Lim.HeadTimeout);
  Timer.async_wait([W = weak_from_this()](boost::system::error_code EC) {
    if (auto Self = W.lock(); Self && !EC) {
      boost::system::error_code Ignored;
      Self->Client.close(Ignored); // a client that never finishes its head
    }
  });
  http::async_read_header(
      Client, Buf, Parser,
      [Self = shared_from_this()](boost::system::error_code EC, size_t N) {
        // Beast's own limit does not count the request line.
        if (!EC && N > Self->L->Lim.MaxHeadBytes)
          EC = http::error::header_limit;
        Self->onHead(EC);
      });
}

void ProxyConn::onHead(boost::system::error_code EC) {
  Timer.cancel();
  if (EC == asio::error::eof || EC == http::error::end_of_stream ||
      EC == asio::error::operation_aborted || !Client.is_open())
    return; // the client left (or never spoke before the timeout)
  if (EC) {
    ProxyRequestError E = egress::headError(EC);
    reply(E.Status, E.Message);
    return;
  }
  Parsed P = egress::proxyRequestFrom(Parser.get());
  if (auto *E = std::get_if<ProxyRequestError>(&P)) {
    reply(E->Status, E->Message);
    return;
  }
  Req = std::get<ProxyRequest>(std::move(P));
  if (std::optional<std::string> Why =
          L->Opts.Allow.refusal(Req.Host, Req.Port, Req.Kind)) {
    L->report(L->Opts.OnDenied, Req.Host, Req.Port, *Why);
    reply(403, "connectorc sandbox: " + *Why);
    return;
  }
  resolve();
}

void ProxyConn::resolve() {
  Timer.expires_after(L->Lim.ConnectTimeout);
  Timer.async_wait([W = weak_from_this()](boost::system::error_code EC) {
    auto Self = W.lock();
    if (!Self || EC)
      return;
    Self->TimedOut = true;
    Self->Resolver.cancel();
    boost::system::error_code Ignored;
    Self->Upstream.close(Ignored);
  });
  if (std::optional<asio::ip::address> Ip = ipLiteral(Req.Host)) {
    Endpoints.emplace_back(*Ip, Req.Port);
    connectNext();
    return;
  }
  Resolver.async_resolve(
      Req.Host, std::to_string(Req.Port), tcp::resolver::numeric_service,
      [Self = shared_from_this()](boost::system::error_code EC,
                                  tcp::resolver::results_type Results) {
        if (EC) {
          Self->LastError = Self->TimedOut ? "timed out" : EC.message();
          Self->L->report(Self->L->Opts.OnFailed, Self->Req.Host,
                          Self->Req.Port,
                          "cannot resolve the name: " + Self->LastError);
          Self->reply(Self->TimedOut ? 504 : 502,
                      "connectorc sandbox: cannot resolve " + Self->Req.Host +
                          ": " + Self->LastError);
          return;
        }
        Self->resolved(Results);
      });
}

// A name allowed by the rules may still resolve to this machine (an
// /etc/hosts entry, a wildcard domain pointed at 127.0.0.1): only a host
// that names loopback itself (localhost, 127.0.0.1, ::1) may reach the
// host's loopback services.
void ProxyConn::resolved(const tcp::resolver::results_type &Results) {
  bool MayBeLocal = isLoopbackHost(Req.Host);
  for (const auto &R : Results)
    if (MayBeLocal || !egress::isThisMachine(R.endpoint().address()))
      Endpoints.push_back(R.endpoint());
  if (Endpoints.empty() && !Results.empty()) {
    std::string Why = Req.Host + " resolves to this machine (allow it by its "
                                 "address to reach a loopback service)";
    L->report(L->Opts.OnDenied, Req.Host, Req.Port, Why);
    Timer.cancel();
    reply(403, "connectorc sandbox: " + Why);
    return;
  }
  connectNext();
}

// Each address in turn; the socket is made here, not by a ranged connect,
// so that it is close-on-exec before anything else runs.
void ProxyConn::connectNext() {
  if (TimedOut || NextEndpoint == Endpoints.size()) {
    std::string Why = TimedOut ? "timed out" : LastError;
    std::string Dest = Req.Host + ":" + std::to_string(Req.Port);
    L->report(L->Opts.OnFailed, Req.Host, Req.Port, "cannot connect: " + Why);
    reply(TimedOut ? 504 : 502,
          "connectorc sandbox: cannot connect to " + Dest + ": " + Why);
    return;
  }
  const tcp::endpoint &E = Endpoints[NextEndpoint++];
  boost::system::error_code EC;
  Upstream.close(EC);
  Upstream.open(E.protocol(), EC);
  closeOnExec(Upstream);
  if (EC) {
    LastError = EC.message();
    connectNext();
    return;
  }
  Upstream.async_connect(
      E, [Self = shared_from_this()](boost::system::error_code EC) {
        if (EC) {
          Self->LastError = EC.message();
          Self->connectNext();
          return;
        }
        Self->Timer.cancel();
        Self->tunnel();
      });
}

void ProxyConn::tunnel() {
  boost::system::error_code Ignored;
  Upstream.set_option(tcp::no_delay(true), Ignored);
  std::string Ahead = beast::buffers_to_string(Buf.data());
  std::string ToOrigin, ToClient;
  if (Req.Kind == EgressKind::Connect)
    ToClient = "HTTP/1.1 200 Connection established\r\n\r\n";
  else
    ToOrigin = std::move(Req.OriginHead);
  ToOrigin += Ahead;
  // The splice keeps this connection (and so its place in Live) until it
  // ends.
  Splice = ByteSplice::start(
      std::move(Client), StreamSocket(std::move(Upstream)), std::move(ToOrigin),
      std::move(ToClient), [Self = shared_from_this()] {});
}

static llvm::StringRef statusText(unsigned Status) {
  switch (Status) {
  case 400:
    return "Bad Request";
  case 403:
    return "Forbidden";
  case 431:
    return "Request Header Fields Too Large";
  case 502:
    return "Bad Gateway";
  case 504:
    return "Gateway Timeout";
  }
  return "Error";
}

// An answer of the proxy's own; then the connection ends.
void ProxyConn::reply(unsigned Status, llvm::StringRef Text) {
  if (!Client.is_open())
    return;
  std::string Body = Text.str() + "\n";
  Reply = "HTTP/1.1 " + std::to_string(Status) + " " +
          statusText(Status).str() +
          "\r\nContent-Type: text/plain\r\nContent-Length: " +
          std::to_string(Body.size()) + "\r\nConnection: close\r\n\r\n" + Body;
  asio::async_write(
      Client, asio::buffer(Reply),
      [Self = shared_from_this()](boost::system::error_code EC, size_t) {
        if (EC) {
          Self->abort();
          return;
        }
        Self->linger();
      });
}

// Closing a socket with unread input makes the peer's next read fail
// (ECONNRESET), which may lose the answer just sent: shut the sending half,
// then read and drop what the client still sends, for a moment at most.
void ProxyConn::linger() {
  boost::system::error_code Ignored;
  Client.shutdown(asio::socket_base::shutdown_send, Ignored);
  Timer.expires_after(std::chrono::seconds(2));
  Timer.async_wait([W = weak_from_this()](boost::system::error_code EC) {
    if (auto Self = W.lock(); Self && !EC)
      Self->abort();
  });
  struct Reader {
    std::shared_ptr<ProxyConn> Self;
    void operator()(boost::system::error_code EC, size_t) {
      if (EC) {
        Self->abort();
        return;
      }
      Self->Client.async_read_some(asio::buffer(Self->Drain), std::move(*this));
    }
  };
  Reader{shared_from_this()}({}, 0);
}

void ProxyConn::abort() {
  if (auto S = Splice.lock()) {
    S->close();
    return;
  }
  boost::system::error_code Ignored;
  Timer.cancel();
  Resolver.cancel();
  Client.close(Ignored);
  Upstream.close(Ignored);
}

//===----------------------------------------------------------------------===//
// Listeners
//===----------------------------------------------------------------------===//

void EgressProxy::ListenerState::accept() {
  Acceptor.async_accept([Self = shared_from_this()](
                            boost::system::error_code EC,
                            asio::local::stream_protocol::socket S) {
    if (Self->Closed)
      return;
    if (EC) {
      if (EC == asio::error::operation_aborted)
        return;
      // Out of descriptors, most likely: try again in a moment, not in a
      // busy loop.
      Self->Retry.expires_after(std::chrono::milliseconds(100));
      Self->Retry.async_wait([Self](boost::system::error_code E) {
        if (!E && !Self->Closed)
          Self->accept();
      });
      return;
    }
    closeOnExec(S);
    if (Self->Live.size() < Self->Lim.MaxConnections)
      std::make_shared<ProxyConn>(Self, StreamSocket(std::move(S)))->start();
    Self->accept();
  });
}

void EgressProxy::ListenerState::shutdown() {
  Closed = true;
  boost::system::error_code Ignored;
  Acceptor.close(Ignored);
  Retry.cancel();
  std::vector<ProxyConn *> Open(Live.begin(), Live.end());
  for (ProxyConn *C : Open)
    C->abort();
  // Only the socket this listener made: not one made there since.
  struct stat St;
  if (::lstat(Opts.SocketPath.c_str(), &St) == 0 && St.st_dev == Dev &&
      St.st_ino == Ino)
    ::unlink(Opts.SocketPath.c_str());
}

static llvm::Error osError(const llvm::Twine &What) {
  return llvm::createStringError(
      std::error_code(errno, std::generic_category()), "%s: %s",
      What.str().c_str(), std::strerror(errno));
}

/// The socket's directory exists, is ours and private; nothing but a stale
/// socket is at the path.
static llvm::Error prepareSocketPath(llvm::StringRef Path) {
  if (Path.size() >= sizeof(sockaddr_un::sun_path))
    return llvm::createStringError(
        std::errc::filename_too_long,
        "egress proxy socket path is %zu bytes, the limit is %zu: %s",
        Path.size(), sizeof(sockaddr_un::sun_path) - 1, Path.str().c_str());
  std::string Dir = llvm::sys::path::parent_path(Path).str();
  if (Dir.empty())
    Dir = ".";
  struct stat St;
  if (::stat(Dir.c_str(), &St) != 0) {
    if (errno != ENOENT || ::mkdir(Dir.c_str(), 0700) != 0)
      return osError("cannot make the egress proxy's directory " + Dir);
    if (::stat(Dir.c_str(), &St) != 0)
      return osError("cannot read " + Dir);
  }
  if (!S_ISDIR(St.st_mode) || St.st_uid != ::geteuid() || (St.st_mode & 077))
    return llvm::createStringError(
        std::errc::permission_denied,
        "the egress proxy's socket directory %s must be a directory of this "
        "user's with no access for others (mode 0700)",
        Dir.c_str());
  if (::lstat(Path.str().c_str(), &St) == 0) {
    if (!S_ISSOCK(St.st_mode))
      return llvm::createStringError(std::errc::file_exists,
                                     "%s exists and is not a socket",
                                     Path.str().c_str());
    if (::unlink(Path.str().c_str()) != 0)
      return osError("cannot remove the old socket " + Path);
  }
  return llvm::Error::success();
}

EgressProxy::EgressProxy(asio::io_context &Io) : EgressProxy(Io, Limits()) {}

EgressProxy::EgressProxy(asio::io_context &Io, Limits L) : Io(Io), Lim(L) {}

EgressProxy::~EgressProxy() {
  for (auto &[Id, St] : Listeners)
    St->shutdown();
}

llvm::Expected<EgressProxy::ListenerId> EgressProxy::listen(ListenerOptions O) {
  if (llvm::Error E = prepareSocketPath(O.SocketPath))
    return E;
  auto St = std::make_shared<ListenerState>(Io, std::move(O), Lim);
  const std::string &Path = St->Opts.SocketPath;
  boost::system::error_code EC;
  St->Acceptor.open(asio::local::stream_protocol(), EC);
  closeOnExec(St->Acceptor);
  if (!EC)
    St->Acceptor.bind(asio::local::stream_protocol::endpoint(Path), EC);
  if (EC)
    return llvm::createStringError(EC,
                                   "cannot make the egress proxy's "
                                   "socket %s: %s",
                                   Path.c_str(), EC.message().c_str());
  struct stat S;
  if (::chmod(Path.c_str(), 0600) != 0 || ::lstat(Path.c_str(), &S) != 0)
    return osError("cannot restrict " + Path);
  St->Dev = S.st_dev;
  St->Ino = S.st_ino;
  St->Acceptor.listen(asio::socket_base::max_listen_connections, EC);
  if (EC)
    return llvm::createStringError(EC, "cannot listen on %s: %s", Path.c_str(),
                                   EC.message().c_str());
  St->accept();
  ListenerId Id = Next++;
  Listeners.emplace(Id, std::move(St));
  return Id;
}

void EgressProxy::close(ListenerId Id) {
  auto It = Listeners.find(Id);
  if (It == Listeners.end())
    return;
  std::shared_ptr<ListenerState> St = std::move(It->second);
  Listeners.erase(It);
  St->shutdown();
}

size_t EgressProxy::connections(ListenerId Id) const {
  auto It = Listeners.find(Id);
  return It == Listeners.end() ? 0 : It->second->Live.size();
}
