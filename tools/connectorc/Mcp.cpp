//===- Mcp.cpp - `connectorc mcp` -----------------------------------------===//
//
// An MCP server on standard input and output (runtime/server/Mcp.h) for an
// agent host that runs a team through connectorc. Its tools are the
// runtime's operations (runtime/server/Operations.h), the same as the HTTP
// API's: each only reads its arguments into an operation's request and its
// answer or failure into a tool result. docs/mcp.md.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "Compile.h"

#include "runtime/server/Mcp.h"
#include "runtime/support/JsonText.h"

#include <csignal>
#include <fcntl.h>
#include <unistd.h>

using namespace connectorc;
using namespace connectorc::driver;
using runtime::McpArg;
using runtime::McpArgKind;
using runtime::McpTool;
using runtime::McpToolResult;
namespace cl = llvm::cl;
namespace json = llvm::json;

cl::SubCommand &driver::mcpCommand() {
  static cl::SubCommand S(
      "mcp", "Serve the Model Context Protocol on standard input and output "
             "for an AI agent host (Claude Code, Codex, Gemini CLI): tools "
             "to lint, explain and run workflows, follow their runs, read "
             "answers, type into sessions, stop them and mail their agents "
             "(docs/mcp.md)");
  return S;
}

namespace {
/// What the initialize answer tells the host about the tools as a whole.
constexpr const char *Instructions =
    "connectorc compiles connector.json workflows into plans and runs AI "
    "coding CLIs as a team, each agent in its own terminal. Check a spec "
    "with lint (every problem with its line and column) and see what it "
    "will run and cost with explain; start it with run (detached: it "
    "returns the run's id at once); follow it with status; read a task's "
    "answer with answer; type into a session that waits for input with "
    "send; end a run or a task with stop; message a run's agents with "
    "mail. Paths are taken from the project directory this server was "
    "started in, and must be inside it.";

McpArg arg(std::string Name, McpArgKind Kind, std::string Description,
           bool Required = false) {
  McpArg A;
  A.Name = std::move(Name);
  A.Kind = Kind;
  A.Description = std::move(Description);
  A.Required = Required;
  return A;
}

std::string str(const json::Object &Args, llvm::StringRef Name) {
  return Args.getString(Name).getValueOr("").str();
}
bool flag(const json::Object &Args, llvm::StringRef Name, bool Default) {
  return Args.getBoolean(Name).getValueOr(Default);
}

/// An operation's answer, or its failure as a result the model reads
/// (with the spec's diagnostics, when it had errors).
McpToolResult result(llvm::Expected<json::Object> Answer) {
  if (Answer)
    return McpToolResult::structured(std::move(*Answer));
  server::OpFailure F = server::takeOpFailure(Answer.takeError());
  std::string Text = F.Message;
  if (!F.Diagnostics.empty())
    Text += "\n" + runtime::toJsonText(json::Value(std::move(F.Diagnostics)));
  return McpToolResult::error(std::move(Text));
}

const McpArg PathArg = arg(
    "path", McpArgKind::String,
    "The connector.json file: relative to the project directory, or "
    "absolute inside it");
const McpArg TextArg =
    arg("text", McpArgKind::String,
        "Instead of path: the spec's JSON text (relative team and prompt "
        "files are the project's)");
const McpArg NameArg =
    arg("name", McpArgKind::String,
        "With text: the file name the diagnostics give it (default "
        "posted.connector.json)");
const McpArg SimulateArg =
    arg("simulate", McpArgKind::Boolean,
        "Bind every model to the offline sim agent, which answers at once "
        "and costs nothing (prices stay real in estimates)");
const McpArg RunArg =
    arg("run", McpArgKind::String,
        "The run: its id (as run and status give it), a unique prefix of "
        "one, or its directory",
        /*Required=*/true);

constexpr const char *DiagnosticsSchema = R"(
  {"type": "array", "items": {"type": "object", "properties": {
    "file": {"type": "string"}, "line": {"type": "integer"},
    "column": {"type": "integer"},
    "level": {"type": "string", "enum": ["error", "warning", "note"]},
    "rule": {"type": "string"}, "message": {"type": "string"},
    "fixits": {"type": "array"}},
    "required": ["file", "line", "column", "level", "message"]}})";

