//===- Operations.h - what the daemon's clients may do -----------*- C++ -*-===//
//
// The one set of operations behind every way to drive connectorc from
// another program: the HTTP server (`connectorc serve`, runtime/server/
// HttpServer.h), the MCP server (`connectorc mcp`) and the commands that
// reach runs (`ps`, `stop`, `send`). Each operation reaches a run the way
// `connectorc ps` does — its control socket (runtime/daemon/Control.h) while
// it runs, its run directory (plan, journal, sessions/, mail/) after — and
// starts runs through the daemon (runtime/daemon/Daemon.h): nothing here is
// a second implementation of a run or of the daemon.
//
// Every answer is a JSON object; every failure an OpError (below) whose kind
// says whose fault it was (an HTTP server maps it to a status) and whose
// message is a sentence for a person. A failed operation changed nothing.
//
// Operations are synchronous: a call to a run's socket waits for its answer
// (runs answer at once; a run that does not is "unavailable" within
// ControlClient's timeout). Calls are made on one thread.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_RUNTIME_SERVER_OPERATIONS_H
#define CONNECTORC_RUNTIME_SERVER_OPERATIONS_H

#include "ir/Plan.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace connectorc::runtime {
class RunControl;
struct RunEntry;
} // namespace connectorc::runtime

namespace connectorc::server {

/// Whose fault a failed operation was.
enum class OpErrorKind {
  BadRequest,  ///< malformed or missing input (HTTP 400)
  NotFound,    ///< no such run, task, mailbox (404)
  Conflict,    ///< the run or task is not in a state for it (409)
  Invalid,     ///< a spec with errors: "diagnostics" says which (422)
  TooLarge,    ///< over a size limit (413)
  Forbidden,   ///< a path outside the project (403)
  Unavailable, ///< the run or the daemon does not answer (503)
  Internal,    ///< anything else (500)
};

/// A failed operation. Diagnostics (lint's JSON objects) come with Invalid.
class OpError : public llvm::ErrorInfo<OpError> {
public:
  static char ID;
  OpError(OpErrorKind Kind, std::string Message,
          llvm::json::Array Diagnostics = {})
      : Kind(Kind), Message(std::move(Message)),
        Diagnostics(std::move(Diagnostics)) {}
  void log(llvm::raw_ostream &OS) const override { OS << Message; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }
  OpErrorKind Kind;
  std::string Message;
  llvm::json::Array Diagnostics;
};

/// Makes an OpError.
llvm::Error opError(OpErrorKind Kind, const llvm::Twine &Message);
/// What a failed operation's error says (consumed): an OpError's kind,
/// message and diagnostics; any other error is Internal, with its message.
struct OpFailure {
  OpErrorKind Kind;
  std::string Message;
  llvm::json::Array Diagnostics;
};
OpFailure takeOpFailure(llvm::Error E);
/// The kind's short name ("bad-request", "not-found", …): the last part of
/// a problem document's "type".
llvm::StringRef opErrorKindName(OpErrorKind K);

/// The limits an operation holds its input to.
inline constexpr size_t MaxSpecBytes = 4 << 20;      ///< a posted spec
inline constexpr size_t MaxTextBytes = 1 << 20;      ///< typed text, mail
inline constexpr size_t DefaultTranscriptBytes = 1 << 20;

/// What a spec's compilation gave (OperationsConfig::Compile).
struct CompiledSpec {
  /// No errors (nor, with --werror, warnings).
  bool Ok = false;
  /// `lint --format=json`'s objects, one per diagnostic.
  llvm::json::Array Diagnostics;
  /// The plan (Build, Explain), when Ok.
  std::optional<ir::Plan> Plan;
  /// `explain`'s summary of the plan (Explain), when Ok.
  std::string Explanation;
};
enum class CompileMode { Lint, Build, Explain };
/// Compiles \p Text as the spec file \p Name (an absolute path in the
/// project: relative team files are found beside it). The frontend and the
/// passes are not the runtime's to include (docs/architecture.md): the
/// driver, which has them, gives this.
using SpecCompiler = std::function<CompiledSpec(
    llvm::StringRef Text, llvm::StringRef Name, bool Simulate,
    CompileMode Mode)>;

/// Where the operations act.
struct OperationsConfig {
  /// The user's runtime directory (runtime/daemon/Control.h); "" = the
  /// usual one (userRuntimeDir()).
  std::string RuntimeDir;
  /// The connectorc binary: the daemon, started on demand, runs it.
  std::string SelfExe;
  /// The project: specs named by path must be inside it, runs started here
  /// go in its .connector/runs/, and its finished runs are listed. "" = the
  /// current directory.
  std::string ProjectDir;
  /// --providers: the provider registry file ("" = the user's or the
  /// built-in one).
  std::string ProvidersFile;
  /// The environment runs are started with ("NAME=value"; empty = this
  /// process's).
  std::vector<std::string> Env;
  /// The daemon, when the operations run inside it (`connectorc serve` is
  /// the daemon listening on HTTP too): its starts and stops are called
  /// directly. Null: through the daemon's socket, starting it when none
  /// answers.
  runtime::RunControl *Daemon = nullptr;
  /// lint, build, explain and start compile with it; unset, they fail.
  SpecCompiler Compile;
};

/// What to start (POST /api/v1/runs, MCP's `run`).
struct StartRequest {
  /// A spec file, relative to the project or absolute inside it …
  std::string SpecPath;
  /// … or the spec's text (then SpecName names it in diagnostics and the
  /// copy kept in .connector/posted/).
  std::string SpecText;
  std::string SpecName = "posted.connector.json";
  /// --simulate: every model bound to the sim agent.
  bool Simulate = false;
  /// --jobs (0: the default).
  unsigned Jobs = 0;
  /// --timeout ("" = the plan's).
  std::string Timeout;
};

/// What lint, build and explain compile.
struct SpecRequest {
  /// A spec file, relative to the project or absolute inside it (then Text
  /// and Name are not used) …
  std::string Path;
  /// … or the spec's text.
  std::string Text;
  std::string Name = "posted.connector.json";
  bool Simulate = false;
};

/// A live run's control socket, in the runtime directory \p RuntimeDir.
std::string controlSocketOf(const runtime::RunEntry &E,
                            llvm::StringRef RuntimeDir);
/// Sends \p Request to the live run \p E: its answer; Unavailable when it
/// does not answer, the run's own error when it refuses.
llvm::Expected<llvm::json::Object> askRun(const runtime::RunEntry &E,
                                          llvm::StringRef RuntimeDir,
                                          llvm::json::Object Request);

class Operations {
public:
  explicit Operations(OperationsConfig Config);
  ~Operations();
  Operations(const Operations &) = delete;
  Operations &operator=(const Operations &) = delete;

