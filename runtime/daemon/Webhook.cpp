//===- Webhook.cpp - one JSON POST on the run's loop ----------------------===//
#include "runtime/daemon/Webhook.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

#include <memory>
#include <optional>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

namespace {
/// "host" or "host:port" for the Host header ([v6] in brackets).
std::string hostHeader(const ir::WebhookUrl &U) {
  std::string Host =
      U.Host.find(':') != std::string::npos ? "[" + U.Host + "]" : U.Host;
  return U.Port == (U.Tls ? "443" : "80") ? Host : Host + ":" + U.Port;
}

/// An IP address, which TLS's server name indication may not carry.
bool isAddress(const std::string &Host) {
  error_code EC;
  asio::ip::make_address(Host, EC);
  return !EC;
}

/// One POST, alive while an operation of it is pending.
class Post : public std::enable_shared_from_this<Post> {
public:
  Post(asio::io_context &Io, const ir::WebhookUrl &U, std::string Body,
       double TimeoutS, WebhookDone Done)
      : U(U), TimeoutS(TimeoutS), Resolver(Io), Deadline(Io),
        Done(std::move(Done)) {
    Req.method(http::verb::post);
    Req.target(U.Target);
    Req.version(11);
    Req.set(http::field::host, hostHeader(U));
    Req.set(http::field::user_agent, "connectorc");
    Req.set(http::field::content_type, "application/json");
    Req.set(http::field::connection, "close");
    Req.body() = std::move(Body);
    Req.prepare_payload();
    if (U.Tls) {
      Tls.emplace(Io, TlsContext);
    } else {
      Tcp.emplace(Io);
    }
  }

  void start() {
    Deadline.expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(TimeoutS)));
    Deadline.async_wait(
        [Self = shared_from_this()](error_code EC) { Self->onDeadline(EC); });
    if (U.Tls) {
      if (std::string Why = setUpTls(); !Why.empty())
        return finish(Why);
    }
    Resolver.async_resolve(U.Host, U.Port,
                           [Self = shared_from_this()](
                               error_code EC, tcp::resolver::results_type R) {
                             Self->onResolve(EC, std::move(R));
                           });
  }

private:
  beast::tcp_stream &layer() { return Tls ? Tls->next_layer() : *Tcp; }

  /// The system's CA certificates, and the host's name in the certificate.
  std::string setUpTls() {
    error_code EC;
    TlsContext.set_default_verify_paths(EC);
    if (EC)
      return "cannot read the system's CA certificates: " + EC.message();
    Tls->set_verify_mode(ssl::verify_peer);
    Tls->set_verify_callback(ssl::host_name_verification(U.Host));
    if (!isAddress(U.Host) &&
        !SSL_set_tlsext_host_name(Tls->native_handle(), U.Host.c_str()))
      return "cannot set the TLS server name";
    return "";
  }

  void onDeadline(error_code EC) {
    if (EC || Over)
      return;
    TimedOut = true;
    Resolver.cancel();
    layer().close();
  }

  void onResolve(error_code EC, const tcp::resolver::results_type &R) {
    if (EC)
      return fail("cannot resolve " + U.Host, EC);
    layer().async_connect(
        R, [Self = shared_from_this()](error_code EC, const tcp::endpoint &) {
          Self->onConnect(EC);
        });
  }

  void onConnect(error_code EC) {
    if (EC)
      return fail("cannot connect", EC);
    if (!Tls)
      return send(*Tcp);
    Tls->async_handshake(ssl::stream_base::client,
                         [Self = shared_from_this()](error_code EC) {
                           if (EC)
                             return Self->fail("TLS handshake failed", EC);
                           Self->send(*Self->Tls);
                         });
  }

  template <class Stream> void send(Stream &S) {
    http::async_write(S, Req,
                      [Self = shared_from_this(), &S](error_code EC, size_t) {
                        if (EC)
                          return Self->fail("cannot send", EC);
                        Self->receive(S);
                      });
  }

  /// The status line and headers are all a notification needs.
  template <class Stream> void receive(Stream &S) {
    http::async_read_header(
        S, Buf, Res, [Self = shared_from_this()](error_code EC, size_t) {
          if (EC)
            return Self->fail("no answer", EC);
          unsigned Status = Self->Res.get().result_int();
          if (Status / 100 == 2)
            return Self->finish("");
          Self->finish(fmt::format("the server answered HTTP {} {}", Status,
                                   std::string(Self->Res.get().reason())));
        });
  }

  void fail(const std::string &What, error_code EC) {
    if (TimedOut)
      return finish(fmt::format("no answer within {}s", TimeoutS));
    finish(What + ": " + EC.message());
  }

  void finish(std::string Error) {
    if (Over)
      return;
    Over = true;
    Deadline.cancel();
    error_code Ignored;
    layer().socket().close(Ignored);
    WebhookDone D = std::move(Done);
    D(std::move(Error));
  }

  ir::WebhookUrl U;
  double TimeoutS;
  tcp::resolver Resolver;
  asio::steady_timer Deadline;
  ssl::context TlsContext{ssl::context::tls_client};
  std::optional<beast::tcp_stream> Tcp;
  std::optional<ssl::stream<beast::tcp_stream>> Tls;
  http::request<http::string_body> Req;
  http::response_parser<http::empty_body> Res;
  beast::flat_buffer Buf;
  WebhookDone Done;
  bool Over = false;
  bool TimedOut = false;
};
} // namespace

void runtime::postWebhook(asio::io_context &Io, const ir::WebhookUrl &Url,
                          std::string Body, double TimeoutS, WebhookDone Done) {
  std::make_shared<Post>(Io, Url, std::move(Body), TimeoutS, std::move(Done))
      ->start();
}
