//===- PlanJson.cpp - plans to and from JSON ------------------------------===//
//
// Written with RapidJSON's PrettyWriter: its shortest round-trip doubles
// (Grisu) make "write, read, write" byte-identical, and it streams a 100,000
// task plan without building a DOM. Read with a RapidJSON Document.
//
//===----------------------------------------------------------------------===//
#include "ir/PlanJson.h"

#include "ir/Fmt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

using namespace connectorc;
using namespace connectorc::ir;

bool ir::isSecretName(llvm::StringRef Name) {
  std::string Upper = Name.upper();
  llvm::StringRef U(Upper);
  return U.contains("KEY") || U.contains("TOKEN") || U.contains("SECRET") ||
         U.contains("PASSWORD") || U.contains("PASSWD") ||
         U.contains("CREDENTIAL");
}

namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

class PlanWriter {
public:
  explicit PlanWriter(Writer &W) : W(W) {}
  void plan(const Plan &P);

private:
  void key(llvm::StringRef K) {
    W.Key(K.data(), static_cast<rapidjson::SizeType>(K.size()));
  }
  void str(llvm::StringRef S) {
    W.String(S.data(), static_cast<rapidjson::SizeType>(S.size()));
  }
  void field(llvm::StringRef K, llvm::StringRef V) {
    key(K);
    str(V);
  }
  void optField(llvm::StringRef K, llvm::StringRef V) {
    if (!V.empty())
      field(K, V);
  }
  void field(llvm::StringRef K, std::uint64_t V) {
    key(K);
    W.Uint64(V);
  }
  void field(llvm::StringRef K, double V) {
    key(K);
    W.Double(V);
  }
  // Not an overload of field(): a string literal would convert to bool.
  void flag(llvm::StringRef K, bool V) {
    key(K);
    W.Bool(V);
  }
  template <typename Range> void strings(llvm::StringRef K, const Range &R) {
    key(K);
    W.StartArray();
    for (const auto &S : R)
      str(S);
    W.EndArray();
  }
  template <typename Range> void indices(llvm::StringRef K, const Range &R) {
    key(K);
    W.StartArray();
    for (unsigned I : R)
      W.Uint(I);
    W.EndArray();
  }
  void env(llvm::StringRef K, const EnvList &E) {
    if (E.empty())
      return;
    key(K);
    W.StartObject();
    for (const auto &[Name, Value] : E) {
      // A reference ("${OTHER}") holds no secret: it stays as it is.
      llvm::StringRef V = Value;
      bool Reference = V.startswith("${") && V.endswith("}");
      field(Name, isSecretName(Name) && !Reference ? "${" + Name + "}" : Value);
    }
    W.EndObject();
  }
  /// Name/value pairs that are not secrets (pointers, tuning variables).
  void pairs(llvm::StringRef K, const EnvList &E) {
    if (E.empty())
      return;
    key(K);
    W.StartObject();
    for (const auto &[Name, Value] : E)
      field(Name, Value);
    W.EndObject();
  }
  void machine(const Machine &M);
  void binding(const ModelBinding &B);
  void stage(const PlanStage &S);
  void task(const Task &T);

  Writer &W;
};

} // namespace

void PlanWriter::machine(const Machine &M) {
  W.StartObject();
  field("name", M.Name);
  field("host", M.Host);
  optField("user", M.User);
  if (M.Port)
    field("port", std::uint64_t(M.Port));
  optField("identity", M.Identity);
  optField("ssh_config", M.SshConfig);
  if (!M.Options.empty())
    strings("options", M.Options);
  optField("workdir", M.Workdir);
  optField("connectorc", M.Connectorc);
  W.EndObject();
}