/// A compile tool's request from \p Args: a path in the project, or a text.
llvm::Expected<server::SpecRequest> specRequest(const json::Object &Args) {
  server::SpecRequest R;
  R.Simulate = flag(Args, "simulate", false);
  std::string Path = str(Args, "path");
  if (Path.empty() == !Args.getString("text"))
    return server::opError(server::OpErrorKind::BadRequest,
                           "give the spec: 'path' (a file in the project) "
                           "or 'text' (its JSON), not both");
  if (!Path.empty()) {
    R.Path = std::move(Path);
    return R;
  }
  R.Text = str(Args, "text");
  if (Args.getString("name"))
    R.Name = str(Args, "name");
  return R;
}

/// An output schema: an object of \p Properties (JSON text).
llvm::json::Object object(llvm::StringRef Properties,
                          llvm::StringRef Required = "") {
  return runtime::mcpSchema(
      (R"({"type": "object", "properties": {)" + Properties + "}" +
       (Required.empty() ? "" : R"(, "required": [)" + Required + "]") + "}")
          .str());
}

/// The compile tools' answer: lint's, and more.
llvm::json::Object compiled(llvm::StringRef More = "") {
  return object(std::string(R"("ok": {"type": "boolean"}, "diagnostics": )") +
                    DiagnosticsSchema + More.str(),
                R"("ok", "diagnostics")");
}

/// explain, and with plan: true the plan that build writes.
McpToolResult explain(server::Operations &Ops, const json::Object &Args) {
  llvm::Expected<server::SpecRequest> R = specRequest(Args);
  if (!R)
    return result(R.takeError());
  llvm::Expected<json::Object> E = Ops.explain(*R);
  if (!E || !flag(Args, "plan", false) ||
      !E->getBoolean("ok").getValueOr(false))
    return result(std::move(E));
  llvm::Expected<json::Object> B = Ops.build(*R);
  if (!B)
    return result(B.takeError());
  if (json::Object *Plan = B->getObject("plan"))
    (*E)["plan"] = std::move(*Plan);
  return result(std::move(E));
}

McpToolResult start(server::Operations &Ops, const json::Object &Args) {
  server::StartRequest R;
  R.SpecPath = str(Args, "path");
  R.SpecText = str(Args, "text");
  if (Args.getString("name"))
    R.SpecName = str(Args, "name");
  R.Simulate = flag(Args, "simulate", false);
  R.Jobs = static_cast<unsigned>(Args.getInteger("jobs").getValueOr(0));
  R.Timeout = str(Args, "timeout");
  return result(Ops.startRun(R));
}

McpToolResult mail(server::Operations &Ops, const json::Object &Args) {
  if (str(Args, "action") == "list")
    return result(Ops.mailList(str(Args, "run"), str(Args, "mailbox")));
  std::string From = str(Args, "from");
  return result(Ops.mailSend(str(Args, "run"),
                             From.empty() ? "operator" : From,
                             str(Args, "to"), str(Args, "subject"),
                             str(Args, "body")));
}

McpArg jobsArg() {
  McpArg A = arg("jobs", McpArgKind::Integer,
                 "Run at most this many tasks at once (default: the number "
                 "of cores x 4)");
  A.Minimum = 1;
  A.Maximum = 10000;
  return A;
}

McpArg actionArg() {
  McpArg A = arg("action", McpArgKind::String, "list or send", true);
  A.Enum = {"list", "send"};
  return A;
}

