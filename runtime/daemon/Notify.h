//===- Notify.h - telling the user that a session waits for input -*- C++
//-*-===//
//
// When a session starts waiting for input (a session-state event), someone
// should answer it. The status printer rings the terminal's bell and marks
// the task; a Notifier does the rest: `notify-send` when the machine has one,
// and a JSON POST to each webhook of the spec (`notify`) and of the user's
// config file (~/.config/connectorc/config.json). Nothing here waits on the
// loop, and nothing here can fail a run: a failure is a warning event.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_NOTIFY_H
#define CONNECTORC_RUNTIME_NOTIFY_H

#include "ir/Plan.h"
#include "ir/WebhookUrl.h"

#include "llvm/Support/JSON.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace connectorc::runtime {

/// How long a webhook POST may take when neither the spec nor the config
/// says.
inline constexpr double DefaultWebhookTimeoutS = 5;

/// Where a run's "waiting for input" notifications go.
struct NotifyConfig {
  struct Webhook {
    ir::WebhookUrl Url;
    double TimeoutS = DefaultWebhookTimeoutS;
  };
  std::vector<Webhook> Webhooks;
  bool Desktop = true; ///< notify-send, when on PATH
  bool Bell = true;    ///< BEL in the terminal's status block
};

/// The notifications for a run of \p P: the user's config file's `notify`
/// (\p ConfigPath, ir::userConfigFile("config.json"), when it exists), then the
/// plan's webhook. What cannot be used is left out, with a line in \p Warnings.
NotifyConfig loadNotifyConfig(const ir::Plan &P, llvm::StringRef ConfigPath,
                              std::vector<std::string> &Warnings);

/// The JSON a webhook receives for a session-state event \p E of run
/// \p RunId.
std::string webhookBody(const llvm::json::Object &E, llvm::StringRef RunId,
                        llvm::StringRef Workflow);

/// notify-send's argv for a session-state event: the title names the task,
/// the body is its last line (markup escaped), "--" before them.
std::vector<std::string> notifySendArgv(llvm::StringRef Program,
                                        llvm::StringRef Task,
                                        llvm::StringRef LastLine);

/// Receives a warning event for the journal.
using NotifyWarn = std::function<void(llvm::json::Object Warning)>;

/// Hears a run's events and notifies on each session's change to waiting
/// for input.
class Notifier {
public:
  Notifier(boost::asio::io_context &Io, NotifyConfig C, std::string RunId,
           std::string Workflow, NotifyWarn Warn);
  /// Ends and reaps the notify-send processes still running.
  ~Notifier();
  Notifier(const Notifier &) = delete;
  Notifier &operator=(const Notifier &) = delete;

  /// Every event, as the journal records it (session-state events carry
  /// "last_line").
  void event(const llvm::json::Object &E);

private:
  struct Child {
    std::unique_ptr<boost::asio::posix::stream_descriptor> Exit;
    std::unique_ptr<boost::asio::steady_timer> Limit;
  };
  void desktop(llvm::StringRef Task, llvm::StringRef LastLine);
  void watch(pid_t Pid);
  void reap(pid_t Pid);
  /// A warning event, from the loop (never from inside event()).
  void warn(llvm::StringRef Task, llvm::StringRef Source, std::string Message);

  boost::asio::io_context &Io;
  NotifyConfig C;
  std::string RunId, Workflow;
  NotifyWarn Warn;
  std::string NotifySend; ///< its path, "" when not on PATH (looked up once)
  std::map<pid_t, Child> Children;
  /// Expires with the notifier: a POST that ends after it is not reported.
  std::shared_ptr<bool> Alive;
};

} // namespace connectorc::runtime

#endif