void PlanWriter::binding(const ModelBinding &B) {
  W.StartObject();
  field("id", B.Id);
  field("provider", B.Provider);
  field("model", B.Model);
  strings("argv", B.Argv);
  field("prompt_via", promptViaName(B.Via));
  optField("ready_pattern", B.ReadyPattern);
  optField("idle_pattern", B.IdlePattern);
  optField("answer_json_field", B.AnswerJsonField);
  pairs("answer_json_where", B.AnswerJsonWhere);
  if (!B.Usage.empty()) {
    key("usage");
    W.StartObject();
    optField("input_tokens", B.Usage.InputTokens);
    optField("output_tokens", B.Usage.OutputTokens);
    optField("cost_usd", B.Usage.CostUsd);
    optField("session_id", B.Usage.SessionId);
    W.EndObject();
  }
  pairs("set_env", B.SetEnv);
  key("failures");
  W.StartArray();
  for (const FailurePattern &F : B.Failures) {
    W.StartObject();
    field("kind", F.Kind);
    optField("pattern", F.Pattern);
    if (!F.ExitCodes.empty()) {
      key("exit_codes");
      W.StartArray();
      for (int C : F.ExitCodes)
        W.Int(C);
      W.EndArray();
    }
    if (F.WhileRunning)
      flag("while_running", true);
    W.EndObject();
  }
  W.EndArray();
  field("input_per_mtok", B.Cost.InputPerMTok);
  field("output_per_mtok", B.Cost.OutputPerMTok);
  if (!B.Priced)
    flag("priced", false);
  field("tier", tierName(B.ModelTier));
  field("default_output_tokens", B.DefaultOutputTokens);
  if (!B.EnvKeys.empty())
    strings("env_keys", B.EnvKeys);
  if (!B.SandboxState.empty())
    strings("sandbox_state", B.SandboxState);
  if (!B.SessionArgs.empty())
    strings("session_args", B.SessionArgs);
  if (!B.ResumeArgs.empty())
    strings("resume_args", B.ResumeArgs);
  if (!B.SandboxEnv.empty())
    strings("sandbox_env", B.SandboxEnv);
  if (!B.Endpoints.empty())
    strings("endpoints", B.Endpoints);
  env("env", B.Env);
  if (B.Simulated)
    flag("simulated", true);
  // Only the binding an interactive task uses needs its interactive mode.
  if (B.InteractiveActive && B.Interactive) {
    const InteractiveMode &I = *B.Interactive;
    key("interactive");
    W.StartObject();
    strings("args", I.Args);
    if (!I.ResumeArgs.empty())
      strings("resume_args", I.ResumeArgs);
    optField("ready_pattern", I.ReadyPattern);
    key("screens");
    W.StartArray();
    for (const FirstRunScreen &S : I.Screens) {
      W.StartObject();
      optField("name", S.Name);
      field("pattern", S.Pattern);
      field("keys", S.Keys);
      optField("when", S.When);
      W.EndObject();
    }
    W.EndArray();
    optField("transcript", I.Transcript);
    pairs("turn_start", I.TurnStart);
    pairs("turn_end", I.TurnEnd);
    pairs("answer_where", I.AnswerWhere);
    optField("answer_pointer", I.AnswerPointer);
    optField("record_time", I.RecordTime);
    W.EndObject();
  }
  W.EndObject();
}

void PlanWriter::stage(const PlanStage &S) {
  W.StartObject();
  field("name", S.Name);
  field("kind", stageKindName(S.Kind));
  indices("depends_on", S.DependsOn);
  optField("output", S.Output);
  indices("tasks", S.Tasks);
  field("cost_usd", S.CostUsd);
  if (S.MaxMessages)
    field("max_messages", std::uint64_t(S.MaxMessages));
  if (S.TimeoutS > 0)
    field("timeout_s", S.TimeoutS);
  if (!S.Agenda.empty())
    strings("agenda", S.Agenda);
  W.EndObject();
}

