//===- Daemon.cpp - `connectorc daemon` -----------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "runtime/daemon/Daemon.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::driver;
namespace cl = llvm::cl;

cl::SubCommand &driver::daemonCommand() {
  static cl::SubCommand S("daemon", "The session daemon: holds detached runs "
                                    "past the terminal (started on demand by "
                                    "run --detach)");
  return S;
}

namespace {
cl::opt<bool> StopIt("stop",
                     cl::desc("Stop the daemon: every run it holds ends as "
                              "Ctrl-C ends it, then the daemon exits"),
                     cl::sub(daemonCommand()), cl::cat(Category));
cl::opt<bool> PrintUnits(
    "print-systemd-units",
    cl::desc("Print the systemd user units (.socket and .service) that start "
             "the daemon on demand"),
    cl::sub(daemonCommand()), cl::cat(Category));

/// The listening socket systemd passed (socket activation), or -1.
int systemdSocket() {
  const char *Pid = std::getenv("LISTEN_PID");
  const char *Fds = std::getenv("LISTEN_FDS");
  if (!Pid || !Fds || std::atol(Pid) != static_cast<long>(::getpid()) ||
      std::atoi(Fds) < 1)
    return -1;
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return 3; // SD_LISTEN_FDS_START
}
} // namespace

int driver::runDaemon() {
  const char *Tool = "connectorc daemon";
  if (StopIt && PrintUnits)
    return usage(Tool, "--stop and --print-systemd-units exclude each other");
  if (PrintUnits) {
    llvm::outs() << runtime::systemdUnits(selfExe());
    return ExitOk;
  }
  if (StopIt) {
    if (llvm::Error E = runtime::stopDaemon(llvm::errs()))
      return failure(Tool, std::move(E));
    return ExitOk;
  }
  if (llvm::Error E = runtime::serveDaemon(selfExe(), systemdSocket()))
    return failure(Tool, std::move(E));
  return ExitOk;
}
