//===- HttpListener.cpp - the HTTP server's sockets -----------------------===//
//
// Boost.Beast on the loop: accepts (TLS when asked), reads one request at
// a time with the body limit, answers with handleHttpRequest, and turns a
// connection into an event stream (text/event-stream) or a WebSocket
// terminal when the answer says so. The terminal is the control socket's
// attach (Operations::attach) carried over WebSocket messages: binary both
// ways for the terminal's bytes, text for JSON control messages.
//
//===----------------------------------------------------------------------===//
#include "runtime/server/HttpServer.h"
#include "runtime/server/JournalEvents.h"

#include "runtime/daemon/Control.h"
#include "runtime/support/JsonText.h"

#include "llvm/ADT/StringExtras.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>

#include <deque>
#include <set>

using namespace connectorc;
using namespace connectorc::server;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = llvm::json;
using tcp = asio::ip::tcp;
using Local = asio::local::stream_protocol;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {
/// How long a request may take to arrive, and an idle connection stay.
constexpr auto RequestTimeout = std::chrono::seconds(30);
/// How much a slow event or terminal client may have queued before it is
/// dropped (events) or the run's output waits (a terminal).
constexpr size_t MaxQueued = 8 << 20;
/// How many connections are served at once; one more is closed at once
/// (a client opening sockets without end does not take the descriptors).
constexpr size_t MaxConnections = 256;

/// Something to close when the server closes.
struct Closable {
  virtual ~Closable() = default;
  virtual void shut() = 0;
};
} // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context &Io, Operations &Ops) : Io(Io), Ops(Ops) {}
  asio::io_context &Io;
  Operations &Ops;
  RequestContext Ctx;
  std::optional<tcp::acceptor> Acceptor;
  std::optional<asio::ssl::context> Ssl;
  std::unique_ptr<JournalEvents> Events;
  std::set<std::shared_ptr<Closable>> Open;
  std::string Url;
  unsigned short Port = 0;
  bool Closed = false;
  void accept();
};

