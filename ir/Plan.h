//===- Plan.h - a workflow lowered to a DAG of agent tasks --------*- C++ -*-===//
//
// An ir::Plan is what the passes make of a Module and what the runtime and
// the backends consume: every choice resolved. One task is one agent session.
// Model bindings live in one table that tasks refer to by index, so that a
// plan of 100,000 tasks on three models holds three argv templates, not
// 100,000.
//
// Plans are written to and read from JSON (PlanJson.h, docs/plan-format.md).
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_PLAN_H
#define CONNECTORC_IR_PLAN_H

#include "ir/Module.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/STLExtras.h"

namespace connectorc::ir {

/// How the runtime recognises a provider failure in an agent's output or
/// exit status.
struct FailurePattern {
  std::string Kind; ///< unavailable, rate-limited, overloaded, auth, context
  std::string Pattern; ///< POSIX ERE, matched case-insensitively; may be empty
  std::vector<int> ExitCodes;
  /// Also watched while the agent runs: a match ends the attempt at once
  /// (a CLI's own retry or wait message), rather than when the CLI gives up.
  bool WhileRunning = false;
  bool operator==(const FailurePattern &) const = default;
};

/// Where a CLI's structured output (JSON documents in its output) holds
/// its usage. Each is a JSON Pointer (RFC 6901) in which a `*` token matches
/// every member or element (numbers found that way are summed); the last
/// document of the output where it resolves gives the value. Empty: unknown.
struct UsageFields {
  std::string InputTokens, OutputTokens, CostUsd, SessionId;
  bool empty() const {
    return InputTokens.empty() && OutputTokens.empty() && CostUsd.empty() &&
           SessionId.empty();
  }
  bool operator==(const UsageFields &) const = default;
};

/// A screen an interactive CLI shows before its prompt (a first-run
/// question), and the keys that pass it (the registry's
/// "interactive.screens").
struct FirstRunScreen {
  std::string Name;    ///< what it is, for the journal: "workspace trust"
  std::string Pattern; ///< POSIX ERE, on one line of the screen
  std::string Keys;    ///< typed when it shows
  /// When connectorc may answer it: "" always; "worktree" only in a worktree
  /// connectorc made; "env:NAME" only when the agent's environment sets NAME.
  /// Otherwise the session waits for a person.
  std::string When;
  bool operator==(const FirstRunScreen &) const = default;
};

/// How a CLI runs in its full-screen interface (the registry's
/// "interactive"): a task with "interactive": true gets a binding with these.
struct InteractiveMode {
  /// argv after the executable; "{model}" and "{session}" (a conversation
  /// id connectorc chooses, a UUID) are replaced.
  std::vector<std::string> Args;
  std::string ReadyPattern; ///< a line of the screen when it takes a prompt
  std::vector<FirstRunScreen> Screens;
  /// The CLI's own record of the conversation (JSON lines), a path with
  /// "~", "${NAME:-default}", "{session}" and "{cwd_slug}" (the working
  /// directory with every character but [A-Za-z0-9] as '-'); empty: none.
  std::string Transcript;
  EnvList TurnStart; ///< a record of the person's (or connectorc's) turn
  EnvList TurnEnd;   ///< a record that ends the agent's turn
  EnvList AnswerWhere; ///< records that hold the agent's messages
  /// JSON Pointer to the message in such a record: a string, or an array of
  /// blocks whose {"type":"text"} members' "text" are joined.
  std::string AnswerPointer;
  /// Arguments after the executable that continue conversation "{session}"
  /// (Claude Code's "--resume {session}"): a task that was running when its
  /// run was killed starts again with them. Empty: it starts afresh.
  std::vector<std::string> ResumeArgs;
  /// JSON Pointer to a record's time (ISO 8601, which sorts as text): when
  /// set, turns are ordered by it, not by the file's order (Claude Code
  /// appends a prompt's record after the turn's end at times).
  std::string RecordTime;
  bool operator==(const InteractiveMode &) const = default;
};

/// A model resolved through the provider registry into a command.
struct ModelBinding {
  std::string Id;       ///< "provider/model", unique in the plan
  std::string Provider;
  std::string Model;
  /// argv, executable first. "{prompt}" stands for the prompt when Via is
  /// Arg; "{connectorc}" for the running connectorc binary.
  std::vector<std::string> Argv;
  PromptVia Via = PromptVia::Arg;
  std::string ReadyPattern; ///< Via == Type: when the UI is ready for input
  std::string IdlePattern;  ///< Via == Type: when the answer is complete
  /// How the CLI runs interactively, when the registry knows; Active in the
  /// binding of an "interactive": true task (Argv, Via and ReadyPattern are
  /// then the interactive ones).
  std::optional<InteractiveMode> Interactive;
  bool InteractiveActive = false;
  /// One-shot runs under `connectorc run` (not the backends): arguments
  /// that give the CLI the conversation id connectorc chooses ("{session}":
  /// Claude Code's "--session-id {session}"), and those that continue one
  /// ("--resume {session}") for a task whose attempt a killed run left.
  std::vector<std::string> SessionArgs, ResumeArgs;
  /// When set, the program prints JSON and the answer is this string member
  /// of it (runtime/executor/StructuredAnswer.h); empty: the answer is the output.
  std::string AnswerJsonField;
  /// Only documents where each pointer holds exactly this string can hold
  /// the answer (e.g. {"/type", "item.completed"}).
  EnvList AnswerJsonWhere;
  UsageFields Usage;
  /// Environment the CLI gets unless the user's environment or the spec
  /// sets the name (retry limits, update checks off: non-secret tuning).
  EnvList SetEnv;
  std::vector<FailurePattern> Failures;
  Price Cost;
  /// False when the registry has no price for the model (a CLI's own default
  /// model, as qwen's and opencode's): tokens it reports are then not money.
  bool Priced = true;
  Tier ModelTier = Tier::Balanced;
  std::uint64_t DefaultOutputTokens = 2000;
  /// Names of environment variables the CLI needs (API keys): passed
  /// through from the user's environment, never recorded with values.
  std::vector<std::string> EnvKeys;
  /// What a sandboxed session of the CLI needs (the registry's "sandbox"):
  /// its own state, read-write ("~/.codex", "${CODEX_HOME:-~/.codex}"), the
  /// names of further variables it reads (base URLs, CODEX_HOME) and the
  /// hosts of its API ("api.anthropic.com", "host:port").
  std::vector<std::string> SandboxState, SandboxEnv, Endpoints;
  EnvList Env; ///< values the spec sets explicitly
  /// --simulate: Argv runs the offline sim agent in place of the provider
  /// (which the binding still names, so prices and failover stay meaningful).
  bool Simulated = false;
};

struct SandboxProfile {
  bool Enabled = false;
  SandboxNet Network = SandboxNet::Provider;
  std::vector<std::string> Hosts; ///< "network": [...] beyond the provider's
  /// Extra paths: project-relative, "~/..." or absolute (ir::SandboxPath).
  std::vector<std::string> Write, Read;
};

/// Where a task works, resolved.
struct TaskSession {
  std::string Worktree; ///< name; empty = no worktree
  std::string Branch;   ///< connector/<workflow>/<worktree>
  std::string Base = "HEAD";
  std::string Repo;     ///< project-relative; empty = the project
  std::vector<std::string> Copy;
  std::vector<std::string> Setup;
  std::string Cwd;      ///< project-relative (or worktree-relative)
  SandboxProfile Sandbox;
  EnvList Env; ///< session.env ("${NAME}": from connectorc's environment)
  std::vector<std::string> EnvPass; ///< session.env_pass
};

/// In Task::Candidates from resolve-failover to cost-route only: an "auto"
/// failover entry, which cost-route replaces by a model (printed as auto).
inline constexpr unsigned AutoCandidate = ~0u;

/// One agent session.
struct Task {
  std::string Id;      ///< "<stage>/<worker>", unique
  unsigned Stage = 0;  ///< index into Plan::Stages
  unsigned Worker = 0; ///< 1-based index within the stage
  std::string WorkerName;
  /// What the task is in its stage: "worker", "turn" (dialogue), "voice" or
  /// "summary" (meeting), "agent" (mesh).
  std::string Role = "worker";
  /// Dialogue: when this turn's answer contains it, the stage's remaining
  /// turns are skipped.
  std::string Until;
  /// Dialogue and meeting: the participant who speaks (the agent's name),
  /// and the dialogue round or the meeting's agenda item (1-based; 0 for
  /// the other roles).
  std::string Speaker;
  unsigned Round = 0;
  /// Gets a mailbox (pipeline.mailbox, or a mesh agent).
  bool Mailbox = false;
  /// Runs the CLI in its full-screen interface ("interactive": true): its
  /// candidates are interactive bindings.
  bool Interactive = false;
  /// The prompt with build-time variables substituted; "{run}" and
  /// "{scratchpad}" remain for the runtime, "{{"/"}}" are literal braces.
  std::string Prompt;
  /// Model name as the spec wrote it (before resolve-models), for {model}.
  std::string ModelName;
  std::vector<std::string> FailoverNames;
  llvm::SmallVector<unsigned, 3> Candidates; ///< indices into Plan::Bindings
  std::vector<std::string> Machines;         ///< ordered; first is primary
  TaskSession Session;
  llvm::SmallVector<unsigned, 4> Deps; ///< task indices it waits for
  std::string Output;                  ///< run-dir relative answer file
  double TimeoutS = 0;
  unsigned Retries = 0;
  Tier WantTier = Tier::Any;
  std::uint64_t InputTokens = 0;  ///< estimated by cost-route
  std::uint64_t OutputTokens = 0;
  double CostUsd = 0;             ///< estimate on the first candidate
  std::optional<std::uint64_t> OutputTokensHint, InputTokensHint;
  /// Where it came from: "file:line:col" (kept through serialisation).
  std::string Origin;
  llvm::SMRange Loc; ///< valid only in the process that compiled the spec
  llvm::SMRange ModelLoc; ///< where its model is named (ditto)
};

/// A stage as the plan keeps it.
struct PlanStage {
  std::string Name;
  StageKind Kind = StageKind::Workers;
  std::vector<unsigned> DependsOn;
  std::string Output; ///< run-dir relative; empty = none
  std::vector<unsigned> Tasks;
  double CostUsd = 0;
  unsigned MaxMessages = 0; ///< mesh: 0 = no limit
  double TimeoutS = 0;      ///< mesh: 0 = none
  std::vector<std::string> Agenda; ///< meeting: the items, in order
};

/// The estimate beside the same workflow on its most expensive model.
struct CostReport {
  double EstimateUsd = 0;
  std::string CostliestModel;
  double CostliestUsd = 0;
  std::optional<double> BudgetUsd;
};

struct Plan {
  static constexpr const char *FormatVersion = "1";
  std::string Workflow;
  std::string Description;
  std::string Source;      ///< the spec it was compiled from
  std::string ProjectRoot;
  bool Scratchpad = false;
  bool Mailbox = false;
  std::string Cron, TimeZone;
  std::vector<Machine> Machines;
  std::vector<McpServer> Tools;
  NotifySpec Notify;
  std::vector<ModelBinding> Bindings;
  std::vector<PlanStage> Stages;
  std::vector<Task> Tasks;
  CostReport Cost;
};

/// The first broken invariant of \p P ("" when it holds): unique ids,
/// references in range, a candidate per task, a DAG. The verify pass checks
/// it after the pipeline, and reading a plan file checks it too.
std::string verifyPlan(const Plan &P);

/// The tasks whose answers task \p T reads (CONNECTOR_INPUTS) and waits for:
/// its own dependencies, then every task of its stage's prerequisite stages,
/// looking through stages that have no tasks of their own (teams).
std::vector<unsigned> taskInputs(const Plan &P, unsigned T);

/// The run-directory path of a dialogue's transcript
/// ("scratchpad/<stage>/dialogue.md") or a meeting's minutes
/// ("scratchpad/<stage>/minutes.md"); "" for the other kinds. It is the
/// stage's answer: what its `output` holds and what later stages read.
std::string stageRecordPath(const PlanStage &S);

/// The name of task \p T's mailbox (`<run>/mail/<name>/`): its worker's name
/// when no other task of the plan with a mailbox has that name, else its id
/// with '/' replaced by '.'.
std::string mailboxName(const Plan &P, unsigned T);

/// The text of stage \p S's record (see stageRecordPath) from the answers
/// of its tasks that have one so far (\p Answer gives std::nullopt for the
/// others), with trailing newlines of each answer removed:
///   dialogue: "# Dialogue: <stage>\n" then per turn
///             "\n## Round <r>: <speaker>\n\n<answer>\n";
///   meeting:  "# Minutes: <stage>\n" then per item with an answer
///             "\n## Item <n>: <topic>\n", per voice
///             "\n### <speaker>\n\n<answer>\n" and for the chair's close
///             "\n### Summary by <speaker>\n\n<answer>\n".
/// The sh backend writes the same bytes.
std::string renderStageRecord(
    const Plan &P, unsigned S,
    llvm::function_ref<std::optional<std::string>(unsigned Task)> Answer);

/// The pieces renderStageRecord is made of, for the backends that write a
/// record in their own language: the title line ("# Dialogue: <stage>\n"),
/// a meeting item's heading ("\n## Item <n>: <topic>\n", written before
/// the item's first answer), and the heading before task \p T's answer
/// (each answer is followed by one "\n").
std::string stageRecordTitle(const PlanStage &S);
std::string stageRecordItem(const PlanStage &S, unsigned Item);
std::string stageRecordHeading(const PlanStage &S, const Task &T);

/// The answer files (run-directory relative) task \p T reads, in the order
/// of taskInputs(): a prerequisite dialogue or meeting is read as its
/// record (stageRecordPath), once, instead of its turns' answers.
std::vector<std::string> inputFiles(const Plan &P, unsigned T);

/// The name of task \p T's mailbox (and its identity when it sends): its
/// WorkerName, unless another task of \p P with a mailbox has the same one
/// (pipeline.mailbox workers are 1, 2, ... in every stage); then its Id with
/// '/' replaced by '.', so that it stays one directory name.
std::string mailboxName(const Plan &P, unsigned T);

} // namespace connectorc::ir

#endif
