//===- Serve.cpp - `connectorc serve` -------------------------------------===//
//
// Thin: the token, the options, and the HTTP server (runtime/server/
// HttpServer.h) on the daemon's loop: when no daemon runs, `serve` is the
// daemon, listening on HTTP too; when one does, it serves beside it and
// hands it the runs it starts. docs/server.md.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "runtime/daemon/Daemon.h"
#include "runtime/server/HttpServer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;

cl::SubCommand &driver::serveCommand() {
  static cl::SubCommand S(
      "serve",
      "Serve the runs over HTTP and WebSocket (REST under /api/v1, journal "
      "events, session terminals) to whoever holds the token "
      "(docs/server.md)");
  return S;
}

namespace {
cl::opt<std::string>
    Listen("listen",
           cl::desc("Where to listen: ADDR:PORT, [V6ADDR]:PORT or PORT "
                    "(default 127.0.0.1:7878; 0 for any free port). An "
                    "address that is not loopback needs --tls-cert and "
                    "--tls-key"),
           cl::value_desc("addr:port"), cl::init("127.0.0.1:7878"),
           cl::sub(serveCommand()), cl::cat(Category));
cl::opt<std::string> TlsCert("tls-cert",
                             cl::desc("The server's certificate chain (PEM)"),
                             cl::value_desc("file"), cl::sub(serveCommand()),
                             cl::cat(Category));
cl::opt<std::string> TlsKey("tls-key",
                            cl::desc("The certificate's private key (PEM)"),
                            cl::value_desc("file"), cl::sub(serveCommand()),
                            cl::cat(Category));
cl::opt<bool> PrintUrl(
    "print-url",
    cl::desc("Print a URL that carries the token, once, for a browser: the "
             "server then keeps it in an HttpOnly cookie"),
    cl::sub(serveCommand()), cl::cat(Category));
cl::list<std::string> AllowHost(
    "allow-host",
    cl::desc("Another name the server is reached by (a Host header it "
             "answers to; others are refused against DNS rebinding)"),
    cl::value_desc("name[:port]"), cl::sub(serveCommand()), cl::cat(Category));

/// The server and the operations it serves, on a loop that is not theirs.
struct Served : runtime::DaemonExtension {
  Served(boost::asio::io_context &Io, server::OperationsConfig C)
      : Ops(std::move(C)), Http(Io, Ops) {}
  server::Operations Ops;
  server::HttpServer Http;
};

server::OperationsConfig operationsConfig() {
  server::OperationsConfig C;
  C.SelfExe = selfExe();
  C.Compile = compileSpecText;
  return C;
}

/// Listens, and says where (the URL with the token only when asked).
llvm::Error start(Served &S, const server::ServeOptions &O) {
  if (llvm::Error E = S.Http.listen(O))
    return E;
  llvm::errs() << "connectorc serve: listening on " << S.Http.url()
               << " (the token is in " << server::tokenFile() << ")\n";
  if (PrintUrl)
    llvm::outs() << S.Http.url() << "/?token=" << O.Token << "\n";
  llvm::outs().flush();
  return llvm::Error::success();
}
} // namespace

int driver::runServe() {
  const char *Tool = "connectorc serve";
  server::ServeOptions O;
  if (llvm::Error E = server::parseListen(Listen, O))
    return usage(Tool, llvm::toString(std::move(E)));
  O.TlsCert = TlsCert;
  O.TlsKey = TlsKey;
  O.Hosts.assign(AllowHost.begin(), AllowHost.end());
  // Refused before the token is made or the daemon started.
  if (llvm::Error E = server::checkServeOptions(O))
    return failure(Tool, std::move(E));
  llvm::Expected<std::string> Token =
      server::loadOrCreateToken(server::tokenFile());
  if (!Token)
    return failure(Tool, Token.takeError());
  O.Token = *Token;
  ::signal(SIGPIPE, SIG_IGN);
  if (!runtime::daemonAnswers()) {
    // The daemon, listening on HTTP too.
    llvm::Error E = runtime::serveDaemon(
        selfExe(), -1,
        [&](boost::asio::io_context &Io, runtime::RunControl &Daemon)
            -> llvm::Expected<std::unique_ptr<runtime::DaemonExtension>> {
          server::OperationsConfig C = operationsConfig();
          C.Daemon = &Daemon;
          auto S = std::make_unique<Served>(Io, std::move(C));
          if (llvm::Error E = start(*S, O))
            return E;
          return S;
        });
    if (E)
      return failure(Tool, std::move(E));
    return ExitOk;
  }
  // A daemon runs already: beside it, on a loop of its own; Ctrl-C stops
  // this server, not the daemon's runs.
  boost::asio::io_context Io;
  Served S(Io, operationsConfig());
  if (llvm::Error E = start(S, O))
    return failure(Tool, std::move(E));
  boost::asio::signal_set Signals(Io, SIGINT, SIGTERM, SIGHUP);
  Signals.async_wait([&](boost::system::error_code, int) {
    S.Http.close();
    Io.stop();
  });
  Io.run();
  return ExitOk;
}