/// The tools, in the order tools/list gives them.
std::vector<McpTool> tools(server::Operations &Ops) {
  McpArg OptionalRun = RunArg;
  OptionalRun.Required = false;
  return {
      {.Name = "lint",
       .Title = "Check a workflow",
       .Description =
           "Checks a connector.json workflow as 'connectorc lint' does (the "
           "schema, the semantic checks and the whole compilation, emitting "
           "nothing). 'diagnostics' holds every problem as 'connectorc lint "
           "--format=json' prints it: file, line, column, level, rule, "
           "message and fix-its. 'ok' is false when one is an error.",
       .Args = {PathArg, TextArg, NameArg},
       .OutputSchema = compiled(),
       .ReadOnly = true,
       .Call =
           [&Ops](const json::Object &Args) {
             llvm::Expected<server::SpecRequest> R = specRequest(Args);
             return result(R ? Ops.lint(*R) : R.takeError());
           }},
      {.Name = "explain",
       .Title = "Explain a workflow",
       .Description =
           "Compiles a connector.json workflow and says what it will run: "
           "'text' is 'connectorc explain''s summary (its stages and tasks, "
           "the model of each and those it fails over to, the machines, the "
           "estimated cost against the budget). With plan: true also "
           "'plan', the compiled plan that 'connectorc build' writes (every "
           "task's prompt, models and dependencies). A spec with errors "
           "gives ok: false and its diagnostics, as lint does.",
       .Args = {PathArg, TextArg, NameArg, SimulateArg,
                arg("plan", McpArgKind::Boolean,
                    "Also return the compiled plan (plan.json's object)")},
       .OutputSchema = compiled(R"(, "text": {"type": "string"},
                                  "plan": {"type": "object"})"),
       .ReadOnly = true,
       .Call = [&Ops](const json::Object &Args) { return explain(Ops, Args); }},
      {.Name = "run",
       .Title = "Run a workflow",
       .Description =
           "Starts a connector.json workflow in the background, as "
           "'connectorc run --detach' does: it is compiled here (a spec "
           "with errors is an error listing them), then the session daemon "
           "runs it, every agent in its own terminal, whatever happens to "
           "this server. Returns at once with the run's 'id' and "
           "'run_dir'; follow it with status, read answers with answer.",
       .Args = {PathArg, TextArg, NameArg, SimulateArg, jobsArg(),
                arg("timeout", McpArgKind::String,
                    "A timeout for every task (90s, 20m, 2h), over the "
                    "plan's")},
       .OutputSchema = object(R"("id": {"type": "string"},
                                 "run_dir": {"type": "string"},
                                 "pid": {"type": "integer"})",
                              R"("id", "run_dir")"),
       .OpenWorld = true,
       .Call = [&Ops](const json::Object &Args) { return start(Ops, Args); }},
      {.Name = "status",
       .Title = "Runs and their tasks",
       .Description =
           "Without 'run': every run, going on or over (the project's and "
           "the daemon's), each with its id, workflow, state, tasks done "
           "and in all, and cost. With 'run': that run and its tasks, each "
           "with its status (pending, running, backing-off, succeeded, "
           "failed, skipped, interrupted), its attempts and cost, and for "
           "a running task its session's state (starting, working, waiting "
           "for input, idle, exited) and last line: a task 'waiting for "
           "input' wants an answer through send.",
       .Args = {OptionalRun},
       .OutputSchema = object(R"(
           "runs": {"type": "array", "items": {"type": "object"}},
           "run": {"type": "object"},
           "tasks": {"type": "array", "items": {"type": "object"}})"),
       .ReadOnly = true,
       .Call =
           [&Ops](const json::Object &Args) {
             if (Args.getString("run"))
               return result(Ops.getRun(str(Args, "run")));
             return result(Ops.listRuns());
           }},
      {.Name = "answer",
       .Title = "A task's answer",
       .Description =
           "The answer of one task of a run (what its agent produced, as "
           "the next stage reads it), once the task has one; an error "
           "before.",
       .Args = {RunArg,
                arg("task", McpArgKind::String,
                    "The task's id, as status gives it (review/1)",
                    /*Required=*/true)},
       .OutputSchema = object(R"("task": {"type": "string"},
                                 "status": {"type": "string"},
                                 "answer": {"type": "string"})",
                              R"("task", "answer")"),
       .ReadOnly = true,
       .Call =
           [&Ops](const json::Object &Args) {
             return result(
                 Ops.taskAnswer(str(Args, "run"), str(Args, "task")));
           }},
      {.Name = "send",
       .Title = "Type into a session",
       .Description =
           "Types text into a running task's terminal, as a paste, then "
           "Enter (unless enter is false), as 'connectorc send' does: the "
           "answer to an agent that waits for input (status shows 'waiting "
           "for input' and its question as the last line).",
       .Args = {RunArg,
                arg("task", McpArgKind::String,
                    "The task's id (may be left out when one task runs)"),
                arg("text", McpArgKind::String, "What to type", true),
                arg("enter", McpArgKind::Boolean,
                    "Press Enter after it (default true)")},
       .OutputSchema = object(R"("task": {"type": "string"})"),
       .Call =
           [&Ops](const json::Object &Args) {
             return result(Ops.sendText(str(Args, "run"), str(Args, "task"),
                                        str(Args, "text"),
                                        flag(Args, "enter", true)));
           }},
      {.Name = "stop",
       .Title = "Stop a run or a task",
       .Description =
           "Ends a run, or one of its tasks, as Ctrl-C does (the agent's "
           "process group gets SIGTERM, then SIGKILL after a grace). A "
           "stopped task's dependants are skipped; the run's other tasks "
           "go on.",
       .Args = {RunArg,
                arg("task", McpArgKind::String,
                    "The task's id; without it the whole run stops")},
       .OutputSchema = object(R"("id": {"type": "string"},
                                 "task": {"type": "string"},
                                 "stopping": {"type": "boolean"})"),
       .Destructive = true,
       .Call =
           [&Ops](const json::Object &Args) {
             return result(Ops.stopRun(str(Args, "run"), str(Args, "task")));
           }},
      {.Name = "mail",
       .Title = "A run's mail",
       .Description =
           "The mailboxes of a run's agents (a mesh, or tasks with "
           "'mailbox': true; docs/mail.md). action 'list': their messages, "
           "new and read (of one mailbox, or all), marking none read. "
           "action 'send': a message to an agent's mailbox, or to all of "
           "them, which the agent reads with 'connectorc mail read'.",
       .Args = {RunArg, actionArg(),
                arg("mailbox", McpArgKind::String,
                    "list: only this mailbox's messages"),
                arg("to", McpArgKind::String,
                    "send: the recipient's mailbox, or 'all'"),
                arg("from", McpArgKind::String,
                    "send: the sender's name (default 'operator')"),
                arg("subject", McpArgKind::String, "send: one line"),
                arg("body", McpArgKind::String, "send: the message")},
       .OutputSchema = object(R"(
           "mailboxes": {"type": "array", "items": {"type": "object"}},
           "delivered": {"type": "array", "items": {"type": "string"}})"),
       .Call = [&Ops](const json::Object &Args) { return mail(Ops, Args); }},
  };
}
} // namespace

int driver::runMcp() {
  const char *Tool = "connectorc mcp";
  // Standard output carries the protocol only: it moves to a descriptor of
  // its own, closed in every process started from here (the daemon among
  // them), and whatever else writes to descriptor 1 reaches standard error.
  int Out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (Out < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    return failure(Tool, llvm::errorCodeToError(std::error_code(
                             errno, std::generic_category())));
  // A host that goes away ends the session; it is no signal.
  ::signal(SIGPIPE, SIG_IGN);
  server::OperationsConfig C;
  C.SelfExe = selfExe();
  C.ProvidersFile = ProvidersFile;
  C.Compile = compileSpecText;
  server::Operations Ops(std::move(C));
  runtime::McpServer Server(CONNECTORC_VERSION, Instructions, tools(Ops));
  if (llvm::Error E = runtime::serveMcp(Server, STDIN_FILENO, Out)) {
    std::error_code EC = llvm::errorToErrorCode(std::move(E));
    // The host went away before reading an answer: the session's end too.
    if (EC == std::errc::broken_pipe)
      return ExitOk;
    return failure(Tool, llvm::errorCodeToError(EC));
  }
  return ExitOk;
}
