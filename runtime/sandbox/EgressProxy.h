//===- EgressProxy.h - the sandbox's allowlisting HTTP proxy ----*- C++ -*-===//
//
// A sandboxed agent has no network of its own (bwrap --unshare-net leaves it
// only loopback). What it may reach goes through this proxy, which runs in
// the runtime on its io_context, outside the sandbox: the agent's side is a
// Unix socket bound into the sandbox, where `connectorc sandbox-net`
// (NetForwarder.h) relays the agent's TCP connections to it.
//
// The proxy speaks the two forms HTTP clients use with HTTPS_PROXY and
// HTTP_PROXY: `CONNECT host:port` (answered 200, then bytes both ways), and
// absolute-form plain HTTP (`GET http://host:port/path`, sent on to the
// origin in origin-form with `Connection: close`). Only destinations on the
// listener's allowlist are connected: anything else is answered 403 and
// reported to the listener's OnDenied. Host names are resolved here, so the
// agent needs no DNS.
//
// One proxy serves several listeners, one per sandboxed task, each with its
// own socket, allowlist and callbacks.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_EGRESSPROXY_H
#define CONNECTORC_RUNTIME_EGRESSPROXY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace connectorc::runtime {

/// The two kinds of request a proxy client sends.
enum class EgressKind {
  Connect, ///< `CONNECT host:port`: a tunnel (HTTPS, or anything over TCP)
  Http     ///< `GET http://host[:port]/...`: one plain HTTP request
};

/// One allowed destination.
struct EgressRule {
  /// A lowercase host name ("api.anthropic.com"), a suffix pattern
  /// ("*.example.com": any name ending in ".example.com", not the bare
  /// domain), or an IP literal ("127.0.0.1", "::1"; matched as an address,
  /// so "0:0::1" is "::1").
  std::string Host;
  /// None: 443 for CONNECT, 80 for plain HTTP.
  std::optional<uint16_t> Port;
  /// "host", "host:port", "[v6]:port": the form parseEgressRule() reads.
  std::string str() const;
};

/// A TCP port as decimal digits: 1 to 65535, nothing else.
std::optional<uint16_t> parsePortNumber(llvm::StringRef Text);

/// Reads "HOST", "HOST:PORT", "*.SUFFIX[:PORT]", "IP", "IPv4:PORT",
/// "[IPv6]:PORT" (a bare IPv6 literal without a port too). Host names are
/// lowercased; a final dot is dropped.
llvm::Expected<EgressRule> parseEgressRule(llvm::StringRef Text);

/// The rule that allows a provider's base URL ("https://api.example.com",
/// "http://127.0.0.1:8080/v1"): its host with the URL's port, or 443 for
/// https/wss and 80 for http/ws when it has none.
llvm::Expected<EgressRule> egressRuleForUrl(llvm::StringRef Url);

/// "localhost" (and names under it), 127.0.0.0/8 or ::1: a host that,
/// inside the sandbox's namespace, is the sandbox itself, so an agent
/// reaches the host's service there only through a --forward
/// (NetForwarder.h).
bool isLoopbackHost(llvm::StringRef Host);

/// The destinations a listener allows.
class EgressAllowlist {
public:
  EgressAllowlist() = default;
  explicit EgressAllowlist(std::vector<EgressRule> Rules)
      : Rules(std::move(Rules)) {}
  void add(EgressRule R) { Rules.push_back(std::move(R)); }
  const std::vector<EgressRule> &rules() const { return Rules; }

  /// Why \p Host:\p Port is refused for a request of \p Kind, or nothing
  /// when a rule allows it. \p Host as the client wrote it (case, a final
  /// dot and IPv6 brackets do not matter).
  std::optional<std::string> refusal(llvm::StringRef Host, uint16_t Port,
                                     EgressKind Kind) const;
  bool allows(llvm::StringRef Host, uint16_t Port, EgressKind Kind) const {
    return !refusal(Host, Port, Kind);
  }

private:
  std::vector<EgressRule> Rules;
};

/// A request head read as a proxy request.
struct ProxyRequest {
  EgressKind Kind = EgressKind::Connect;
  std::string Host; ///< lowercase, no brackets, no final dot
  uint16_t Port = 0;
  /// For Http: the head to send to the origin (origin-form target, Host set
  /// from the URL, hop-by-hop and Proxy-* fields dropped, `Connection:
  /// close`), blank line included. Empty for Connect.
  std::string OriginHead;
};

/// A request head the proxy refuses to read, and the status it answers.
struct ProxyRequestError {
  unsigned Status; ///< 400, 405, 431
  std::string Message;
};

/// Reads \p Bytes (a request head, up to and including its blank line;
/// bytes after it are ignored) as the proxy would. Exposed for tests: the
/// proxy runs the same code on what it reads from a socket.
std::variant<ProxyRequest, ProxyRequestError>
parseProxyRequest(llvm::StringRef Bytes, size_t MaxHeadBytes = 16 * 1024);

/// The allowlisting proxy: listeners on Unix sockets, on one io_context.
class EgressProxy {
public:
  /// Bounds on what one client may cost.
  struct Limits {
    size_t MaxHeadBytes = 16 * 1024; ///< a request head larger: 431
    std::chrono::milliseconds HeadTimeout{10000};    ///< to send the head
    std::chrono::milliseconds ConnectTimeout{30000}; ///< DNS + TCP: 504
    size_t MaxConnections = 256; ///< per listener; more are closed at once
  };

  /// Told of a refused destination: host and port as requested, and why.
  using DeniedFn = std::function<void(llvm::StringRef Host, uint16_t Port,
                                      llvm::StringRef Reason)>;

  /// What one listener serves.
  struct ListenerOptions {
    /// Where to make the Unix socket (mode 0600). Its directory must be
    /// private (no access for group or others; made with mode 0700 when
    /// missing). A socket left there by an earlier process is replaced;
    /// anything else there is an error. At most 107 bytes (sun_path).
    std::string SocketPath;
    EgressAllowlist Allow;
    /// A destination not on the allowlist (answered 403).
    DeniedFn OnDenied;
    /// Optional: an allowed destination that could not be reached (name not
    /// resolved, connection refused, timeout; answered 502 or 504).
    DeniedFn OnFailed;
  };

  using ListenerId = unsigned;

  explicit EgressProxy(boost::asio::io_context &Io);
  EgressProxy(boost::asio::io_context &Io, Limits L);
  /// Closes every listener (see close()).
  ~EgressProxy();
  EgressProxy(const EgressProxy &) = delete;
  EgressProxy &operator=(const EgressProxy &) = delete;

  /// Starts listening on \p O.SocketPath; the socket is ready (connectable)
  /// when this returns.
  llvm::Expected<ListenerId> listen(ListenerOptions O);
  /// Stops a listener: no new connections, its open ones closed, its socket
  /// removed; its callbacks are not called again. Unknown ids are ignored.
  void close(ListenerId Id);
  /// The connections open on a listener now (0 for an unknown id).
  size_t connections(ListenerId Id) const;

  struct ListenerState; ///< private to EgressProxy.cpp

private:
  boost::asio::io_context &Io;
  Limits Lim;
  std::map<ListenerId, std::shared_ptr<ListenerState>> Listeners;
  ListenerId Next = 1;
};

} // namespace connectorc::runtime

#endif
