//===- SandboxNet.cpp - `connectorc sandbox-net` and `egress-proxy` -------===//
//
// The two ends of a sandboxed agent's network (docs/sandbox-network.md):
// `sandbox-net` is what the runtime starts inside the sandbox around the
// agent (runtime/sandbox/NetForwarder.h); `egress-proxy` runs the runtime's proxy
// (runtime/sandbox/EgressProxy.h) on its own, to test a sandbox by hand and for the
// lit tests. Neither is meant to be typed in normal use.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "runtime/sandbox/EgressProxy.h"
#include "runtime/sandbox/NetForwarder.h"

#include "llvm/Support/raw_ostream.h"

#include <boost/asio/signal_set.hpp>

#include <csignal>

using namespace connectorc;
namespace cl = llvm::cl;

namespace {
cl::opt<std::string> Socket("socket",
                            cl::desc("The egress proxy's Unix socket"),
                            cl::value_desc("path"), cl::Required,
                            cl::sub(driver::sandboxNetCommand()),
                            cl::cat(driver::Category));
cl::opt<unsigned>
    ProxyPort("proxy-port",
              cl::desc("The proxy's port on 127.0.0.1 in the sandbox (default: "
                       "a free one; HTTPS_PROXY and HTTP_PROXY name it)"),
              cl::value_desc("port"), cl::init(0),
              cl::sub(driver::sandboxNetCommand()), cl::cat(driver::Category));
cl::list<std::string>
    Forwards("forward",
             cl::desc("127.0.0.1:PORT in the sandbox reaches HOST:HOSTPORT "
                      "through the proxy (repeatable)"),
             cl::value_desc("PORT:HOST:HOSTPORT"),
             cl::sub(driver::sandboxNetCommand()), cl::cat(driver::Category));
cl::list<std::string> Agent(cl::Positional, cl::OneOrMore,
                            cl::desc("-- ARGV... (the agent)"),
                            cl::sub(driver::sandboxNetCommand()),
                            cl::cat(driver::Category));

cl::list<std::string>
    Listen("listen",
           cl::desc("A listener: its socket and the destinations it allows, "
                    "comma-separated (repeatable)"),
           cl::value_desc("path=RULE,RULE..."), cl::OneOrMore,
           cl::sub(driver::egressProxyCommand()), cl::cat(driver::Category));
} // namespace

int driver::runSandboxNet() {
  runtime::NetForwarderArgs A;
  A.Socket = Socket;
  if (ProxyPort > 65535)
    return usage("connectorc sandbox-net", "--proxy-port must be 0-65535");
  A.ProxyPort = static_cast<uint16_t>(ProxyPort);
  for (const std::string &F : Forwards) {
    llvm::Expected<runtime::NetForward> P = runtime::parseNetForward(F);
    if (!P)
      return usage("connectorc sandbox-net", llvm::toString(P.takeError()));
    A.Forwards.push_back(*P);
  }
  A.Argv.assign(Agent.begin(), Agent.end());
  return runtime::runNetForwarder(A, llvm::errs());
}

/// "PATH=RULE,RULE" as a listener whose refusals are printed on stdout.
static llvm::Expected<runtime::EgressProxy::ListenerOptions>
listenerFrom(llvm::StringRef Spec, unsigned Index) {
  auto [Path, Rules] = Spec.rsplit('=');
  runtime::EgressProxy::ListenerOptions O;
  O.SocketPath = Path.str();
  llvm::SmallVector<llvm::StringRef, 4> Texts;
  Rules.split(Texts, ',', -1, false);
  for (llvm::StringRef T : Texts) {
    llvm::Expected<runtime::EgressRule> R = runtime::parseEgressRule(T);
    if (!R)
      return R.takeError();
    O.Allow.add(*R);
  }
  auto Print = [Index](llvm::StringRef What) {
    return [Index, What = What.str()](llvm::StringRef Host, uint16_t Port,
                                      llvm::StringRef Reason) {
      llvm::outs() << What << " " << Index << " " << Host << " " << Port << ": "
                   << Reason << "\n";
      llvm::outs().flush();
    };
  };
  O.OnDenied = Print("denied");
  O.OnFailed = Print("failed");
  return O;
}

int driver::runEgressProxy() {
  boost::asio::io_context Io;
  runtime::EgressProxy Proxy(Io);
  for (unsigned I = 0; I < Listen.size(); ++I) {
    auto O = listenerFrom(Listen[I], I);
    if (!O)
      return usage("connectorc egress-proxy", llvm::toString(O.takeError()));
    llvm::Expected<runtime::EgressProxy::ListenerId> Id =
        Proxy.listen(std::move(*O));
    if (!Id)
      return failure("connectorc egress-proxy", Id.takeError());
  }
  llvm::outs() << "listening\n";
  llvm::outs().flush();
  boost::asio::signal_set Stop(Io, SIGTERM, SIGINT, SIGHUP);
  Stop.async_wait([&Io](boost::system::error_code, int) { Io.stop(); });
  Io.run();
  return ExitOk;
}