namespace {
template <class Stream> tcp::socket &socketOf(Stream &S) {
  return beast::get_lowest_layer(S).socket();
}

/// Closes \p S's socket and lets the server forget \p C, which it held
/// until then.
template <class Stream>
void closeConnection(Stream &S, HttpServer::Impl &Srv,
                     const std::shared_ptr<Closable> &C) {
  boost::system::error_code Ignored;
  socketOf(S).shutdown(tcp::socket::shutdown_both, Ignored);
  socketOf(S).close(Ignored);
  Srv.Open.erase(C);
}

//===----------------------------------------------------------------------===//
// Server-sent events
//===----------------------------------------------------------------------===//

template <class Stream>
struct EventStream : Closable,
                     std::enable_shared_from_this<EventStream<Stream>> {
  EventStream(std::shared_ptr<HttpServer::Impl> Srv, Stream S,
              std::string Run)
      : Srv(std::move(Srv)), S(std::move(S)), Run(std::move(Run)),
        Ping(this->Srv->Io) {}

  void start(unsigned Version) {
    beast::get_lowest_layer(S).expires_never();
    send(fmt::format("HTTP/1.{} 200 OK\r\n"
                     "Server: connectorc/" CONNECTORC_VERSION "\r\n"
                     "Content-Type: text/event-stream; charset=utf-8\r\n"
                     "Cache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n\r\n"
                     ": connectorc journal events{}\n\n",
                     Version % 10, Run.empty() ? "" : " of " + Run));
    std::weak_ptr<EventStream> W = this->shared_from_this();
    Sub = Srv->Events->subscribe(
        [W](llvm::StringRef R, const json::Object &E) {
          if (auto Self = W.lock())
            Self->onEvent(R, E);
        });
    watchClose();
    keepAlive();
  }

  void onEvent(llvm::StringRef R, const json::Object &E) {
    if (!Run.empty() && R != Run)
      return;
    json::Object O = E;
    O["run"] = R.str();
    ++Seq;
    send(fmt::format("id: {}\ndata: {}\n\n", Seq,
                     runtime::toJsonText(json::Value(std::move(O)))));
  }

  void keepAlive() {
    Ping.expires_after(std::chrono::seconds(15));
    Ping.async_wait([Self = this->shared_from_this()](
                        boost::system::error_code EC) {
      if (EC || Self->Done)
        return;
      Self->send(": keep-alive\n\n");
      Self->keepAlive();
    });
  }

  /// A client that closes is noticed by a read that ends.
  void watchClose() {
    S.async_read_some(asio::buffer(Sink),
                      [Self = this->shared_from_this()](
                          boost::system::error_code EC, size_t) {
                        if (EC)
                          Self->shut();
                        else
                          Self->watchClose();
                      });
  }

  void send(std::string Text) {
    if (Done)
      return;
    Queued += Text.size();
    if (Queued > MaxQueued) {
      shut(); // too slow: it reconnects, and misses what it missed
      return;
    }
    Out.push_back(std::move(Text));
    writeMore();
  }

  void writeMore() {
    if (Writing || Out.empty() || Done)
      return;
    Writing = true;
    asio::async_write(S, asio::buffer(Out.front()),
                      [Self = this->shared_from_this()](
                          boost::system::error_code EC, size_t) {
                        Self->Writing = false;
                        if (EC) {
                          Self->shut();
                          return;
                        }
                        Self->Queued -= Self->Out.front().size();
                        Self->Out.pop_front();
                        Self->writeMore();
                      });
  }

  void shut() override {
    if (Done)
      return;
    Done = true;
    if (Srv->Events)
      Srv->Events->unsubscribe(Sub);
    Ping.cancel();
    closeConnection(S, *Srv, this->shared_from_this());
  }

  std::shared_ptr<HttpServer::Impl> Srv;
  Stream S;
  std::string Run;
  asio::steady_timer Ping;
  std::array<char, 512> Sink;
  std::deque<std::string> Out;
  size_t Queued = 0;
  unsigned Sub = 0;
  uint64_t Seq = 0;
  bool Writing = false, Done = false;
};

//===----------------------------------------------------------------------===//
// The WebSocket terminal
//===----------------------------------------------------------------------===//

std::string resizeFrame(unsigned Rows, unsigned Cols) {
  std::string P(4, '\0');
  P[0] = static_cast<char>((Rows >> 8) & 0xff);
  P[1] = static_cast<char>(Rows & 0xff);
  P[2] = static_cast<char>((Cols >> 8) & 0xff);
  P[3] = static_cast<char>(Cols & 0xff);
  return runtime::encodeFrame(runtime::Frame::Resize, P);
}

template <class Stream>
struct Terminal : Closable, std::enable_shared_from_this<Terminal<Stream>> {
  Terminal(std::shared_ptr<HttpServer::Impl> Srv, Stream S,
           Operations::Attached A)
      : Srv(std::move(Srv)), Ws(std::move(S)), Ctl(this->Srv->Io),
        Frames(std::move(A.Rest)), A(std::move(A)) {
    boost::system::error_code EC;
    Ctl.assign(Local(), this->A.Fd, EC);
    if (EC)
      ::close(this->A.Fd);
  }

