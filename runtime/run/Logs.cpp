//===- Logs.cpp - `connectorc logs`: a task's transcript ------------------===//
//
// Prints a session's transcript, stripped of control sequences unless raw.
// --follow keeps printing as the transcript grows (inotify on the event
// loop, no polling) until the journal says the task or the run is done.
//
//===----------------------------------------------------------------------===//
#include "runtime/session/AnsiStrip.h"
#include "runtime/executor/Journal.h"
#include "runtime/run/Run.h"

#include "llvm/Support/FileSystem.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;

namespace {
llvm::Error fail(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// True when the journal says \p Task (or the whole run) is over.
bool isOver(llvm::StringRef RunDir, llvm::StringRef Task) {
  llvm::Expected<std::vector<llvm::json::Object>> Events =
      readJournal((RunDir + "/events.jsonl").str());
  if (!Events) {
    llvm::consumeError(Events.takeError());
    return true;
  }
  for (const llvm::json::Object &E : *Events) {
    llvm::StringRef Kind = eventString(E, "event");
    if (Kind == "run-end" ||
        (Kind == "task-done" && eventString(E, "task") == Task))
      return true;
  }
  return false;
}

/// Prints what the transcript got since the last call.
class Tail {
public:
  Tail(int FD, bool Raw, llvm::raw_ostream &OS) : FD(FD), Raw(Raw), OS(OS) {}
  void drain() {
    std::array<char, 64 * 1024> Buf;
    ssize_t N;
    while ((N = ::read(FD, Buf.data(), Buf.size())) > 0) {
      llvm::StringRef Chunk(Buf.data(), static_cast<size_t>(N));
      if (Raw) {
        OS << Chunk;
        continue;
      }
      std::string Text;
      Strip.feed(Chunk, Text);
      OS << Text;
    }
    OS.flush();
  }
  void finish() {
    std::string Text;
    Strip.finish(Text);
    OS << Text;
    OS.flush();
  }

private:
  int FD;
  bool Raw;
  llvm::raw_ostream &OS;
  AnsiStripper Strip;
};

void follow(llvm::StringRef RunDir, llvm::StringRef Task,
            const std::string &Path, Tail &T) {
  int In = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (In < 0)
    return;
  ::inotify_add_watch(In, Path.c_str(), IN_MODIFY);
  ::inotify_add_watch(In, (RunDir + "/events.jsonl").str().c_str(), IN_MODIFY);
  asio::io_context Io;
  asio::posix::stream_descriptor Watch(Io, In);
  std::array<char, 4096> Buf;
  std::function<void()> Wait = [&] {
    Watch.async_read_some(asio::buffer(Buf),
                          [&](boost::system::error_code EC, size_t) {
                            T.drain();
                            if (!EC && !isOver(RunDir, Task))
                              Wait();
                          });
  };
  if (!isOver(RunDir, Task))
    Wait();
  Io.run();
  T.drain();
}
} // namespace

llvm::Error runtime::printLogs(llvm::StringRef RunDir, llvm::StringRef Task,
                               bool Raw, bool Follow, llvm::raw_ostream &OS) {
  llvm::Expected<ir::Plan> P = loadRunPlan(RunDir);
  if (!P)
    return P.takeError();
  if (llvm::none_of(P->Tasks, [&](const ir::Task &T) { return T.Id == Task; }))
    return fail("no task '" + Task + "' in the run in '" + RunDir + "'");
  std::string Path = (RunDir + "/sessions/" + Task + "/transcript.log").str();
  int FD = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
  if (FD < 0)
    return fail("task '" + Task + "' has no transcript yet (not started)");
  Tail T(FD, Raw, OS);
  T.drain();
  if (Follow)
    follow(RunDir, Task, Path, T);
  T.finish();
  ::close(FD);
  return llvm::Error::success();
}
