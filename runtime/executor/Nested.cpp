//===- Nested.cpp - runs started by agents inside another run -------------===//
#include "runtime/executor/Nested.h"
#include "runtime/support/Files.h"

#include "ir/Fmt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace json = llvm::json;

std::optional<ParentRun> runtime::parentFromEnvironment() {
  auto Env = [](const char *Name) {
    return llvm::sys::Process::GetEnv(Name).getValueOr("");
  };
  ParentRun P;
  P.RunDir = Env("CONNECTOR_RUN_DIR");
  P.Task = Env("CONNECTOR_TASK");
  if (P.RunDir.empty() || P.Task.empty())
    return std::nullopt;
  P.JobServer = Env("CONNECTOR_JOBSERVER");
  double Left = 0;
  if (std::string B = Env("CONNECTOR_BUDGET_LEFT_USD");
      !B.empty() && !llvm::StringRef(B).getAsDouble(Left))
    P.BudgetLeftUsd = std::max(Left, 0.0);
  return P;
}

static std::string teamsDir(llvm::StringRef RunDir, llvm::StringRef Task) {
  return (RunDir + "/sessions/" + Task + "/teams").str();
}

std::string runtime::nestedRunDir(const ParentRun &P,
                                  llvm::StringRef Workflow) {
  std::string Base = teamsDir(P.RunDir, P.Task) + "/" + Workflow.str();
  std::string Dir = Base;
  for (unsigned N = 2; llvm::sys::fs::exists(Dir); ++N)
    Dir = Base + "-" + std::to_string(N);
  return Dir;
}

std::vector<json::Object> runtime::childRuns(llvm::StringRef RunDir,
                                             llvm::StringRef TaskId) {
  std::vector<std::string> Dirs;
  std::error_code EC;
  for (llvm::sys::fs::directory_iterator It(teamsDir(RunDir, TaskId), EC), End;
       !EC && It != End; It.increment(EC))
    if (llvm::sys::fs::exists(It->path() + "/plan.json"))
      Dirs.push_back(It->path());
  llvm::sort(Dirs);
  std::vector<json::Object> Out;
  for (const std::string &Dir : Dirs) {
    json::Object Run{{"run_dir", Dir}, {"status", "unfinished"}};
    auto Buf = llvm::MemoryBuffer::getFile(Dir + "/summary.json");
    llvm::Expected<json::Value> V =
        Buf ? json::parse((*Buf)->getBuffer())
            : llvm::Expected<json::Value>(
                  llvm::errorCodeToError(Buf.getError()));
    if (!V) {
      llvm::consumeError(V.takeError());
      Run["workflow"] = llvm::sys::path::filename(Dir).str();
      Out.push_back(std::move(Run));
      continue;
    }
    const json::Object *S = V->getAsObject();
    if (!S)
      continue;
    // Copies: a json::Value made from a StringRef would point into *V.
    if (auto W = S->getString("workflow"))
      Run["workflow"] = W->str();
    if (auto St = S->getString("status"))
      Run["status"] = St->str();
    if (const json::Array *Tasks = S->getArray("tasks"))
      Run["tasks"] = int64_t(Tasks->size());
    if (auto Cost = S->getNumber("estimated_cost_usd"))
      Run["estimated_cost_usd"] = *Cost;
    if (auto Cost = S->getNumber("actual_cost_usd"))
      Run["actual_cost_usd"] = *Cost;
    Out.push_back(std::move(Run));
  }
  return Out;
}

JobServer::JobServer(asio::io_context &Io, int Read, int Write,
                     unsigned Tokens)
    : Reader(Io, Read), Write(Write), Tokens(Tokens),
      Spec(std::to_string(Read) + "," + std::to_string(Write)) {}

JobServer::~JobServer() { ::close(Write); }

static bool isPipeEnd(int FD) {
  struct stat St;
  return FD > STDERR_FILENO && ::fcntl(FD, F_GETFD) != -1 &&
         ::fstat(FD, &St) == 0 && S_ISFIFO(St.st_mode);
}

llvm::Expected<std::unique_ptr<JobServer>>
JobServer::join(asio::io_context &Io, llvm::StringRef Spec) {
  auto [R, W] = Spec.split(',');
  int Read = -1, Write = -1;
  if (R.getAsInteger(10, Read) || W.getAsInteger(10, Write) ||
      !isPipeEnd(Read) || !isPipeEnd(Write))
    return llvm::createStringError(
        std::errc::invalid_argument,
        "CONNECTOR_JOBSERVER='%s' names no open pipe of job slots (did the "
        "agent close its inherited descriptors?)",
        Spec.str().c_str());
  // Ours from now on: the agents this run starts inherit them again.
  return std::unique_ptr<JobServer>(new JobServer(Io, Read, Write, 0));
}

llvm::Expected<std::unique_ptr<JobServer>>
JobServer::create(asio::io_context &Io, unsigned Slots) {
  // Not close-on-exec: every session inherits both ends. Non-blocking: a
  // take never waits (the wait is the event loop's).
  int FD[2];
  if (::pipe2(FD, O_NONBLOCK) != 0)
    return errnoError("cannot make the pipe of job slots");
  std::string Tokens(Slots > 1 ? Slots - 1 : 0, '+');
  std::unique_ptr<JobServer> J(
      new JobServer(Io, FD[0], FD[1], unsigned(Tokens.size())));
  // A pipe holds 64 KiB by default: enough bytes for any sensible --jobs.
  if (!Tokens.empty() && ::write(FD[1], Tokens.data(), Tokens.size()) !=
                             static_cast<ssize_t>(Tokens.size()))
    return errnoError("cannot fill the pipe of job slots");
  return J;
}

bool JobServer::tryTake() {
  char Token;
  for (;;) {
    ssize_t N = ::read(Reader.native_handle(), &Token, 1);
    if (N == 1)
      return true;
    if (N < 0 && errno == EINTR)
      continue;
    return false; // EAGAIN: none free now
  }
}

void JobServer::giveBack() {
  char Token = '+';
  while (::write(Write, &Token, 1) < 0 && errno == EINTR)
    ;
}

unsigned JobServer::recoverLost(unsigned Held) {
  int Free = 0;
  if (Tokens == 0 || ::ioctl(Reader.native_handle(), FIONREAD, &Free) != 0 ||
      Free < 0 || unsigned(Free) + Held >= Tokens)
    return 0;
  unsigned Lost = Tokens - unsigned(Free) - Held;
  std::string Back(Lost, '+');
  ssize_t N;
  while ((N = ::write(Write, Back.data(), Back.size())) < 0 && errno == EINTR)
    ;
  return N > 0 ? unsigned(N) : 0;
}

void JobServer::whenFree(std::function<void()> Then) {
  if (Waiting)
    return;
  Waiting = true;
  Reader.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this, Then = std::move(Then)](boost::system::error_code EC) {
                      Waiting = false;
                      if (!EC)
                        Then();
                    });
}