  void start(HttpRequest Req) {
    beast::get_lowest_layer(Ws).expires_never();
    Ws.set_option(
        websocket::stream_base::timeout::suggested(beast::role_type::server));
    Ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type &R) {
          R.set(http::field::server, "connectorc/" CONNECTORC_VERSION);
        }));
    Ws.read_message_max(runtime::MaxFrame);
    Ws.async_accept(Req, [Self = this->shared_from_this()](
                             boost::system::error_code EC) {
      if (EC) {
        Self->shut();
        return;
      }
      Self->sendText(runtime::toJsonText(json::Object{
          {"type", "attached"},
          {"task", Self->A.Task},
          {"write", Self->A.Write},
          {"rows", int64_t(Self->A.Rows)},
          {"cols", int64_t(Self->A.Cols)}}));
      // The redraw and whatever came with the answer.
      if (!Self->takeFrames())
        return;
      Self->readCtl();
      Self->readWs();
    });
  }

  /// The control socket's frames to WebSocket messages; false when the
  /// connection is over.
  bool takeFrames() {
    bool Ok = runtime::splitFrames(
        Frames, [this](runtime::Frame F, llvm::StringRef P) {
          if (F == runtime::Frame::Output) {
            queue(true, P.str());
            return true;
          }
          if (F == runtime::Frame::Closed) {
            Ended = P.str();
            sendText(runtime::toJsonText(
                json::Object{{"type", "closed"}, {"reason", json::fixUTF8(P)}}));
            return true;
          }
          return false;
        });
    if (!Ok) {
      finish("a malformed frame from the run");
      return false;
    }
    return true;
  }

  void readCtl() {
    if (CtlReading || Done || Queued > MaxQueued)
      return;
    CtlReading = true;
    Ctl.async_read_some(asio::buffer(Buf), [Self = this->shared_from_this()](
                                               boost::system::error_code EC,
                                               size_t N) {
      Self->CtlReading = false;
      if (Self->Done)
        return;
      if (EC) {
        Self->finish(Self->Ended.empty() ? "the run is gone" : Self->Ended);
        return;
      }
      Self->Frames.append(Self->Buf.data(), N);
      if (Self->takeFrames())
        Self->readCtl();
    });
  }

  void readWs() {
    Ws.async_read(In, [Self = this->shared_from_this()](
                          boost::system::error_code EC, size_t) {
      if (EC) {
        Self->detach();
        return;
      }
      std::string Msg = beast::buffers_to_string(Self->In.data());
      Self->In.consume(Self->In.size());
      if (Self->Ws.got_binary()) {
        if (Self->A.Write && !Msg.empty())
          Self->toCtl(runtime::encodeFrame(runtime::Frame::Input, Msg));
      } else if (!Self->onControl(Msg)) {
        return;
      }
      Self->readWs();
    });
  }

  /// {"type": "resize", "rows": R, "cols": C} or {"type": "detach"}; false
  /// when the connection ends.
  bool onControl(llvm::StringRef Msg) {
    // A control message is flat: anything deep is refused unparsed (LLVM's
    // parser recurses once a level).
    llvm::Expected<json::Value> V =
        runtime::nestsDeeperThan(Msg, 4)
            ? llvm::Expected<json::Value>(llvm::createStringError(
                  llvm::inconvertibleErrorCode(), "nested too deep"))
            : json::parse(Msg);
    const json::Object *O = V ? V->getAsObject() : nullptr;
    if (!V)
      llvm::consumeError(V.takeError());
    llvm::StringRef Type =
        O ? O->getString("type").getValueOr("") : llvm::StringRef();
    if (Type == "resize") {
      int64_t Rows = O->getInteger("rows").getValueOr(0);
      int64_t Cols = O->getInteger("cols").getValueOr(0);
      // The run ignores a reader's and an out-of-range size itself.
      if (Rows > 0 && Cols > 0 && Rows <= 0xffff && Cols <= 0xffff)
        toCtl(resizeFrame(static_cast<unsigned>(Rows),
                          static_cast<unsigned>(Cols)));
      return true;
    }
    if (Type == "detach") {
      detach();
      return false;
    }
    finish("a text message is {\"type\": \"resize\", …} or {\"type\": "
           "\"detach\"}",
           websocket::close_code::policy_error);
    return false;
  }

  void toCtl(const std::string &Frame) {
    boost::system::error_code EC;
    // Small and rare (keys, sizes): written at once.
    asio::write(Ctl, asio::buffer(Frame), EC);
    if (EC)
      finish("the run is gone");
  }

  void detach() {
    if (Done)
      return;
    toCtl(runtime::encodeFrame(runtime::Frame::Detach, ""));
    shut();
  }

  void sendText(std::string Text) { queue(false, std::move(Text)); }

  void queue(bool Binary, std::string Bytes) {
    if (Done)
      return;
    Queued += Bytes.size();
    Out.emplace_back(Binary, std::move(Bytes));
    writeMore();
  }

  void writeMore() {
    if (Writing || Done)
      return;
    if (Out.empty()) {
      if (Closing)
        closeWs();
      return;
    }
    Writing = true;
    Ws.binary(Out.front().first);
    Ws.async_write(asio::buffer(Out.front().second),
                   [Self = this->shared_from_this()](
                       boost::system::error_code EC, size_t) {
                     Self->Writing = false;
                     if (EC) {
                       Self->shut();
                       return;
                     }
                     Self->Queued -= Self->Out.front().second.size();
                     Self->Out.pop_front();
                     Self->writeMore();
                     Self->readCtl();
                   });
  }

  /// Ends with a close message saying why, once what is queued is sent.
  void finish(std::string Why,
              websocket::close_code Code = websocket::close_code::normal) {
    if (Done || Closing)
      return;
    Closing = true;
    CloseWhy = websocket::close_reason(Code, Why.substr(0, 120));
    boost::system::error_code Ignored;
    Ctl.close(Ignored);
    writeMore();
  }

  void closeWs() {
    Writing = true;
    Ws.async_close(CloseWhy, [Self = this->shared_from_this()](
                                 boost::system::error_code) { Self->shut(); });
  }

  void shut() override {
    if (Done)
      return;
    Done = true;
    boost::system::error_code Ignored;
    Ctl.close(Ignored);
    closeConnection(Ws.next_layer(), *Srv, this->shared_from_this());
  }

  std::shared_ptr<HttpServer::Impl> Srv;
  websocket::stream<Stream> Ws;
  Local::socket Ctl;
  std::string Frames;
  Operations::Attached A;
  std::array<char, 64 * 1024> Buf;
  beast::flat_buffer In;
  std::deque<std::pair<bool, std::string>> Out;
  websocket::close_reason CloseWhy;
  std::string Ended;
  size_t Queued = 0;
  bool Writing = false, CtlReading = false, Closing = false, Done = false;
};

