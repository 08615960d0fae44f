//===- Module.h - the typed IR of one workflow --------------------*- C++ -*-===//
//
// An ir::Module is a checked connector.json workflow lowered into types: the
// model table, machines, tools, schedule, budget, defaults and a graph of
// stages. Every node keeps the source range it came from so that any pass can
// point at the spec. Nested teams are child modules.
//
// The passes turn a Module into an ir::Plan (Plan.h), a DAG of agent tasks.
//
//===----------------------------------------------------------------------===//
#ifndef CONNECTORC_IR_MODULE_H
#define CONNECTORC_IR_MODULE_H

#include "ir/ModelRef.h"

#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace connectorc::ir {

/// How a prompt reaches an agent.
enum class PromptVia { Arg, Stdin, Type };
llvm::StringRef promptViaName(PromptVia V);
std::optional<PromptVia> parsePromptVia(llvm::StringRef S);

/// A model's capability tier, in increasing order; Any means "not stated".
enum class Tier { Any, Fast, Balanced, Strong };
llvm::StringRef tierName(Tier T);
std::optional<Tier> parseTier(llvm::StringRef S);

/// USD per million tokens.
struct Price {
  double InputPerMTok = 0;
  double OutputPerMTok = 0;
  bool operator==(const Price &) const = default;
};

using EnvList = std::vector<std::pair<std::string, std::string>>;

/// A sandboxed agent's network.
enum class SandboxNet {
  Provider, ///< its provider's API (and Hosts), through the allowlisting proxy
  None,     ///< nothing but its own loopback
  Full,     ///< the host's network
};
llvm::StringRef sandboxNetName(SandboxNet N);
std::optional<SandboxNet> parseSandboxNet(llvm::StringRef S);

/// An entry of the model table: an alias, or a model reference a phase names
/// directly ("claude"), with what an inline/object reference overrides.
struct Model {
  std::string Name; ///< as phases name it
  ModelRef Ref;     ///< provider/model; {"auto", ""} for cost routing
  std::vector<std::string> Command; ///< object ref: replaces the registry's
  std::vector<std::string> Args;    ///< object ref: extra arguments
  std::optional<PromptVia> Via;
  std::optional<Price> Cost;
  std::optional<Tier> ModelTier;
  std::string ReadyPattern;
  EnvList Env;
  bool IsAlias = false; ///< defined in "models" (the team's own models)
  bool IsInline = false; ///< an object reference; Name is internal
  llvm::SMRange Loc;
};

/// A host workers can run on.
struct Machine {
  std::string Name;
  std::string Host;
  std::string User;
  unsigned Port = 0; ///< 0: ssh's default
  std::string Identity;
  std::string SshConfig;
  std::vector<std::string> Options;
  std::string Workdir;
  std::string Connectorc;
  llvm::SMRange Loc;
};

/// An MCP server offered to every session.
struct McpServer {
  std::string Name;
  std::string Command; ///< empty: a well-known server the CLI resolves
  std::vector<std::string> Args;
  EnvList Env;
};

/// Who is told when a session starts waiting for input, besides the
/// terminal: the spec's "notify" object.
struct NotifySpec {
  std::string Webhook; ///< http(s) URL; empty = none
  double TimeoutS = 0; ///< 0 = the runtime's default
};

/// Where and how an agent works: the spec's "session" object, merged from
/// defaults, phase and worker.
struct SessionSpec {
  std::string Worktree; ///< template; empty = no worktree
  std::string Base = "HEAD";
  std::string Repo;
  std::vector<std::string> Copy;
  std::vector<std::string> Setup;
  std::string Cwd;
  bool Sandbox = false;
  SandboxNet Network = SandboxNet::Provider;
  std::vector<std::string> Hosts;
  std::vector<std::string> Write, Read;
  EnvList Env;
  std::vector<std::string> EnvPass;
  llvm::SMRange WorktreeLoc, CwdLoc, RepoLoc, EnvLoc, EnvPassLoc;
  /// One range per entry of Write, Read and Copy, so that a bad entry gets
  /// the caret.
  std::vector<llvm::SMRange> WriteLocs, ReadLocs, CopyLocs;
};