void PlanWriter::task(const Task &T) {
  W.StartObject();
  field("id", T.Id);
  field("stage", std::uint64_t(T.Stage));
  field("worker", std::uint64_t(T.Worker));
  field("name", T.WorkerName);
  field("role", T.Role);
  field("model", T.ModelName);
  if (!T.FailoverNames.empty())
    strings("failover", T.FailoverNames);
  indices("candidates", T.Candidates);
  strings("machines", T.Machines);
  indices("deps", T.Deps);
  field("output", T.Output);
  field("timeout_s", T.TimeoutS);
  field("retries", std::uint64_t(T.Retries));
  if (T.WantTier != Tier::Any)
    field("tier", tierName(T.WantTier));
  field("input_tokens", T.InputTokens);
  field("output_tokens", T.OutputTokens);
  field("cost_usd", T.CostUsd);
  optField("until", T.Until);
  optField("speaker", T.Speaker);
  if (T.Round)
    field("round", std::uint64_t(T.Round));
  if (T.Mailbox)
    flag("mailbox", true);
  if (T.Interactive)
    flag("interactive", true);
  const TaskSession &S = T.Session;
  if (!S.Worktree.empty() || S.Sandbox.Enabled || !S.Cwd.empty() ||
      !S.Setup.empty() || !S.Copy.empty() || !S.Repo.empty() ||
      !S.Env.empty() || !S.EnvPass.empty()) {
    key("session");
    W.StartObject();
    if (!S.Worktree.empty()) {
      field("worktree", S.Worktree);
      field("branch", S.Branch);
      field("base", S.Base);
    }
    optField("repo", S.Repo);
    if (!S.Copy.empty())
      strings("copy", S.Copy);
    if (!S.Setup.empty())
      strings("setup", S.Setup);
    optField("cwd", S.Cwd);
    if (S.Sandbox.Enabled) {
      key("sandbox");
      W.StartObject();
      field("network", sandboxNetName(S.Sandbox.Network));
      if (!S.Sandbox.Hosts.empty())
        strings("hosts", S.Sandbox.Hosts);
      strings("write", S.Sandbox.Write);
      if (!S.Sandbox.Read.empty())
        strings("read", S.Sandbox.Read);
      W.EndObject();
    }
    if (!S.Env.empty())
      env("env", S.Env);
    if (!S.EnvPass.empty())
      strings("env_pass", S.EnvPass);
    W.EndObject();
  }
  optField("origin", T.Origin);
  field("prompt", T.Prompt);
  W.EndObject();
}

void PlanWriter::plan(const Plan &P) {
  W.StartObject();
  field("plan", llvm::StringRef(Plan::FormatVersion));
  field("workflow", P.Workflow);
  optField("description", P.Description);
  field("source", P.Source);
  field("project_root", P.ProjectRoot);
  flag("scratchpad", P.Scratchpad);
  flag("mailbox", P.Mailbox);
  if (!P.Cron.empty()) {
    key("schedule");
    W.StartObject();
    field("cron", P.Cron);
    optField("timezone", P.TimeZone);
    W.EndObject();
  }
  key("cost");
  W.StartObject();
  field("estimate_usd", P.Cost.EstimateUsd);
  field("costliest_model", P.Cost.CostliestModel);
  field("costliest_usd", P.Cost.CostliestUsd);
  if (P.Cost.BudgetUsd)
    field("budget_usd", *P.Cost.BudgetUsd);
  W.EndObject();
  key("machines");
  W.StartArray();
  for (const Machine &M : P.Machines)
    machine(M);
  W.EndArray();
  key("tools");
  W.StartArray();
  for (const McpServer &T : P.Tools) {
    W.StartObject();
    field("name", T.Name);
    optField("command", T.Command);
    if (!T.Args.empty())
      strings("args", T.Args);
    env("env", T.Env);
    W.EndObject();
  }
  W.EndArray();
  if (!P.Notify.Webhook.empty()) {
    key("notify");
    W.StartObject();
    field("webhook", P.Notify.Webhook);
    if (P.Notify.TimeoutS > 0)
      field("timeout_s", P.Notify.TimeoutS);
    W.EndObject();
  }
  key("bindings");
  W.StartArray();
  for (const ModelBinding &B : P.Bindings)
    binding(B);
  W.EndArray();
  key("stages");
  W.StartArray();
  for (const PlanStage &S : P.Stages)
    stage(S);
  W.EndArray();
  key("tasks");
  W.StartArray();
  for (const Task &T : P.Tasks)
    task(T);
  W.EndArray();
  W.EndObject();
}