//===----------------------------------------------------------------------===//
// One HTTP connection
//===----------------------------------------------------------------------===//

template <class Stream>
struct Session : Closable, std::enable_shared_from_this<Session<Stream>> {
  template <class... Args>
  Session(std::shared_ptr<HttpServer::Impl> Srv, Args &&...A)
      : Srv(std::move(Srv)), S(std::forward<Args>(A)...) {}

  void start() {
    beast::get_lowest_layer(S).expires_after(RequestTimeout);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      S.async_handshake(asio::ssl::stream_base::server,
                        [Self = this->shared_from_this()](
                            boost::system::error_code EC) {
                          if (EC)
                            Self->shut();
                          else
                            Self->read();
                        });
    } else {
      read();
    }
  }

  void read() {
    Parser.emplace();
    Parser->body_limit(MaxRequestBody);
    Parser->header_limit(16 * 1024);
    beast::get_lowest_layer(S).expires_after(RequestTimeout);
    http::async_read(S, Buf, *Parser,
                     [Self = this->shared_from_this()](
                         boost::system::error_code EC, size_t) {
                       Self->onRequest(EC);
                     });
  }

  void onRequest(boost::system::error_code EC) {
    if (EC == http::error::end_of_stream || EC == beast::error::timeout ||
        EC == asio::error::operation_aborted || EC == asio::error::eof ||
        EC == asio::error::connection_reset) {
      shut();
      return;
    }
    if (EC) {
      // What could be read of the request, for the problem's "instance".
      HttpRequest Partial;
      if (Parser->is_header_done())
        Partial = Parser->get();
      Partial.keep_alive(false);
      bool Big = EC == http::error::body_limit ||
                 EC == http::error::header_limit ||
                 EC == http::error::buffer_overflow;
      write(problemResponse(Partial, Big ? 413 : 400,
                            Big ? "too-large" : "bad-request",
                            Big ? fmt::format("the request is over its limit "
                                              "({} bytes of body)",
                                              MaxRequestBody)
                                : "a malformed request: " + EC.message()),
            /*Close=*/true);
      return;
    }
    HttpRequest Req = Parser->release();
    HttpAnswer A = handleHttpRequest(Req, Srv->Ctx);
    if (A.Kind == HttpAnswer::Upgrade::Events) {
      auto E = std::make_shared<EventStream<Stream>>(Srv, std::move(S), A.Run);
      Srv->Open.insert(E);
      Srv->Open.erase(this->shared_from_this());
      E->start(Req.version());
      return;
    }
    if (A.Kind == HttpAnswer::Upgrade::Terminal) {
      llvm::Expected<Operations::Attached> At =
          Srv->Ops.attach(A.Run, A.Task, A.Write, A.Rows, A.Cols);
      if (!At) {
        Req.keep_alive(false);
        write(problemResponse(Req, At.takeError()), true);
        return;
      }
      auto T = std::make_shared<Terminal<Stream>>(Srv, std::move(S),
                                                  std::move(*At));
      Srv->Open.insert(T);
      Srv->Open.erase(this->shared_from_this());
      T->start(std::move(Req));
      return;
    }
    bool Close = !A.Response.keep_alive();
    write(std::move(A.Response), Close);
  }

  void write(HttpResponse R, bool Close) {
    if (Close)
      R.keep_alive(false);
    Res = std::make_shared<HttpResponse>(std::move(R));
    http::async_write(S, *Res,
                      [Self = this->shared_from_this(), Close](
                          boost::system::error_code EC, size_t) {
                        Self->Res.reset();
                        if (EC || Close) {
                          Self->shut();
                          return;
                        }
                        Self->read();
                      });
  }

  void shut() override {
    if (Done)
      return;
    Done = true;
    closeConnection(S, *Srv, this->shared_from_this());
  }

  std::shared_ptr<HttpServer::Impl> Srv;
  Stream S;
  beast::flat_buffer Buf;
  std::optional<http::request_parser<http::string_body>> Parser;
  std::shared_ptr<HttpResponse> Res;
  bool Done = false;
};
} // namespace