  const OperationsConfig &config() const;

  /// Every run: the live ones (any terminal's or the daemon's), the
  /// daemon's that ended, and the project's run directories. {"runs": [{id,
  /// run_dir, workflow, state, live, tasks_done, tasks_total, cost_usd,
  /// estimate_usd, started}]}, oldest first.
  /// Without \p WithProjectRuns, only the live runs and the daemon's that
  /// ended (what `connectorc ps` lists).
  llvm::Expected<llvm::json::Object> listRuns(bool WithProjectRuns = true);

  /// One run: {"run": {…as listed…}, "tasks": [{id, phase, worker, status,
  /// machine, cost_usd, actual_usd, attempts: [...], and for a running one
  /// the session's state, elapsed_s, last_line, attachable}]}. \p Run is an
  /// id, a unique prefix of one, or a run directory.
  llvm::Expected<llvm::json::Object> getRun(llvm::StringRef Run);

  /// Compiles the spec (its problems: Invalid with diagnostics) and hands
  /// the run to the daemon: {"id", "run_dir", "pid"}.
  llvm::Expected<llvm::json::Object> startRun(const StartRequest &R);

  /// Ends the run (\p Task empty) or one task, as Ctrl-C does.
  llvm::Expected<llvm::json::Object> stopRun(llvm::StringRef Run,
                                             llvm::StringRef Task = "");

