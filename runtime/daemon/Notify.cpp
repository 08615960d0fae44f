//===- Notify.cpp - telling the user that a session waits for input -------===//
#include "runtime/daemon/Notify.h"
#include "runtime/executor/Journal.h"
#include "runtime/support/JsonText.h"
#include "runtime/support/Spawn.h"
#include "runtime/daemon/Webhook.h"

#include "ir/UserConfig.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include <csignal>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::runtime;
namespace asio = boost::asio;
namespace json = llvm::json;

/// How long notify-send may run before it is killed.
static constexpr double NotifySendLimitS = 10;

namespace {
/// Adds \p Url (from \p From) unless it is there already or unusable.
void addWebhook(NotifyConfig &C, llvm::StringRef Url, double TimeoutS,
                llvm::StringRef From, std::vector<std::string> &Warnings) {
  std::string Why;
  std::optional<ir::WebhookUrl> U = ir::parseWebhookUrl(Url, Why);
  if (!U) {
    Warnings.push_back(fmt::format("{}: notify.webhook cannot be used ({}); "
                                   "it is left out",
                                   From.str(), Why));
    return;
  }
  for (const NotifyConfig::Webhook &W : C.Webhooks)
    if (W.Url.Tls == U->Tls && W.Url.Host == U->Host && W.Url.Port == U->Port &&
        W.Url.Target == U->Target)
      return;
  C.Webhooks.push_back(
      {std::move(*U), TimeoutS > 0 ? TimeoutS : DefaultWebhookTimeoutS});
}

/// The config file's `notify` object into \p C.
void readConfigNotify(const json::Object &N, llvm::StringRef Path,
                      NotifyConfig &C, std::vector<std::string> &Warnings) {
  auto Bad = [&](llvm::StringRef Key, llvm::StringRef Want) {
    Warnings.push_back(fmt::format("{}: notify.{} must be {}; it is ignored",
                                   Path.str(), Key.str(), Want.str()));
  };
  for (const auto &[Key, V] : N)
    if (!llvm::is_contained(llvm::ArrayRef<llvm::StringRef>{"webhook",
                                                            "timeout_s",
                                                            "desktop", "bell"},
                            llvm::StringRef(Key)))
      Warnings.push_back(fmt::format("{}: unknown key notify.{}; it is ignored",
                                     Path.str(), llvm::StringRef(Key).str()));
  for (llvm::StringRef Key : {"desktop", "bell"})
    if (const json::Value *V = N.get(Key)) {
      if (llvm::Optional<bool> B = V->getAsBoolean())
        (Key == "bell" ? C.Bell : C.Desktop) = *B;
      else
        Bad(Key, "true or false");
    }
  double TimeoutS = 0;
  if (const json::Value *T = N.get("timeout_s")) {
    llvm::Optional<double> D = T->getAsNumber();
    if (D && *D >= 0.1 && *D <= 300)
      TimeoutS = *D;
    else
      Bad("timeout_s", "a number of seconds from 0.1 to 300");
  }
  if (const json::Value *W = N.get("webhook")) {
    if (llvm::Optional<llvm::StringRef> S = W->getAsString())
      addWebhook(C, *S, TimeoutS, Path, Warnings);
    else
      Bad("webhook", "an http(s) URL");
  }
}

void readConfigFile(llvm::StringRef Path, NotifyConfig &C,
                    std::vector<std::string> &Warnings) {
  auto Buf = llvm::MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!Buf) {
    Warnings.push_back(fmt::format("cannot read {}: {}", Path.str(),
                                   Buf.getError().message()));
    return;
  }
  llvm::Expected<json::Value> V = json::parse((*Buf)->getBuffer());
  if (!V) {
    Warnings.push_back(fmt::format("{} is not valid JSON: {}", Path.str(),
                                   llvm::toString(V.takeError())));
    return;
  }
  const json::Object *Top = V->getAsObject();
  const json::Value *N = Top ? Top->get("notify") : nullptr;
  if (!N)
    return;
  if (const json::Object *O = N->getAsObject())
    readConfigNotify(*O, Path, C, Warnings);
  else
    Warnings.push_back(fmt::format("{}: notify must be an object; it is "
                                   "ignored",
                                   Path.str()));
}

/// & < > as entities: notification servers read the body as markup.
std::string escapeMarkup(llvm::StringRef S) {
  std::string Out;
  for (char Ch : S) {
    if (Ch == '&')
      Out += "&amp;";
    else if (Ch == '<')
      Out += "&lt;";
    else if (Ch == '>')
      Out += "&gt;";
    else
      Out += Ch;
  }
  return Out;
}

bool isWaiting(const json::Object &E) {
  return eventString(E, "event") == "session-state" &&
         eventString(E, "state") == "waiting for input";
}

int pidFd(pid_t Pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, Pid, 0));
}

} // namespace

NotifyConfig runtime::loadNotifyConfig(const ir::Plan &P,
                                       llvm::StringRef ConfigPath,
                                       std::vector<std::string> &Warnings) {
  NotifyConfig C;
  if (!ConfigPath.empty() && llvm::sys::fs::exists(ConfigPath))
    readConfigFile(ConfigPath, C, Warnings);
  if (!P.Notify.Webhook.empty())
    addWebhook(C, P.Notify.Webhook, P.Notify.TimeoutS, "the plan", Warnings);
  return C;
}