void HttpServer::Impl::accept() {
  Acceptor->async_accept([Self = shared_from_this()](
                             boost::system::error_code EC, tcp::socket Sock) {
    if (Self->Closed || EC == asio::error::operation_aborted)
      return;
    if (!EC && Self->Open.size() >= MaxConnections) {
      boost::system::error_code Ignored;
      Sock.close(Ignored);
    } else if (!EC) {
      ::fcntl(Sock.native_handle(), F_SETFD, FD_CLOEXEC);
      boost::system::error_code Ignored;
      Sock.set_option(tcp::no_delay(true), Ignored);
      if (Self->Ssl) {
        auto S = std::make_shared<Session<TlsStream>>(Self, std::move(Sock),
                                                      *Self->Ssl);
        Self->Open.insert(S);
        S->start();
      } else {
        auto S = std::make_shared<Session<PlainStream>>(Self, std::move(Sock));
        Self->Open.insert(S);
        S->start();
      }
    }
    Self->accept();
  });
}

HttpServer::HttpServer(asio::io_context &Io, Operations &Ops)
    : I(std::make_shared<Impl>(Io, Ops)) {
  I->Ctx.Ops = &Ops;
}

HttpServer::~HttpServer() { close(); }

unsigned short HttpServer::port() const { return I->Port; }
std::string HttpServer::url() const { return I->Url; }

llvm::Error HttpServer::listen(const ServeOptions &O) {
  auto Fail = [](const llvm::Twine &Why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Why);
  };
  if (llvm::Error E = checkServeOptions(O))
    return E;
  if (O.Token.empty())
    return Fail("no token");
  boost::system::error_code EC;
  asio::ip::address Addr = asio::ip::make_address(O.Address, EC);
  bool Tls = !O.TlsCert.empty();
  if (Tls) {
    I->Ssl.emplace(asio::ssl::context::tls_server);
    I->Ssl->set_options(asio::ssl::context::default_workarounds |
                        asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 |
                        asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
    I->Ssl->use_certificate_chain_file(O.TlsCert, EC);
    if (EC)
      return Fail("cannot use the certificate " + O.TlsCert + ": " +
                  EC.message());
    I->Ssl->use_private_key_file(O.TlsKey, asio::ssl::context::pem, EC);
    if (EC)
      return Fail("cannot use the key " + O.TlsKey + ": " + EC.message());
  }
  I->Acceptor.emplace(I->Io);
  tcp::endpoint End(Addr, O.Port);
  I->Acceptor->open(End.protocol(), EC);
  if (!EC)
    ::fcntl(I->Acceptor->native_handle(), F_SETFD, FD_CLOEXEC);
  if (!EC)
    I->Acceptor->set_option(asio::socket_base::reuse_address(true), EC);
  if (!EC)
    I->Acceptor->bind(End, EC);
  if (!EC)
    I->Acceptor->listen(asio::socket_base::max_listen_connections, EC);
  if (EC) {
    I->Acceptor.reset();
    return Fail(fmt::format("cannot listen on {}:{}: {}", O.Address, O.Port,
                            EC.message()));
  }
  I->Port = I->Acceptor->local_endpoint().port();
  std::string HostPart =
      Addr.is_v6() ? "[" + Addr.to_string() + "]" : Addr.to_string();
  I->Url = fmt::format("{}://{}:{}", Tls ? "https" : "http", HostPart, I->Port);
  I->Ctx.Token = O.Token;
  I->Ctx.Tls = Tls;
  I->Ctx.Hosts = {fmt::format("{}:{}", HostPart, I->Port)};
  if (Addr.is_loopback())
    for (const char *H : {"localhost", "127.0.0.1", "[::1]"})
      I->Ctx.Hosts.push_back(fmt::format("{}:{}", H, I->Port));
  for (const std::string &H : O.Hosts)
    I->Ctx.Hosts.push_back(
        llvm::StringRef(H).contains(':') && !llvm::StringRef(H).endswith("]")
            ? H
            : fmt::format("{}:{}", H, I->Port));
  // Browsers leave out the default port.
  if ((Tls && I->Port == 443) || (!Tls && I->Port == 80))
    for (size_t N = 0, E = I->Ctx.Hosts.size(); N < E; ++N)
      I->Ctx.Hosts.push_back(llvm::StringRef(I->Ctx.Hosts[N])
                                 .rsplit(':')
                                 .first.str());
  std::sort(I->Ctx.Hosts.begin(), I->Ctx.Hosts.end());
  I->Ctx.Hosts.erase(std::unique(I->Ctx.Hosts.begin(), I->Ctx.Hosts.end()),
                     I->Ctx.Hosts.end());
  llvm::Expected<std::string> Dir =
      I->Ops.config().RuntimeDir.empty()
          ? runtime::userRuntimeDir()
          : llvm::Expected<std::string>(I->Ops.config().RuntimeDir);
  if (!Dir)
    return Dir.takeError();
  I->Events = std::make_unique<JournalEvents>(I->Io, *Dir);
  I->Events->start();
  I->accept();
  return llvm::Error::success();
}