/// A named model use with where it was named.
struct ModelUse {
  std::string Name; ///< key into Module::Models
  llvm::SMRange Loc;
};

/// One agent of a stage: a worker, a dialogue/meeting participant, a mesh
/// agent.
struct Agent {
  std::string Name;   ///< given, or the 1-based index
  ModelUse Model;
  std::vector<ModelUse> Failover;
  std::string Prompt; ///< template text (prompt_file already read)
  /// Where the prompt is: the JSON string, or the whole prompt_file (whose
  /// offsets are the template's offsets) when PromptFromFile.
  llvm::SMRange PromptLoc;
  bool PromptFromFile = false;
  std::vector<std::string> Machines; ///< ordered; empty = local
  SessionSpec Session;
  double TimeoutS = 0;
  unsigned Retries = 0;
  /// "interactive": the CLI in its full-screen interface.
  bool Interactive = false;
  llvm::SMRange InteractiveLoc;
  Tier WantTier = Tier::Any;
  std::optional<std::uint64_t> OutputTokens, InputTokens;
  llvm::SMRange Loc;
};

enum class StageKind { Workers, Dialogue, Meeting, Mesh, Team };
llvm::StringRef stageKindName(StageKind K);

struct Module;

/// One stage (phase) of a workflow.
struct Stage {
  std::string Name;
  StageKind Kind = StageKind::Workers;
  std::vector<unsigned> DependsOn; ///< stage indices
  std::vector<Agent> Agents;
  /// "workers": N with identical agents: Agents holds one and Count says how
  /// many (expanded by the expand-workers pass).
  unsigned Count = 1;
  bool Parallel = true;
  std::string Output; ///< path template, relative to the run directory
  llvm::SMRange OutputLoc;
  // dialogue
  unsigned Rounds = 0;
  std::string Until;
  // meeting
  std::vector<std::string> Agenda;
  std::string Chair;
  std::optional<Agent> ChairAgent; ///< the chair when not a participant
  // mesh: its own prompt, which each agent with a prompt of its own gets
  // first (kept as an agent for the positions of its template)
  std::optional<Agent> SharedPrompt;
  // mesh
  unsigned MaxMessages = 0;
  double StageTimeoutS = 0;
  // team
  std::shared_ptr<Module> Team;
  llvm::SMRange Loc;
};

/// One workflow.
struct Module {
  std::string Name;
  std::string Description;
  std::string Path;        ///< the spec file
  std::string ProjectRoot; ///< paths from the spec stay inside it
  std::vector<Model> Models;
  std::vector<Machine> Machines;
  std::vector<McpServer> Tools;
  NotifySpec Notify;
  std::string Cron; ///< empty: not scheduled
  std::string TimeZone;
  llvm::SMRange ScheduleLoc;
  std::optional<double> BudgetUsd;
  llvm::SMRange BudgetLoc;
  bool Scratchpad = false;
  bool Mailbox = false;
  std::vector<ModelUse> DefaultFailover; ///< defaults.failover
  std::vector<Stage> Stages;

  const Model *findModel(llvm::StringRef Name) const;
  /// What {model} says for model \p Name: the name the spec gave it, or for
  /// an inline object the reference it makes, never its internal name.
  std::string modelVar(llvm::StringRef Name) const;
  const Machine *findMachine(llvm::StringRef Name) const;
};

/// Parses a duration such as "30m", "1h30m", "1.5h", "90s", "250ms" into
/// seconds; std::nullopt when it is not one.
std::optional<double> parseDuration(llvm::StringRef S);
/// "$1.25"; amounts under a cent keep four decimals ("$0.0030") so that a
/// small cost never reads as $0.00.
std::string formatUsd(double Usd);
/// The git repository \p Dir is in, found as git finds it: the nearest of
/// \p Dir and its parents that has a ".git", not going up into a directory
/// GIT_CEILING_DIRECTORIES lists. std::nullopt when none has.
std::optional<std::string> enclosingGitRepo(llvm::StringRef Dir);
/// Formats seconds the way a spec writes them ("1h30m", "45s").
std::string formatDuration(double Seconds);

} // namespace connectorc::ir

#endif
