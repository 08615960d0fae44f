//===- JournalEvents.cpp - the live runs' journals as they grow -----------===//
#include "runtime/server/JournalEvents.h"

#include "runtime/daemon/Control.h"
#include "runtime/executor/Journal.h"

#include "llvm/Support/Path.h"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <fcntl.h>
#include <chrono>
#include <map>
#include <optional>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::server;
namespace asio = boost::asio;
namespace json = llvm::json;

namespace {
/// One live run's journal.
struct Tail {
  std::string Id, RunDir;
  uint64_t Offset = 0;
  std::string Partial; ///< a line not yet whole
  int Watch = -1;
  /// When its entry was gone: the run writes its journal's last lines (the
  /// end, the worktrees' commits) around then, so it is followed a while
  /// longer.
  std::optional<std::chrono::steady_clock::time_point> Gone;
};

/// How long a run's journal is followed after its entry is gone.
constexpr auto Lingering = std::chrono::seconds(5);
} // namespace

struct JournalEvents::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context &Io, std::string Dir)
      : Io(Io), Dir(std::move(Dir)), Timer(Io) {}
  asio::io_context &Io;
  std::string Dir;
  int Fd = -1, RunsWatch = -1;
  std::unique_ptr<asio::posix::stream_descriptor> Notify;
  asio::steady_timer Timer;
  std::array<char, 16 * 1024> Buf;
  std::map<std::string, Tail> Tails; ///< by run directory
  std::map<unsigned, Listener> Listeners;
  unsigned NextId = 1;
  bool Started = false, Stopped = false;

  void scan(bool Initial);
  void read(Tail &T);
  void readNotifications();
  void tick();
};

void JournalEvents::Impl::read(Tail &T) {
  std::string Path = T.RunDir + "/events.jsonl";
  int F = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
  if (F < 0)
    return;
  struct stat St {};
  if (::fstat(F, &St) == 0 && static_cast<uint64_t>(St.st_size) < T.Offset) {
    // Shorter than what was read: a new journal (a --resume rewrote it).
    T.Offset = 0;
    T.Partial.clear();
  }
  char Chunk[64 * 1024];
  for (;;) {
    ssize_t N = ::pread(F, Chunk, sizeof Chunk, static_cast<off_t>(T.Offset));
    if (N <= 0)
      break;
    T.Offset += static_cast<uint64_t>(N);
    T.Partial.append(Chunk, static_cast<size_t>(N));
  }
  ::close(F);
  size_t Start = 0, End;
  while ((End = T.Partial.find('\n', Start)) != std::string::npos) {
    llvm::StringRef Line(T.Partial.data() + Start, End - Start);
    Start = End + 1;
    std::optional<json::Object> E = runtime::decodeJournalLine(Line);
    if (!E)
      continue;
    // A copy of the listeners: one may unsubscribe while called.
    std::vector<Listener> Now;
    for (auto &[Id, L] : Listeners)
      Now.push_back(L);
    for (Listener &L : Now)
      L(T.Id, *E);
  }
  T.Partial.erase(0, Start);
}

void JournalEvents::Impl::scan(bool Initial) {
  std::map<std::string, bool> Live;
  for (const runtime::RunEntry &E : runtime::listRuns(Dir))
    Live[E.RunDir] = true;
  // Runs that ended: what their journals get last, then no more.
  auto Now = std::chrono::steady_clock::now();
  for (auto It = Tails.begin(); It != Tails.end();) {
    Tail &T = It->second;
    if (Live.count(It->first)) {
      T.Gone.reset();
      ++It;
      continue;
    }
    read(T);
    if (!T.Gone)
      T.Gone = Now;
    if (Now - *T.Gone < Lingering) {
      ++It;
      continue;
    }
    if (T.Watch >= 0)
      ::inotify_rm_watch(Fd, T.Watch);
    It = Tails.erase(It);
  }
  for (const auto &[RunDir, Yes] : Live) {
    (void)Yes;
    auto [It, New] = Tails.try_emplace(RunDir);
    Tail &T = It->second;
    if (New) {
      T.Id = llvm::sys::path::filename(RunDir).str();
      T.RunDir = RunDir;
      if (Fd >= 0)
        T.Watch = ::inotify_add_watch(Fd, RunDir.c_str(),
                                      IN_MODIFY | IN_CREATE | IN_MOVED_TO);
      if (Initial) {
        // Followed from now on.
        struct stat St {};
        if (::stat((RunDir + "/events.jsonl").c_str(), &St) == 0)
          T.Offset = static_cast<uint64_t>(St.st_size);
        continue;
      }
    }
    read(T);
  }
}

void JournalEvents::Impl::readNotifications() {
  Notify->async_read_some(
      asio::buffer(Buf), [Self = shared_from_this()](
                             boost::system::error_code EC, size_t N) {
        if (EC || Self->Stopped)
          return;
        bool Rescan = false;
        std::vector<int> Written;
        for (size_t Off = 0; Off + sizeof(inotify_event) <= N;) {
          const auto *E =
              reinterpret_cast<const inotify_event *>(Self->Buf.data() + Off);
          Off += sizeof(inotify_event) + E->len;
          if (E->wd == Self->RunsWatch || (E->mask & IN_Q_OVERFLOW))
            Rescan = true;
          else
            Written.push_back(E->wd);
        }
        if (Rescan)
          Self->scan(false);
        for (auto &[Dir, T] : Self->Tails)
          if (std::find(Written.begin(), Written.end(), T.Watch) !=
              Written.end())
            Self->read(T);
        Self->readNotifications();
      });
}

void JournalEvents::Impl::tick() {
  Timer.expires_after(std::chrono::seconds(1));
  Timer.async_wait([Self = shared_from_this()](boost::system::error_code EC) {
    if (EC || Self->Stopped)
      return;
    Self->scan(false);
    Self->tick();
  });
}

JournalEvents::JournalEvents(asio::io_context &Io, std::string RuntimeDir)
    : I(std::make_shared<Impl>(Io, std::move(RuntimeDir))) {}

JournalEvents::~JournalEvents() { stop(); }

void JournalEvents::start() {
  if (I->Started)
    return;
  I->Started = true;
  I->Fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (I->Fd >= 0) {
    I->RunsWatch =
        ::inotify_add_watch(I->Fd, (I->Dir + "/runs").c_str(),
                            IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM);
    I->Notify = std::make_unique<asio::posix::stream_descriptor>(I->Io, I->Fd);
  }
  I->scan(true);
  if (I->Notify)
    I->readNotifications();
  I->tick();
}

unsigned JournalEvents::subscribe(Listener L) {
  start();
  unsigned Id = I->NextId++;
  I->Listeners[Id] = std::move(L);
  return Id;
}

void JournalEvents::unsubscribe(unsigned Id) { I->Listeners.erase(Id); }

void JournalEvents::stop() {
  if (!I || I->Stopped)
    return;
  I->Stopped = true;
  I->Listeners.clear();
  I->Timer.cancel();
  if (I->Notify) {
    boost::system::error_code Ignored;
    I->Notify->close(Ignored); // closes Fd
    I->Notify.reset();
  } else if (I->Fd >= 0) {
    ::close(I->Fd);
  }
  I->Fd = -1;
}