void HttpServer::close() {
  if (!I || I->Closed)
    return;
  I->Closed = true;
  if (I->Acceptor) {
    boost::system::error_code Ignored;
    I->Acceptor->close(Ignored);
  }
  for (const std::shared_ptr<Closable> &C :
       std::vector<std::shared_ptr<Closable>>(I->Open.begin(), I->Open.end()))
    C->shut();
  I->Open.clear();
  if (I->Events)
    I->Events->stop();
}

llvm::Error server::checkServeOptions(const ServeOptions &O) {
  auto Fail = [](const llvm::Twine &Why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Why);
  };
  boost::system::error_code EC;
  asio::ip::address Addr = asio::ip::make_address(O.Address, EC);
  if (EC)
    return Fail("'" + O.Address + "' is not an IP address");
  bool Tls = !O.TlsCert.empty() || !O.TlsKey.empty();
  if (Tls && (O.TlsCert.empty() || O.TlsKey.empty()))
    return Fail("TLS needs both --tls-cert and --tls-key");
  if (!Addr.is_loopback() && !Tls)
    return Fail("listening on " + O.Address +
                ", which is not loopback, needs TLS (--tls-cert FILE "
                "--tls-key FILE): the token would cross the network in the "
                "clear");
  return llvm::Error::success();
}

llvm::Error server::parseListen(llvm::StringRef Arg, ServeOptions &O) {
  auto Fail = [&] {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "--listen wants ADDR:PORT, [V6ADDR]:PORT or PORT; got '" + Arg + "'");
  };
  llvm::StringRef Host = Arg, Port;
  if (Arg.startswith("[")) {
    size_t Close = Arg.find(']');
    if (Close == llvm::StringRef::npos)
      return Fail();
    Host = Arg.slice(1, Close);
    Port = Arg.drop_front(Close + 1);
    if (!Port.empty() && !Port.consume_front(":"))
      return Fail();
  } else if (Arg.count(':') == 1) {
    std::tie(Host, Port) = Arg.split(':');
  } else if (!Arg.empty() && Arg.find_first_not_of("0123456789") ==
                                 llvm::StringRef::npos) {
    Host = "";
    Port = Arg;
  }
  unsigned P = O.Port;
  if (!Port.empty() && (Port.getAsInteger(10, P) || P > 65535))
    return Fail();
  if (!Host.empty()) {
    boost::system::error_code EC;
    asio::ip::make_address(Host.str(), EC);
    if (EC)
      return Fail();
    O.Address = Host.str();
  }
  O.Port = static_cast<unsigned short>(P);
  return llvm::Error::success();
}