void ir::writePlanJson(llvm::raw_ostream &OS, const Plan &P) {
  rapidjson::StringBuffer Buf;
  Writer W(Buf);
  W.SetIndent(' ', 2);
  PlanWriter(W).plan(P);
  OS << llvm::StringRef(Buf.GetString(), Buf.GetSize()) << '\n';
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {

using rapidjson::Value;

/// Reads fields with a path for error messages ("tasks[3].stage"). The first
/// error is kept; reads after it return defaults.
class PlanReader {
public:
  explicit PlanReader(llvm::StringRef Name) : Name(Name) {}
  void plan(const Value &Root, Plan &P);
  llvm::Error takeError() {
    if (Error.empty())
      return llvm::Error::success();
    return llvm::createStringError(llvm::inconvertibleErrorCode(), "%s",
                                   Error.c_str());
  }

private:
  void fail(llvm::StringRef Where, llvm::StringRef What) {
    if (Error.empty())
      Error = fmt::format("{}: {}: {}", Name, Where, What);
  }
  const Value *get(const Value &O, const char *K, llvm::StringRef Where,
                   bool Required) {
    if (!O.IsObject()) {
      fail(Where, "expected an object");
      return nullptr;
    }
    auto It = O.FindMember(K);
    if (It == O.MemberEnd()) {
      if (Required)
        fail(Where, fmt::format("missing \"{}\"", K));
      return nullptr;
    }
    return &It->value;
  }
  std::string str(const Value &O, const char *K, llvm::StringRef Where,
                  bool Required = false) {
    const Value *V = get(O, K, Where, Required);
    if (!V)
      return "";
    if (!V->IsString()) {
      fail(fmt::format("{}.{}", Where, K), "expected a string");
      return "";
    }
    return std::string(V->GetString(), V->GetStringLength());
  }
  std::uint64_t uint(const Value &O, const char *K, llvm::StringRef Where,
                     bool Required = false, std::uint64_t Default = 0) {
    const Value *V = get(O, K, Where, Required);
    if (!V)
      return Default;
    if (!V->IsUint64()) {
      fail(fmt::format("{}.{}", Where, K), "expected a non-negative integer");
      return Default;
    }
    return V->GetUint64();
  }
  /// As uint, for a field held in an unsigned: a larger value is an error
  /// (it was cut to its low 32 bits, so "stage": 4294967296 read as 0).
  unsigned uint32(const Value &O, const char *K, llvm::StringRef Where,
                  bool Required = false) {
    std::uint64_t N = uint(O, K, Where, Required);
    if (N <= std::numeric_limits<unsigned>::max())
      return static_cast<unsigned>(N);
    fail(fmt::format("{}.{}", Where, K),
         fmt::format("{} is out of range (at most {})", N,
                     std::numeric_limits<unsigned>::max()));
    return 0;
  }
  double num(const Value &O, const char *K, llvm::StringRef Where) {
    const Value *V = get(O, K, Where, false);
    if (!V)
      return 0;
    if (!V->IsNumber()) {
      fail(fmt::format("{}.{}", Where, K), "expected a number");
      return 0;
    }
    return V->GetDouble();
  }
  bool boolean(const Value &O, const char *K, llvm::StringRef Where) {
    const Value *V = get(O, K, Where, false);
    if (V && !V->IsBool())
      fail(fmt::format("{}.{}", Where, K), "expected true or false");
    return V && V->IsBool() && V->GetBool();
  }
  /// Calls \p Each(element, "where[i]") for an array member.
  template <typename Fn>
  void array(const Value &O, const char *K, llvm::StringRef Where, Fn Each,
             bool Required = false) {
    const Value *V = get(O, K, Where, Required);
    if (!V)
      return;
    std::string Path = Where.empty() ? std::string(K) : fmt::format("{}.{}", Where, K);
    if (!V->IsArray()) {
      fail(Path, "expected an array");
      return;
    }
    unsigned I = 0;
    for (const Value &E : V->GetArray())
      Each(E, fmt::format("{}[{}]", Path, I++));
  }
  std::vector<std::string> strings(const Value &O, const char *K,
                                   llvm::StringRef Where) {
    std::vector<std::string> Out;
    array(O, K, Where, [&](const Value &E, const std::string &At) {
      if (E.IsString())
        Out.emplace_back(E.GetString(), E.GetStringLength());
      else
        fail(At, "expected a string");
    });
    return Out;
  }
  template <typename Vec>
  void indices(const Value &O, const char *K, llvm::StringRef Where, Vec &Out) {
    array(O, K, Where, [&](const Value &E, const std::string &At) {
      if (E.IsUint())
        Out.push_back(E.GetUint());
      else
        fail(At, "expected an index");
    });
  }
  EnvList env(const Value &O, const char *K, llvm::StringRef Where) {
    EnvList Out;
    const Value *V = get(O, K, Where, false);
    if (!V)
      return Out;
    if (!V->IsObject()) {
      fail(fmt::format("{}.{}", Where, K), "expected an object");
      return Out;
    }
    for (auto &M : V->GetObject())
      Out.emplace_back(M.name.GetString(),
                       M.value.IsString() ? M.value.GetString() : "");
    return Out;
  }
  template <typename E, typename Parse>
  E enumField(const Value &O, const char *K, llvm::StringRef Where, E Default,
              Parse P, bool Required = false) {
    std::string S = str(O, K, Where, Required);
    if (S.empty())
      return Default;
    if (auto V = P(S))
      return *V;
    fail(fmt::format("{}.{}", Where, K), fmt::format("unknown value '{}'", S));
    return Default;
  }
  void binding(const Value &V, const std::string &At, ModelBinding &B);
  void stage(const Value &V, const std::string &At, PlanStage &S);
  void task(const Value &V, const std::string &At, Task &T);

  std::string Name;
  std::string Error;
};

std::optional<StageKind> parseStageKind(llvm::StringRef S) {
  for (StageKind K : {StageKind::Workers, StageKind::Dialogue,
                      StageKind::Meeting, StageKind::Mesh, StageKind::Team})
    if (stageKindName(K) == S)
      return K;
  return std::nullopt;
}

} // namespace

void PlanReader::binding(const Value &V, const std::string &At,
                         ModelBinding &B) {
  B.Id = str(V, "id", At, true);
  B.Provider = str(V, "provider", At, true);
  B.Model = str(V, "model", At);
  B.Argv = strings(V, "argv", At);
  if (B.Argv.empty())
    fail(At + ".argv", "expected a non-empty array");
  B.Via = enumField(V, "prompt_via", At, PromptVia::Arg, parsePromptVia);
  B.ReadyPattern = str(V, "ready_pattern", At);
  B.IdlePattern = str(V, "idle_pattern", At);
  B.AnswerJsonField = str(V, "answer_json_field", At);
  B.AnswerJsonWhere = env(V, "answer_json_where", At);
  if (const Value *U = get(V, "usage", At, false)) {
    std::string UAt = At + ".usage";
    B.Usage.InputTokens = str(*U, "input_tokens", UAt);
    B.Usage.OutputTokens = str(*U, "output_tokens", UAt);
    B.Usage.CostUsd = str(*U, "cost_usd", UAt);
    B.Usage.SessionId = str(*U, "session_id", UAt);
  }
  B.SetEnv = env(V, "set_env", At);
  array(V, "failures", At, [&](const Value &F, const std::string &FAt) {
    FailurePattern FP;
    FP.Kind = str(F, "kind", FAt, true);
    FP.Pattern = str(F, "pattern", FAt);
    array(F, "exit_codes", FAt, [&](const Value &C, const std::string &CAt) {
      if (C.IsInt())
        FP.ExitCodes.push_back(C.GetInt());
      else
        fail(CAt, "expected an integer");
    });
    FP.WhileRunning = boolean(F, "while_running", FAt);
    B.Failures.push_back(std::move(FP));
  });
  B.Cost.InputPerMTok = num(V, "input_per_mtok", At);
  B.Cost.OutputPerMTok = num(V, "output_per_mtok", At);
  B.Priced = !get(V, "priced", At, false) || boolean(V, "priced", At);
  B.ModelTier = enumField(V, "tier", At, Tier::Balanced, parseTier);
  B.DefaultOutputTokens = uint(V, "default_output_tokens", At, false, 2000);
  B.EnvKeys = strings(V, "env_keys", At);
  B.SandboxState = strings(V, "sandbox_state", At);
  B.SessionArgs = strings(V, "session_args", At);
  B.ResumeArgs = strings(V, "resume_args", At);
  B.SandboxEnv = strings(V, "sandbox_env", At);
  B.Endpoints = strings(V, "endpoints", At);
  B.Env = env(V, "env", At);
  B.Simulated = boolean(V, "simulated", At);
  if (const Value *I = get(V, "interactive", At, false)) {
    std::string IAt = At + ".interactive";
    InteractiveMode M;
    M.Args = strings(*I, "args", IAt);
    M.ResumeArgs = strings(*I, "resume_args", IAt);
    M.ReadyPattern = str(*I, "ready_pattern", IAt);
    array(*I, "screens", IAt, [&](const Value &S, const std::string &SAt) {
      M.Screens.push_back({str(S, "name", SAt), str(S, "pattern", SAt, true),
                           str(S, "keys", SAt, true), str(S, "when", SAt)});
    });
    M.Transcript = str(*I, "transcript", IAt);
    M.TurnStart = env(*I, "turn_start", IAt);
    M.TurnEnd = env(*I, "turn_end", IAt);
    M.AnswerWhere = env(*I, "answer_where", IAt);
    M.AnswerPointer = str(*I, "answer_pointer", IAt);
    M.RecordTime = str(*I, "record_time", IAt);
    B.Interactive = std::move(M);
    B.InteractiveActive = true;
  }
}

void PlanReader::stage(const Value &V, const std::string &At, PlanStage &S) {
  S.Name = str(V, "name", At, true);
  S.Kind = enumField(V, "kind", At, StageKind::Workers, parseStageKind, true);
  indices(V, "depends_on", At, S.DependsOn);
  S.Output = str(V, "output", At);
  indices(V, "tasks", At, S.Tasks);
  S.CostUsd = num(V, "cost_usd", At);
  S.MaxMessages = uint32(V, "max_messages", At);
  S.TimeoutS = num(V, "timeout_s", At);
  S.Agenda = strings(V, "agenda", At);
}

void PlanReader::task(const Value &V, const std::string &At, Task &T) {
  T.Id = str(V, "id", At, true);
  T.Stage = uint32(V, "stage", At, true);
  T.Worker = uint32(V, "worker", At, true);
  T.WorkerName = str(V, "name", At, true);
  T.Role = str(V, "role", At);
  if (T.Role.empty())
    T.Role = "worker";
  T.ModelName = str(V, "model", At);
  T.FailoverNames = strings(V, "failover", At);
  indices(V, "candidates", At, T.Candidates);
  T.Machines = strings(V, "machines", At);
  indices(V, "deps", At, T.Deps);
  T.Output = str(V, "output", At, true);
  T.TimeoutS = num(V, "timeout_s", At);
  T.Retries = uint32(V, "retries", At);
  T.WantTier = enumField(V, "tier", At, Tier::Any, parseTier);
  T.InputTokens = uint(V, "input_tokens", At);
  T.OutputTokens = uint(V, "output_tokens", At);
  T.CostUsd = num(V, "cost_usd", At);
  T.Until = str(V, "until", At);
  T.Speaker = str(V, "speaker", At);
  T.Round = uint32(V, "round", At);
  T.Mailbox = boolean(V, "mailbox", At);
  T.Interactive = boolean(V, "interactive", At);
  if (const Value *S = get(V, "session", At, false)) {
    std::string SAt = At + ".session";
    TaskSession &TS = T.Session;
    TS.Worktree = str(*S, "worktree", SAt);
    TS.Branch = str(*S, "branch", SAt);
    TS.Base = str(*S, "base", SAt);
    if (TS.Base.empty())
      TS.Base = "HEAD";
    TS.Repo = str(*S, "repo", SAt);
    TS.Copy = strings(*S, "copy", SAt);
    TS.Setup = strings(*S, "setup", SAt);
    TS.Cwd = str(*S, "cwd", SAt);
    if (const Value *Sb = get(*S, "sandbox", SAt, false)) {
      std::string SbAt = SAt + ".sandbox";
      TS.Sandbox.Enabled = true;
      TS.Sandbox.Network = enumField(*Sb, "network", SbAt, SandboxNet::Provider,
                                     parseSandboxNet, true);
      TS.Sandbox.Hosts = strings(*Sb, "hosts", SbAt);
      TS.Sandbox.Write = strings(*Sb, "write", SbAt);
      TS.Sandbox.Read = strings(*Sb, "read", SbAt);
    }
    TS.Env = env(*S, "env", SAt);
    TS.EnvPass = strings(*S, "env_pass", SAt);
  }
  T.Origin = str(V, "origin", At);
  T.Prompt = str(V, "prompt", At, true);
}

void PlanReader::plan(const Value &Root, Plan &P) {
  if (!Root.IsObject()) {
    fail("the top", "a plan is a JSON object");
    return;
  }
  std::string Version = str(Root, "plan", "the top", true);
  if (!Error.empty())
    return;
  if (Version != Plan::FormatVersion) {
    fail("plan", fmt::format("format version '{}' is not supported (this "
                             "connectorc reads version {})",
                             Version, Plan::FormatVersion));
    return;
  }
  llvm::StringRef Top = "the top";
  P.Workflow = str(Root, "workflow", Top, true);
  P.Description = str(Root, "description", Top);
  P.Source = str(Root, "source", Top);
  P.ProjectRoot = str(Root, "project_root", Top);
  P.Scratchpad = boolean(Root, "scratchpad", Top);
  P.Mailbox = boolean(Root, "mailbox", Top);
  if (const Value *S = get(Root, "schedule", Top, false)) {
    P.Cron = str(*S, "cron", "schedule", true);
    P.TimeZone = str(*S, "timezone", "schedule");
  }
  if (const Value *C = get(Root, "cost", Top, false)) {
    P.Cost.EstimateUsd = num(*C, "estimate_usd", "cost");
    P.Cost.CostliestModel = str(*C, "costliest_model", "cost");
    P.Cost.CostliestUsd = num(*C, "costliest_usd", "cost");
    if (get(*C, "budget_usd", "cost", false))
      P.Cost.BudgetUsd = num(*C, "budget_usd", "cost");
  }
  array(Root, "machines", "", [&](const Value &V, const std::string &At) {
    Machine M;
    M.Name = str(V, "name", At, true);
    M.Host = str(V, "host", At);
    M.User = str(V, "user", At);
    M.Port = uint32(V, "port", At);
    M.Identity = str(V, "identity", At);
    M.SshConfig = str(V, "ssh_config", At);
    M.Options = strings(V, "options", At);
    M.Workdir = str(V, "workdir", At);
    M.Connectorc = str(V, "connectorc", At);
    P.Machines.push_back(std::move(M));
  });
  array(Root, "tools", "", [&](const Value &V, const std::string &At) {
    P.Tools.push_back({str(V, "name", At, true), str(V, "command", At),
                       strings(V, "args", At), env(V, "env", At)});
  });
  if (const Value *N = get(Root, "notify", Top, false)) {
    P.Notify.Webhook = str(*N, "webhook", "notify", true);
    if (get(*N, "timeout_s", "notify", false))
      P.Notify.TimeoutS = num(*N, "timeout_s", "notify");
  }
  array(
      Root, "bindings", "",
      [&](const Value &V, const std::string &At) {
        binding(V, At, P.Bindings.emplace_back());
      },
      true);
  array(
      Root, "stages", "",
      [&](const Value &V, const std::string &At) {
        stage(V, At, P.Stages.emplace_back());
      },
      true);
  const Value *Tasks = get(Root, "tasks", Top, true);
  if (Tasks && Tasks->IsArray())
    P.Tasks.reserve(Tasks->Size());
  array(
      Root, "tasks", "",
      [&](const Value &V, const std::string &At) {
        task(V, At, P.Tasks.emplace_back());
      },
      true);
}

namespace {
/// Builds a Document from a parse that hands numbers over as text, and
/// converts them itself: RapidJSON 1.1's full-precision conversion normalises
/// a zero significand with clz(0), so "0e200" read as 7.8e56 and "0.000e300"
/// as -8.6e-283 (found by fuzzing the plan loader), and its normal precision
/// is not correctly rounded, which the byte-identical round trip needs.
/// strtod is correctly rounded (glibc; connectorc sets no locale).
class ExactNumbers {
public:
  explicit ExactNumbers(rapidjson::Document &D) : D(D) {}
  bool Null() { return D.Null(); }
  bool Bool(bool B) { return D.Bool(B); }
  bool Int(int I) { return D.Int(I); }
  bool Uint(unsigned U) { return D.Uint(U); }
  bool Int64(std::int64_t I) { return D.Int64(I); }
  bool Uint64(std::uint64_t U) { return D.Uint64(U); }
  bool Double(double X) { return D.Double(X); }
  bool String(const char *S, rapidjson::SizeType N, bool Copy) {
    return D.String(S, N, Copy);
  }
  bool Key(const char *S, rapidjson::SizeType N, bool Copy) {
    return D.Key(S, N, Copy);
  }
  bool StartObject() { return D.StartObject(); }
  bool EndObject(rapidjson::SizeType N) { return D.EndObject(N); }
  bool StartArray() { return D.StartArray(); }
  bool EndArray(rapidjson::SizeType N) { return D.EndArray(N); }
  /// An integer as RapidJSON types it (int64 or uint64 when it fits), any
  /// other number as a double; one too big for a double stops the parse.
  bool RawNumber(const char *S, rapidjson::SizeType N, bool) {
    llvm::StringRef Text(S, N);
    if (Text.find_first_of(".eE") == llvm::StringRef::npos) {
      std::uint64_t U;
      std::int64_t I;
      if (!Text.startswith("-") && !Text.getAsInteger(10, U))
        return D.Uint64(U);
      if (Text.startswith("-") && !Text.getAsInteger(10, I))
        return D.Int64(I);
    }
    std::string Copy = Text.str();
    errno = 0;
    double X = std::strtod(Copy.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(X)) {
      TooBig = Copy;
      return false;
    }
    return D.Double(X);
  }
  std::string TooBig; ///< the number that stopped the parse, if one did

private:
  rapidjson::Document &D;
};
} // namespace

llvm::Expected<Plan> ir::readPlanJson(llvm::StringRef Text,
                                      llvm::StringRef Name) {
  rapidjson::Document Doc;
  rapidjson::ParseResult Result;
  std::string TooBig;
  auto Parse = [&](rapidjson::Document &D) {
    rapidjson::MemoryStream Bytes(Text.data(), Text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>
        In(Bytes);
    ExactNumbers Numbers(D);
    Result = rapidjson::Reader()
                 .Parse<rapidjson::kParseIterativeFlag |
                        rapidjson::kParseValidateEncodingFlag |
                        rapidjson::kParseNumbersAsStringsFlag>(In, Numbers);
    TooBig = Numbers.TooBig;
    return !Result.IsError();
  };
  Doc.Populate(Parse);
  if (Result.IsError())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(), "%s: invalid JSON at byte %zu: %s",
        Name.str().c_str(), Result.Offset(),
        TooBig.empty()
            ? rapidjson::GetParseError_En(Result.Code())
            : ("Number too big to be stored in double: " + TooBig).c_str());
  Plan P;
  PlanReader R(Name);
  R.plan(Doc, P);
  if (llvm::Error E = R.takeError())
    return E;
  if (std::string Problem = verifyPlan(P); !Problem.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s: not a valid plan: %s",
                                   Name.str().c_str(), Problem.c_str());
  return P;
}
