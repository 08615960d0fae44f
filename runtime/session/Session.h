//===- Session.h - starting agents, behind an interface ----------*- C++
//-*-===//
//
// The executor starts agents through a Launcher and hears back through a
// callback when a session has ended. The real launcher (PtySession.h) runs
// each agent in its own pseudo-terminal; unit tests use a fake.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SESSION_H
#define CONNECTORC_RUNTIME_SESSION_H

#include "ir/Plan.h"
#include "runtime/session/Screen.h"

#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace connectorc::runtime {

/// Everything needed to start one attempt of a task.
struct LaunchRequest {
  std::vector<std::string> Argv; ///< executable first, placeholders replaced
  std::vector<std::string> Env;  ///< "NAME=value", the whole environment
  std::string Cwd;
  ir::PromptVia Via = ir::PromptVia::Arg;
  std::string Prompt;         ///< written to stdin or typed (Via != Arg)
  std::string ReadyPattern;   ///< Via == Type
  std::string IdlePattern;    ///< Via == Type
  std::string TranscriptPath; ///< raw terminal bytes are appended here
  std::string AnswerPath;     ///< the stripped answer is written here
  /// Watched on each line of output while the agent runs (POSIX EREs,
  /// case-insensitive): the first to match ends the session at once.
  std::vector<std::string> WatchPatterns;
  /// An interactive CLI (ir::ModelBinding::InteractiveActive): Via is Type
  /// and ReadyPattern is tried on each line of the screen. Its Screens
  /// without Keys are a person's to pass (their "when" does not hold here);
  /// its Transcript is a path, and when not empty the turn's end and the
  /// answer come from it.
  std::optional<ir::InteractiveMode> Interactive;
  /// The conversation id connectorc chose for it ("{session}"), if any.
  std::string ConversationId;
};

/// How a session ended.
struct SessionEnd {
  int ExitCode = 0;        ///< exit status, or 128+signal
  bool ExecFailed = false; ///< the program could not be started
  std::string OutputTail;  ///< last 64 KiB of the stripped output
  bool AnswerEmpty = true; ///< nothing but white space was printed
  /// The LaunchRequest::WatchPatterns index that ended the session, and the
  /// line it matched; -1 when none did.
  int Watched = -1;
  std::string WatchedLine;
  /// Why the prompt could not reach the program (it was never started).
  std::string Undeliverable;
};

/// A session's terminal, for the clients that attach to it (attach, send,
/// the web terminal): what it shows, its output as it comes, keystrokes in.
class Terminal {
public:
  /// Called with the agent's output as it comes; with "" and Closed once
  /// when its terminal is gone.
  using Listener = std::function<void(llvm::StringRef Bytes, bool Closed)>;
  virtual ~Terminal() = default;
  /// The screen as it is now.
  virtual const Screen &screen() = 0;
  /// Types \p Bytes into the agent's terminal (in order with earlier ones).
  virtual void input(llvm::StringRef Bytes) = 0;
  /// The window is \p Rows x \p Cols now; the agent gets SIGWINCH.
  virtual void resize(unsigned Rows, unsigned Cols) = 0;
  virtual unsigned listen(Listener L) = 0;
  virtual void unlisten(unsigned Id) = 0;
  /// A person writes to it (\p Held) or no longer does: while one does, an
  /// interactive session does not end when its agent is idle.
  virtual void hold(bool Held) { (void)Held; }
};

/// A running agent.
class Session {
public:
  virtual ~Session() = default;
  /// Sends \p Sig to the session's whole process group.
  virtual void signal(int Sig) = 0;
  /// The last line the agent printed, stripped (for progress).
  virtual std::string lastLine() const = 0;
  /// Its terminal, when it has one a person can attach to.
  virtual Terminal *terminal() { return nullptr; }
  /// What it is doing (runtime/session/Screen.h's classify).
  virtual Activity activity() const { return Activity::Working; }
  /// \p F runs on the loop each time activity() changes.
  virtual void onActivity(std::function<void(Activity)> F) { (void)F; }
  /// `connectorc done`: an interactive session ends now, with the agent's
  /// last message as its answer. False when the session is not interactive.
  virtual bool done() { return false; }
};

using SessionDone = std::function<void(SessionEnd)>;

/// Starts sessions. \p Done runs on the event loop once the session's process
/// has exited and its output is on disk; the Session object stays valid
/// until the caller drops it (which may be inside \p Done).
class Launcher {
public:
  virtual ~Launcher() = default;
  virtual llvm::Expected<std::unique_ptr<Session>>
  launch(const LaunchRequest &R, SessionDone Done) = 0;
};

} // namespace connectorc::runtime

#endif
