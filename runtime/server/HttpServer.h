//===- HttpServer.h - `connectorc serve`: HTTP and WebSocket -----*- C++ -*-===//
//
// The daemon's operations (Operations.h) over HTTP/1.1 with Boost.Beast, on
// the loop of the process that serves (the daemon's, when `connectorc
// serve` is the daemon): REST under /api/v1 (docs/openapi.json, served at
// /api/v1/openapi.json), the journals' events as server-sent events, and a
// WebSocket per session terminal that speaks the control socket's attach
// frames through to the run. docs/server.md.
//
// Who may connect: every request needs the token ($XDG_CONFIG_HOME/
// connectorc/token, 0600), as `Authorization: Bearer` or the cookie a
// --print-url visit sets; a Host that is not the server's own (DNS
// rebinding) and an Origin of another site are refused (403) before it is
// looked at; no CORS header is ever sent.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SERVER_HTTPSERVER_H
#define CONNECTORC_RUNTIME_SERVER_HTTPSERVER_H

#include "runtime/server/Operations.h"

#include "llvm/Support/Error.h"

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>
#include <string>
#include <vector>

namespace connectorc::server {

/// The largest request body read (a posted spec, JSON-escaped).
inline constexpr size_t MaxRequestBody = 8 << 20;
/// The token's cookie.
inline constexpr const char *TokenCookie = "connectorc_token";

/// The token's file: $XDG_CONFIG_HOME/connectorc/token (else
/// ~/.config/connectorc/token).
std::string tokenFile();
/// The token in \p Path, made (random, 256 bits, hex; mode 0600, its
/// directory 0700) when missing. An error when the file is another user's
/// or readable by others, or not a token.
llvm::Expected<std::string> loadOrCreateToken(const std::string &Path);
/// Whether \p Given is \p Token, in time that does not depend on where they
/// differ.
bool tokenMatches(llvm::StringRef Given, llvm::StringRef Token);

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse =
    boost::beast::http::response<boost::beast::http::string_body>;

/// What a request is answered with besides the operations.
struct RequestContext {
  Operations *Ops = nullptr;
  std::string Token;
  /// The Host values this server answers to ("127.0.0.1:8080",
  /// "localhost:8080", …); others are refused.
  std::vector<std::string> Hosts;
  bool Tls = false;
};

/// The answer to one request: a response, or (Upgrade not None, after the
/// checks passed) a stream the connection turns into.
struct HttpAnswer {
  enum class Upgrade { None, Events, Terminal } Kind = Upgrade::None;
  HttpResponse Response;
  /// Events: the run to follow ("" every run). Terminal: the run's control
  /// socket, the task, whether the client types, and the window.
  std::string Run, Socket, Task;
  bool Write = false;
  unsigned Rows = 0, Cols = 0;
};

/// The server's handling of \p Req: Host, Origin and token checks, then
/// the route. Never throws; anything unexpected is a 500 problem document.
HttpAnswer handleHttpRequest(const HttpRequest &Req, RequestContext &Ctx);

/// A problem document (RFC 9457) of \p Status for \p Req.
HttpResponse problemResponse(const HttpRequest &Req, unsigned Status,
                             llvm::StringRef Kind, llvm::StringRef Detail);
/// The problem document of a failed operation (Operations.h): its kind's
/// status, its message, and a spec's diagnostics when it has them.
HttpResponse problemResponse(const HttpRequest &Req, llvm::Error E);

/// How `connectorc serve` listens.
struct ServeOptions {
  std::string Address = "127.0.0.1";
  unsigned short Port = 7878; ///< 0: any free port
  std::string TlsCert, TlsKey;
  std::string Token;
  /// Extra Host names the server answers to (a name it is reached by).
  std::vector<std::string> Hosts;
};

/// Whether \p O can be served: an IP address, TLS's two files together,
/// and TLS for an address that is not loopback. (listen() checks it too;
/// this is for checking before anything starts.)
llvm::Error checkServeOptions(const ServeOptions &O);

/// Parses "ADDR:PORT", "[V6]:PORT", "PORT" or "ADDR".
llvm::Error parseListen(llvm::StringRef Arg, ServeOptions &O);

/// The HTTP server on a loop: listens until destroyed.
class HttpServer {
public:
  HttpServer(boost::asio::io_context &Io, Operations &Ops);
  ~HttpServer();
  /// Binds and listens. Listening on an address that is not loopback needs
  /// TLS (O.TlsCert and O.TlsKey).
  llvm::Error listen(const ServeOptions &O);
  /// The port it listens on.
  unsigned short port() const;
  /// The base URL ("http://127.0.0.1:7878").
  std::string url() const;
  /// Stops accepting and closes every connection.
  void close();

  struct Impl;

private:
  std::shared_ptr<Impl> I;
};

} // namespace connectorc::server

#endif