  /// Continues a run that is over without its end (`run --resume`), in the
  /// daemon: {"id", "run_dir", "pid"}.
  llvm::Expected<llvm::json::Object> resumeRun(llvm::StringRef Run);

  /// A task's answer (sessions/TASK/output.md): {"task", "status",
  /// "answer"}; NotFound while it has none.
  llvm::Expected<llvm::json::Object> taskAnswer(llvm::StringRef Run,
                                                llvm::StringRef Task);

  /// A task's transcript, control sequences removed unless \p Raw; at most
  /// \p MaxBytes from its end: {"task", "text", "truncated", "bytes"}.
  llvm::Expected<llvm::json::Object>
  transcript(llvm::StringRef Run, llvm::StringRef Task, bool Raw = false,
             size_t MaxBytes = DefaultTranscriptBytes);

  /// What a task changed in its worktree: {"task", "worktree", "branch",
  /// "diff"} (a unified diff against the worktree's base); NotFound when
  /// the task has no worktree.
  llvm::Expected<llvm::json::Object> worktreeDiff(llvm::StringRef Run,
                                                  llvm::StringRef Task);

  /// Types \p Text into a running task's session (as `connectorc send`).
  llvm::Expected<llvm::json::Object> sendText(llvm::StringRef Run,
                                              llvm::StringRef Task,
                                              llvm::StringRef Text,
                                              bool Enter = true);

  /// Sends a message into the run's mail (docs/mail.md) from \p From
  /// (a person: any mailbox name, e.g. "operator") to \p To (a mailbox, or
  /// "all"): {"delivered": [names]}.
  llvm::Expected<llvm::json::Object>
  mailSend(llvm::StringRef Run, llvm::StringRef From, llvm::StringRef To,
           llvm::StringRef Subject, llvm::StringRef Body);

  /// The run's mailboxes and their messages, new and read (\p Mailbox
  /// empty: every one): {"mailboxes": [{name, messages: [{from, to,
  /// subject, date, body, seen}]}]}. Reading marks nothing read.
  llvm::Expected<llvm::json::Object> mailList(llvm::StringRef Run,
                                              llvm::StringRef Mailbox = "");

  /// lint of a spec's text: {"ok", "diagnostics": [lint --format=json's
  /// objects]}. A spec with errors is an answer (ok false), not a failure.
  llvm::Expected<llvm::json::Object> lint(const SpecRequest &R);
  /// build: {"ok", "diagnostics", "plan"} (plan.json's object when ok).
  llvm::Expected<llvm::json::Object> build(const SpecRequest &R);
  /// explain: {"ok", "diagnostics", "text"} (explain's summary when ok).
  llvm::Expected<llvm::json::Object> explain(const SpecRequest &R);

  /// The control socket of a live run, for attach (a WebSocket terminal
  /// speaks the control protocol's frames through it): NotFound when no
  /// such run, Conflict when it is over.
  llvm::Expected<std::string> controlSocket(llvm::StringRef Run);

  /// A connection attached to a live task's session (the control
  /// protocol's `attach`), for a client that carries its frames elsewhere
  /// (a WebSocket): the socket, the bytes read past the answer (the first
  /// frames), and the answer's task, write, rows and cols. A second writer
  /// is a Conflict.
  struct Attached {
    int Fd = -1; ///< the caller's to close
    std::string Rest;
    std::string Task;
    bool Write = false;
    unsigned Rows = 0, Cols = 0;
  };
  llvm::Expected<Attached> attach(llvm::StringRef Run, llvm::StringRef Task,
                                  bool Write, unsigned Rows = 0,
                                  unsigned Cols = 0);

  /// The directory of the run \p Run names (live or over).
  llvm::Expected<std::string> runDir(llvm::StringRef Run);

  /// lint, build or explain, as \p Mode says.
  llvm::Expected<llvm::json::Object> compileSpec(const SpecRequest &R,
                                                 CompileMode Mode);

  struct Impl;

private:
  std::unique_ptr<Impl> I;
};

} // namespace connectorc::server

#endif
