//===- NetForwarder.h - `connectorc sandbox-net` ----------------*- C++ -*-===//
//
// A sandboxed agent's network namespace has only loopback. This is the
// process that starts it there (`connectorc sandbox-net`): it listens on
// 127.0.0.1 for the agent's proxy connections (HTTPS_PROXY/HTTP_PROXY) and
// relays each one, bytes unchanged, to the runtime's egress proxy
// (EgressProxy.h) through a Unix socket bound into the sandbox. A --forward
// port is a loopback port in the namespace whose connections are tunnelled
// through the same proxy with `CONNECT host:port`, so a provider whose base
// URL is on loopback (a local model server, a fake API) works unchanged and
// is still subject to the allowlist. Then it runs the agent, passes it
// SIGTERM, SIGINT and SIGHUP, and exits with its status.
//
// It fails closed: without the proxy's socket, or when a port cannot be
// bound, it says so and exits non-zero before the agent starts.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_NETFORWARDER_H
#define CONNECTORC_RUNTIME_NETFORWARDER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// `--forward PORT:HOST:HOSTPORT`: 127.0.0.1:PORT inside the namespace is
/// HOST:HOSTPORT reached through the proxy.
struct NetForward {
  uint16_t Port = 0;
  std::string Host; ///< no brackets
  uint16_t HostPort = 0;
};

/// Reads "PORT:HOST:HOSTPORT" (HOST may be "[v6]").
llvm::Expected<NetForward> parseNetForward(llvm::StringRef Text);

/// What `connectorc sandbox-net` is told.
struct NetForwarderArgs {
  std::string Socket; ///< the egress proxy's Unix socket
  /// The proxy port on 127.0.0.1; 0 picks a free one. Either way the agent
  /// gets HTTPS_PROXY, HTTP_PROXY, https_proxy and http_proxy set to
  /// http://127.0.0.1:PORT (the port actually bound), and NO_PROXY and
  /// no_proxy to "localhost,127.0.0.1,::1" unless they are set.
  uint16_t ProxyPort = 0;
  std::vector<NetForward> Forwards;
  std::vector<std::string> Argv; ///< the agent; no shell
};

/// `SELF sandbox-net --socket S [--proxy-port N] [--forward P:H:HP]... --`:
/// what goes before the agent's argv, inside bwrap, to run it this way.
std::vector<std::string> netForwarderArgv(llvm::StringRef SelfExe,
                                          const NetForwarderArgs &A);

/// Runs the forwarder and the agent; returns the exit status: the agent's,
/// 128 + signal when a signal ended it, 127 when it cannot be started, 1
/// when the forwarder cannot be set up (said on \p Err).
int runNetForwarder(const NetForwarderArgs &A, llvm::raw_ostream &Err);

} // namespace connectorc::runtime

#endif