std::string runtime::webhookBody(const json::Object &E, llvm::StringRef RunId,
                                 llvm::StringRef Workflow) {
  json::Object Body{{"event", "waiting-for-input"},
                    {"run", RunId},
                    {"workflow", Workflow},
                    {"task", eventString(E, "task")},
                    {"last_line", eventString(E, "last_line")},
                    {"time", eventString(E, "time")}};
  return toJsonText(json::Value(std::move(Body)));
}

std::vector<std::string> runtime::notifySendArgv(llvm::StringRef Program,
                                                 llvm::StringRef Task,
                                                 llvm::StringRef LastLine) {
  return {Program.str(),
          "--app-name=connectorc",
          "--urgency=normal",
          "--",
          fmt::format("connectorc: {} is waiting for input", Task.str()),
          escapeMarkup(LastLine)};
}

Notifier::Notifier(asio::io_context &Io, NotifyConfig C, std::string RunId,
                   std::string Workflow, NotifyWarn Warn)
    : Io(Io), C(std::move(C)), RunId(std::move(RunId)),
      Workflow(std::move(Workflow)), Warn(std::move(Warn)),
      Alive(std::make_shared<bool>(true)) {
  if (!this->C.Desktop)
    return;
  if (llvm::ErrorOr<std::string> P =
          llvm::sys::findProgramByName("notify-send"))
    NotifySend = *P;
}

Notifier::~Notifier() {
  for (auto &[Pid, Ch] : Children) {
    if (!Ch.Exit)
      continue;
    int Fd = Ch.Exit->native_handle();
    ::syscall(SYS_pidfd_send_signal, Fd, SIGKILL, nullptr, 0);
    siginfo_t Info;
    ::waitid(P_PIDFD, Fd, &Info, WEXITED); // at once: killed, or reaped already
  }
}

void Notifier::event(const json::Object &E) {
  if (!isWaiting(E))
    return;
  llvm::StringRef Task = eventString(E, "task");
  if (!NotifySend.empty())
    desktop(Task, eventString(E, "last_line"));
  for (const NotifyConfig::Webhook &W : C.Webhooks) {
    std::weak_ptr<bool> Live = Alive;
    std::string Shown = W.Url.shown(), Id = Task.str();
    postWebhook(Io, W.Url, webhookBody(E, RunId, Workflow), W.TimeoutS,
                [this, Live, Shown, Id](std::string Error) {
                  if (!Error.empty() && !Live.expired())
                    warn(Id, "webhook",
                         fmt::format("webhook {} not told: {}", Shown, Error));
                });
  }
}

void Notifier::desktop(llvm::StringRef Task, llvm::StringRef LastLine) {
  SpawnOptions O;
  O.Argv = notifySendArgv(NotifySend, Task, LastLine);
  // Ctrl-C at this terminal is the run's to handle, not notify-send's.
  O.Detach = SpawnOptions::Detach::ProcessGroup;
  llvm::Expected<pid_t> Pid = spawnProcess(O);
  if (!Pid) {
    std::weak_ptr<bool> Live = Alive;
    asio::post(Io, [this, Live, Id = Task.str(),
                    Why = llvm::toString(Pid.takeError())] {
      if (!Live.expired())
        warn(Id, "notify-send", Why);
    });
    return;
  }
  watch(*Pid);
}

void Notifier::watch(pid_t Pid) {
  int Fd = pidFd(Pid);
  if (Fd < 0) { // No pidfd (an old kernel): it is reaped with the others.
    ::waitpid(Pid, nullptr, WNOHANG);
    return;
  }
  Child &Ch = Children[Pid];
  Ch.Exit = std::make_unique<asio::posix::stream_descriptor>(Io, Fd);
  Ch.Exit->async_wait(asio::posix::stream_descriptor::wait_read,
                      [this, Pid](boost::system::error_code EC) {
                        if (!EC)
                          reap(Pid);
                      });
  Ch.Limit = std::make_unique<asio::steady_timer>(Io);
  Ch.Limit->expires_after(std::chrono::seconds(int(NotifySendLimitS)));
  Ch.Limit->async_wait([this, Pid](boost::system::error_code EC) {
    if (EC)
      return;
    auto It = Children.find(Pid);
    if (It == Children.end())
      return;
    // It exits now; its pidfd turns readable and reap() follows.
    ::syscall(SYS_pidfd_send_signal, It->second.Exit->native_handle(), SIGKILL,
              nullptr, 0);
  });
}

void Notifier::reap(pid_t Pid) {
  // The PTY launcher's SIGCHLD handler may have reaped it first: then this
  // finds nothing, which is as good. By its pidfd, not its pid: the pid may
  // be another child's by now.
  auto It = Children.find(Pid);
  if (It == Children.end())
    return;
  siginfo_t Info;
  ::waitid(P_PIDFD, It->second.Exit->native_handle(), &Info, WEXITED | WNOHANG);
  Children.erase(It);
}

void Notifier::warn(llvm::StringRef Task, llvm::StringRef Source,
                    std::string Message) {
  Warn(json::Object{{"event", "warning"},
                    {"task", Task},
                    {"source", Source},
                    {"message", std::move(Message)}});
}
