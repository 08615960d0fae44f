//===- Request.cpp - what one attempt of a task starts --------------------===//
//
// The argv, environment, prompt and files of an attempt: placeholders
// replaced, CONNECTOR_* variables set, the answers of what the task depends
// on listed.
//
//===----------------------------------------------------------------------===//
#include "ir/Mcp.h"
#include "ir/Template.h"
#include "runtime/executor/Executor.h"
#include "runtime/sandbox/NetForwarder.h"
#include "runtime/sandbox/Sandbox.h"
#include "runtime/run/Summary.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

using namespace connectorc;
using namespace connectorc::runtime;

namespace {
void replaceAll(std::string &S, llvm::StringRef From, llvm::StringRef To) {
  for (size_t At = S.find(From); At != std::string::npos;
       At = S.find(From, At + To.size()))
    S.replace(At, From.size(), To.str());
}

/// The value of \p Name in \p Env ("NAME=value" entries), if there.
std::optional<std::string> lookup(const std::vector<std::string> &Env,
                                  llvm::StringRef Name) {
  for (const std::string &E : Env)
    if (llvm::StringRef(E).startswith(Name) && E.size() > Name.size() &&
        E[Name.size()] == '=')
      return E.substr(Name.size() + 1);
  return std::nullopt;
}

/// "${NAME}": a value the plan does not hold, NAME's in connectorc's
/// environment when the agent starts.
std::optional<llvm::StringRef> reference(llvm::StringRef Value) {
  if (Value.size() > 3 && Value.startswith("${") && Value.endswith("}"))
    return Value.drop_front(2).drop_back();
  return std::nullopt;
}

/// The names of connectorc's environment a sandboxed agent of \p B gets
/// (docs/run.md, "Sandbox"), besides LC_* and CONNECTOR_*: a baseline, its
/// provider's variables, the spec's; with the whole network, the proxy
/// settings too.
std::vector<std::string> sandboxPassNames(const ir::ModelBinding &B,
                                          const ir::TaskSession &S) {
  std::vector<std::string> Names = {
      "PATH", "HOME",   "TERM",     "COLORTERM", "LANG",     "LANGUAGE",
      "TZ",   "USER",   "LOGNAME",  "SHELL",     "NO_COLOR", "LC_ALL",
      "LC_CTYPE", "LC_MESSAGES"};
  llvm::append_range(Names, B.EnvKeys);
  llvm::append_range(Names, B.SandboxEnv);
  llvm::append_range(Names, S.EnvPass);
  if (S.Sandbox.Network == ir::SandboxNet::Full)
    Names.insert(Names.end(),
                 {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
                  "http_proxy", "https_proxy", "no_proxy", "all_proxy"});
  for (const ir::EnvList *L : {&B.Env, &S.Env})
    for (const auto &KV : *L)
      if (std::optional<llvm::StringRef> From = reference(KV.second))
        Names.push_back(From->str());
  return Names;
}

/// Where a sandboxed agent finds the egress proxy's socket: bound there from
/// the runtime's private directory (Executor::egressSocket), in its private
/// /tmp.
constexpr const char *InsideEgressSocket = "/tmp/.connectorc-egress.sock";

/// The base URLs in a Codex home's config.toml (`base_url = "..."` of its
/// model providers): Codex takes its endpoint from there, not from the
/// environment.
std::vector<std::string> codexBaseUrls(llvm::StringRef CodexHome) {
  std::vector<std::string> Urls;
  auto Buf = llvm::MemoryBuffer::getFile(CodexHome + "/config.toml");
  if (!Buf)
    return Urls;
  llvm::Regex Line("^[ \t]*base_url[ \t]*=[ \t]*\"([^\"]*)\"");
  llvm::SmallVector<llvm::StringRef, 64> Lines;
  (*Buf)->getBuffer().split(Lines, '\n');
  for (llvm::StringRef L : Lines) {
    llvm::SmallVector<llvm::StringRef, 2> M;
    if (Line.match(L, &M))
      Urls.push_back(M[1].str());
  }
  return Urls;
}

/// The prompt with the runtime's variables: {run}, {scratchpad}, {{, }}.
std::string expandPrompt(llvm::StringRef Prompt, llvm::StringRef RunDir) {
  std::string Out;
  for (const PromptPiece &P : splitPrompt(Prompt))
    switch (P.Kind) {
    case PromptPieceKind::Literal:
      Out += P.Text;
      break;
    case PromptPieceKind::RunDir:
      Out += RunDir;
      break;
    case PromptPieceKind::Scratchpad:
      Out += (RunDir + "/scratchpad").str();
      break;
    }
  return Out;
}
} // namespace

/// A random (version 4) UUID: the conversation id an interactive CLI is
/// given, which names its transcript.
static std::string randomUuid() {
  unsigned char B[16] = {};
  size_t Got = 0;
  while (Got < sizeof B) {
    ssize_t N = ::getrandom(B + Got, sizeof B - Got, 0);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      break; // the kernel always has entropy for 16 bytes; never here
    Got += static_cast<size_t>(N);
  }
  B[6] = (B[6] & 0x0f) | 0x40;
  B[8] = (B[8] & 0x3f) | 0x80;
  std::string Hex = llvm::toHex(llvm::ArrayRef<uint8_t>(B, sizeof B),
                                /*LowerCase=*/true);
  return fmt::format("{}-{}-{}-{}-{}", Hex.substr(0, 8), Hex.substr(8, 4),
                     Hex.substr(12, 4), Hex.substr(16, 4), Hex.substr(20));
}

/// \p Dir with every character but [A-Za-z0-9] as '-': how Claude Code names
/// a working directory's folder of transcripts ("{cwd_slug}").
static std::string cwdSlug(llvm::StringRef Dir) {
  std::string S = Dir.str();
  for (char &C : S)
    if (!llvm::isAlnum(C))
      C = '-';
  return S;
}

/// The interactive part of \p R for binding \p B: the conversation id, the
/// transcript's path, "{session}" and "{transcript}" in argv, and the
/// first-run screens connectorc may pass here (their "when" holds).
static void makeInteractive(LaunchRequest &R, const ir::ModelBinding &B,
                            bool InWorktree, llvm::StringRef Home,
                            llvm::StringRef Resumed) {
  ir::InteractiveMode M = *B.Interactive;
  R.ConversationId = Resumed.empty() ? randomUuid() : Resumed.str();
  auto GetEnv = [&R](llvm::StringRef Name) -> std::optional<std::string> {
    std::optional<std::string> V = lookup(R.Env, Name);
    if (V && V->empty())
      return std::nullopt;
    return V;
  };
  if (!M.Transcript.empty()) {
    std::string T = M.Transcript;
    replaceAll(T, "{session}", R.ConversationId);
    replaceAll(T, "{cwd_slug}", cwdSlug(R.Cwd));
    M.Transcript = ir::expandUserPath(T, Home, GetEnv).value_or("");
    // Made before the start: a sandbox binds the CLI's state only where it
    // exists (a first run's ~/.claude would be the sandbox's own, lost),
    // and the session watches this folder from its first moment.
    if (!M.Transcript.empty())
      (void)llvm::sys::fs::create_directories(
          llvm::sys::path::parent_path(M.Transcript));
  }
  for (std::string &Arg : R.Argv) {
    replaceAll(Arg, "{session}", R.ConversationId);
    replaceAll(Arg, "{transcript}", M.Transcript);
  }
  // A screen connectorc may not pass here stays, without keys: the session
  // waits for a person there.
  for (ir::FirstRunScreen &F : M.Screens) {
    llvm::StringRef When = F.When;
    bool Mine = When.empty() || (When == "worktree" && InWorktree) ||
                (When.consume_front("env:") && GetEnv(When));
    if (!Mine)
      F.Keys.clear();
  }
  R.Interactive = std::move(M);
}

llvm::StringRef Executor::resumedConversation(unsigned T,
                                              unsigned Binding) const {
  const ir::ModelBinding &B = P.Bindings[Binding];
  bool CanResume = B.InteractiveActive
                       ? B.Interactive && !B.Interactive->ResumeArgs.empty()
                       : !B.ResumeArgs.empty();
  if (!CanResume || remoteOf(T))
    return "";
  return Tasks[T].ResumeConversation;
}

/// A one-shot run's conversation id: \p Resumed's, continued with the
/// binding's resume_args, or a new one given with its session_args (before
/// a final "-", a prompt on standard input).
static void addSessionArgs(LaunchRequest &R, const ir::ModelBinding &B,
                           llvm::StringRef Resumed) {
  R.ConversationId = Resumed.empty() ? randomUuid() : Resumed.str();
  std::vector<std::string> Args = Resumed.empty() ? B.SessionArgs : B.ResumeArgs;
  for (std::string &A : Args)
    replaceAll(A, "{session}", R.ConversationId);
  auto At = !R.Argv.empty() && R.Argv.back() == "-" ? R.Argv.end() - 1
                                                     : R.Argv.end();
  R.Argv.insert(At, Args.begin(), Args.end());
}

LaunchRequest Executor::request(unsigned T, unsigned Binding,
                                const std::vector<std::string> *Command) const {
  const ir::Task &Task = P.Tasks[T];
  const ir::ModelBinding &B = P.Bindings[Binding];
  // On another machine, every path the agent is told is the remote's.
  const RemoteTarget *Far = remoteOf(T);
  std::string Run = Far ? Far->Root : Opts.RunDir;
  auto At = [&Run](llvm::StringRef Rel) { return Run + "/" + Rel.str(); };
  LaunchRequest R;
  std::string Prompt = expandPrompt(Task.Prompt, Run);
  // A conversation the killed run left is continued where the CLI can.
  llvm::StringRef Resumed = resumedConversation(T, Binding);
  std::vector<std::string> Base = B.Argv;
  if (!Resumed.empty() && B.InteractiveActive) {
    Base.resize(1);
    Base.insert(Base.end(), B.Interactive->ResumeArgs.begin(),
                B.Interactive->ResumeArgs.end());
  }
  for (std::string Arg : Command ? *Command : Base) {
    replaceAll(Arg, "{connectorc}", Far ? Far->Connectorc : Opts.SelfExe);
    if (B.Via == ir::PromptVia::Arg && !Command)
      replaceAll(Arg, "{prompt}", Prompt);
    R.Argv.push_back(std::move(Arg));
  }
  // A sandboxed agent's environment: only these (and LC_*, CONNECTOR_*) of
  // connectorc's, or of the login's there; then what is set below.
  const std::string &Bwrap = Far ? Opts.RemoteBwrap : Opts.Bwrap;
  // session.setup (a Command) is the spec author's and runs outside, as in
  // a CI runner: it usually needs the network and the user's tokens.
  std::optional<std::vector<std::string>> Pass;
  if (Task.Session.Sandbox.Enabled && !Bwrap.empty() && !Command)
    Pass = sandboxPassNames(B, Task.Session);
  // The remote's own login environment stands for the user's there.
  if (!Far)
    for (const std::string &E : Opts.BaseEnv) {
      llvm::StringRef Name = llvm::StringRef(E).split('=').first;
      if (!Pass || Name.startswith("LC_") || Name.startswith("CONNECTOR_") ||
          llvm::is_contained(*Pass, Name))
        R.Env.push_back(E);
    }
  auto Set = [&R](llvm::StringRef Name, llvm::StringRef Value) {
    R.Env.push_back((Name + "=" + Value).str());
  };
  for (const auto &[Name, Value] : B.Env) {
    llvm::StringRef V = Value;
    // "${NAME}": a secret the plan does not hold; it is in our environment.
    if (V.startswith("${") && V.endswith("}"))
      continue;
    // A failure baked in by `build --simulate-fail` yields to run's own.
    if (Name == "CONNECTOR_SIM_FAIL" && Opts.SimulateFail.count(B.Provider))
      continue;
    Set(Name, V);
  }
  // The registry's tuning (a CLI's own retry limit) yields to the user's
  // environment and the spec.
  for (const auto &[Name, Value] : B.SetEnv) {
    std::string Prefix = Name + "=";
    bool Given = llvm::any_of(R.Env, [&](const std::string &E) {
      return llvm::StringRef(E).startswith(Prefix);
    });
    if (!Given)
      Set(Name, Value);
  }
  ir::EnvList RemoteRenames; // NAME=$OTHER, there
  // The session's own variables; "${NAME}" is taken from connectorc's
  // environment now (on another machine, from the one there).
  for (const auto &[Name, Value] : Task.Session.Env) {
    std::optional<llvm::StringRef> From = reference(Value);
    if (!From) {
      Set(Name, Value);
    } else if (!Far) {
      if (std::optional<std::string> V = lookup(Opts.BaseEnv, *From))
        Set(Name, *V);
    } else if (*From != Name) {
      RemoteRenames.emplace_back(Name, From->str());
    }
  }
  Set("TERM", "xterm-256color");
  Set("CONNECTOR_RUN_DIR", Run);
  Set("CONNECTOR_SCRATCHPAD", At("scratchpad"));
  Set("CONNECTOR_TASK", Task.Id);
  std::vector<std::string> Inputs = ir::inputFiles(P, T);
  Set("CONNECTOR_INPUTS",
      llvm::join(llvm::map_range(Inputs,
                                 [&At](const std::string &F) { return At(F); }),
                 ":"));
  Set("CONNECTOR_OUTPUT", At(Task.Output));
  if (!Task.Until.empty())
    Set("CONNECTOR_UNTIL", Task.Until);
  // For a run the agent starts (runtime/executor/Nested.h); its pipe stays here.
  if (Opts.Slots && !Far)
    Set("CONNECTOR_JOBSERVER", Opts.Slots->spec());
  if (Opts.BudgetUsd)
    Set("CONNECTOR_BUDGET_LEFT_USD",
        fmt::format("{:.6f}",
                    std::max(*Opts.BudgetUsd - startedCostUsd(), 0.0)));
  if (Task.Mailbox && !Far) {
    // Its maildir was made before the first task started (runPlan).
    Set("CONNECTOR_MAIL_DIR", Opts.RunDir + "/mail");
    Set("CONNECTOR_MAIL_NAME", ir::mailboxName(P, T));
  }
  if (B.Simulated) {
    Set("CONNECTOR_SIM_AS", B.Id);
    auto It = Opts.SimulateFail.find(B.Provider);
    if (It != Opts.SimulateFail.end())
      Set("CONNECTOR_SIM_FAIL", It->second);
  }
  const RemoteTree *Tree = Far && T < Opts.RemoteTrees.size() &&
                                   Opts.RemoteTrees[T].Machine == Far->Name
                               ? &Opts.RemoteTrees[T]
                               : nullptr;
  bool InWorktree = Far ? Tree != nullptr
                        : T < Opts.TaskDirs.size() && !Opts.TaskDirs[T].empty();
  if (Far)
    R.Cwd = Tree ? Far->Workdir + "/" + Tree->Rel : Far->Workdir;
  else
    R.Cwd = InWorktree ? Opts.TaskDirs[T] : Opts.WorkDir;
  std::string WorkDir = R.Cwd;
  if (!Task.Session.Cwd.empty() && !R.Cwd.empty())
    R.Cwd += "/" + Task.Session.Cwd;
  if (!P.Tools.empty() && !Far) {
    // Written once per run (Runner); how each CLI is pointed at it.
    std::string Config = Opts.RunDir + "/mcp.json";
    Set("CONNECTOR_MCP_CONFIG", Config);
    if (!B.Simulated && B.Provider == "claude")
      R.Argv.insert(R.Argv.end(), {"--mcp-config", Config});
    else if (!B.Simulated && B.Provider == "gemini")
      Set("GEMINI_CLI_SYSTEM_SETTINGS_PATH", Config);
    else if (!B.Simulated && B.Provider == "codex") {
      // Before a trailing "-" (the prompt on standard input).
      auto At = !R.Argv.empty() && R.Argv.back() == "-" ? R.Argv.end() - 1
                                                         : R.Argv.end();
      std::vector<std::string> Mcp = ir::codexMcpArgs(P.Tools).Argv;
      R.Argv.insert(At, Mcp.begin(), Mcp.end());
    }
  }
  // Before the sandbox's binds are chosen: it makes the transcript's folder.
  if (B.InteractiveActive && B.Interactive && !Command && !Far)
    makeInteractive(R, B, InWorktree,
                    lookup(Opts.BaseEnv, "HOME").value_or(""), Resumed);
  else if (!B.SessionArgs.empty() && !Command && !Far)
    addSessionArgs(R, B, Resumed);
  if (Pass) {
    SandboxPaths SP;
    SP.WorkDirIsProject = !InWorktree;
    SP.WorkDir = WorkDir;
    SP.ProjectRoot = Far ? Far->Workdir : Opts.WorkDir;
    SP.RunDir = Run;
    SP.Mailbox = Task.Mailbox && !Far;
    SP.Remote = Far != nullptr;
    SP.State = B.SandboxState;
    if (Far) {
      SP.Home = Far->Home;
      SP.Program = R.Argv.empty() ? "" : R.Argv.front();
    } else {
      llvm::SmallString<128> Home(lookup(Opts.BaseEnv, "HOME").value_or(""));
      llvm::sys::path::remove_dots(Home, /*remove_dot_dot=*/true);
      SP.Home = Home.str().str();
      // "${CODEX_HOME:-~/.codex}": the agent's own value, set by the spec
      // or passed through.
      SP.GetEnv = [&R](llvm::StringRef Name) { return lookup(R.Env, Name); };
      // The program as it is found here, with its installation: the
      // sandbox hides the home directory (npm's and pipx's usual places).
      if (!R.Argv.empty()) {
        if (llvm::Expected<ResolvedProgram> Prog = resolveProgram(
                R.Argv.front(), lookup(R.Env, "PATH").value_or(""))) {
          R.Argv.front() = Prog->Path;
          SP.Keep = Prog->Dirs;
        } else {
          llvm::consumeError(Prog.takeError()); // execvp says it, inside
        }
      }
      SP.Program = R.Argv.empty() ? "" : R.Argv.front();
    }
    std::vector<std::string> NetBinds;
    if (!Far && Task.Session.Sandbox.Network == ir::SandboxNet::Provider) {
      // Its network is the egress proxy's (runtime/sandbox/EgressProxy.h), reached
      // through `connectorc sandbox-net`, which starts it; the proxy's
      // socket is bound into its private /tmp.
      NetForwarderArgs Net;
      Net.Socket = InsideEgressSocket;
      egressAllowlist(T, Binding, R.Env, &Net.Forwards);
      std::vector<std::string> Words = netForwarderArgv(Opts.SelfExe, Net);
      R.Argv.insert(R.Argv.begin(), Words.begin(), Words.end());
      SP.Keep.push_back(llvm::sys::path::parent_path(Opts.SelfExe).str());
      NetBinds = {"--bind", egressSocket(T), InsideEgressSocket};
    }
    std::vector<std::string> Argv =
        sandboxArgv(Bwrap, Task.Session.Sandbox, SP);
    // Before the final "--".
    Argv.insert(Argv.end() - 1, NetBinds.begin(), NetBinds.end());
    Argv.insert(Argv.end(), R.Argv.begin(), R.Argv.end());
    R.Argv = std::move(Argv);
  }
  R.WatchPatterns = watchPatterns(B);
  R.Via = B.Via;
  R.Prompt = B.Via == ir::PromptVia::Arg ? "" : Prompt;
  R.ReadyPattern = B.ReadyPattern;
  R.IdlePattern = B.IdlePattern;
  R.TranscriptPath = sessionDir(T) + "/transcript.log";
  R.AnswerPath = sessionDir(T) + "/output.md.tmp";
  if (!Far)
    return R;
  // Here, `connectorc remote-session` runs it there (Remote.h).
  std::vector<std::string> Here = {
      Opts.SelfExe, "remote-session", "--run", Opts.RunDir, "--remote-run",
      Run,          "--task",         Task.Id, "--own",     Task.Output};
  for (const std::string &F : Inputs)
    Here.insert(Here.end(), {"--input", F});
  if (Tree)
    Here.insert(Here.end(),
                {"--worktree", Far->Workdir + "/" + Tree->Rel, "--remote-repo",
                 Far->Workdir, "--repo", Tree->Repo, "--branch", Tree->Branch,
                 "--base", Tree->Base});
  Here.insert(Here.end(),
              {"--command",
               remoteAgentCommand(R.Cwd, R.Env, R.Argv,
                                  Pass ? &*Pass : nullptr, RemoteRenames),
               "--"});
  llvm::append_range(Here, Far->lanePrefix(std::max(Tasks[T].Lane, 0)));
  R.Argv = std::move(Here);
  R.Env = Opts.BaseEnv;
  R.Cwd.clear();
  return R;
}

double Executor::startedCostUsd() const {
  double Sum = 0;
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    if (!Tasks[T].Attempts.empty() || Tasks[T].Status == TaskStatus::Running)
      Sum += P.Tasks[T].CostUsd;
  return Sum;
}

bool Executor::usesEgress(unsigned T) const {
  const ir::TaskSession &S = P.Tasks[T].Session;
  return S.Sandbox.Enabled && S.Sandbox.Network == ir::SandboxNet::Provider &&
         !Opts.Bwrap.empty() && !remoteOf(T);
}

EgressAllowlist
Executor::egressAllowlist(unsigned T, unsigned Binding,
                          const std::vector<std::string> &Env,
                          std::vector<NetForward> *Forwards) const {
  const ir::ModelBinding &B = P.Bindings[Binding];
  EgressAllowlist Allow;
  auto Add = [&](llvm::Expected<EgressRule> R) {
    if (!R) {
      llvm::consumeError(R.takeError()); // lint and the registry's schema
      return;                            // check them
    }
    if (Forwards && R->Port && isLoopbackHost(R->Host) &&
        llvm::none_of(*Forwards,
                      [&](const NetForward &F) { return F.Port == *R->Port; }))
      Forwards->push_back({*R->Port, R->Host, *R->Port});
    Allow.add(std::move(*R));
  };
  for (const std::string &H : B.Endpoints)
    Add(parseEgressRule(H));
  for (const std::string &H : P.Tasks[T].Session.Sandbox.Hosts)
    Add(parseEgressRule(H));
  // A base URL the user gave the provider ("ANTHROPIC_BASE_URL", a gateway
  // in CONNECTOR_*, a Codex model provider's base_url) is allowed: the
  // user chose it.
  for (const std::string &E : Env) {
    llvm::StringRef V = llvm::StringRef(E).split('=').second;
    if (V.startswith("http://") || V.startswith("https://"))
      Add(egressRuleForUrl(V));
  }
  if (B.Provider == "codex") {
    std::string Home = lookup(Env, "CODEX_HOME")
                           .value_or(lookup(Env, "HOME").value_or("") +
                                     "/.codex");
    for (const std::string &U : codexBaseUrls(Home))
      Add(egressRuleForUrl(U));
  }
  return Allow;
}

std::string Executor::egressSocket(unsigned T) const {
  // In $XDG_RUNTIME_DIR when it is set and the path fits a socket's, as
  // ssh's shared connections (runtime/remote/Ssh.h); else in the user's own
  // directory in /tmp. The proxy makes it private (0700) or refuses it.
  std::string Name = fmt::format("/{}-{}.sock", ::getpid(), T);
  llvm::StringRef Xdg = "";
  std::optional<std::string> X = lookup(Opts.BaseEnv, "XDG_RUNTIME_DIR");
  if (X && llvm::StringRef(*X).startswith("/"))
    Xdg = llvm::StringRef(*X).rtrim('/');
  std::string Dir = (Xdg + "/connectorc-net").str();
  if (Xdg.empty() || Dir.size() + Name.size() >= sizeof(sockaddr_un::sun_path))
    Dir = fmt::format("/tmp/connectorc-net-{}", ::geteuid());
  return Dir + Name;
}

llvm::Error Executor::openEgress(unsigned T, unsigned Binding,
                                 const std::vector<std::string> &Env) {
  closeEgress(T);
  if (!Egress)
    Egress = std::make_unique<EgressProxy>(Io);
  EgressProxy::ListenerOptions O;
  O.SocketPath = egressSocket(T);
  O.Allow = egressAllowlist(T, Binding, Env, nullptr);
  O.OnDenied = [this, T](llvm::StringRef Host, uint16_t Port,
                         llvm::StringRef Reason) {
    llvm::json::Object E = event("network-denied", T);
    E["host"] = Host.str();
    E["port"] = int64_t(Port);
    E["reason"] = Reason.str();
    emit(std::move(E));
    noteDenied(Tasks[T].Denied, Host, Port);
  };
  llvm::Expected<EgressProxy::ListenerId> Id = Egress->listen(std::move(O));
  if (!Id)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the sandbox's network proxy cannot start: %s; pass --no-sandbox to "
        "run unsandboxed, knowingly, or give the session \"network\": true",
        llvm::toString(Id.takeError()).c_str());
  Tasks[T].Egress = *Id;
  return llvm::Error::success();
}

void Executor::closeEgress(unsigned T) {
  if (!Egress || !Tasks[T].Egress)
    return;
  Egress->close(Tasks[T].Egress);
  Tasks[T].Egress = 0;
}

std::string Executor::remoteNetRefusal(unsigned T, unsigned Binding) const {
  const ir::TaskSession &S = P.Tasks[T].Session;
  const RemoteTarget *Far = remoteOf(T);
  if (!Far || !S.Sandbox.Enabled || S.Sandbox.Network != ir::SandboxNet::Provider ||
      Opts.RemoteBwrap.empty())
    return "";
  // With nothing to allow, the provider's network is no network: that the
  // machine's bwrap gives.
  std::vector<std::string> Env;
  for (const auto &[Name, Value] : P.Bindings[Binding].Env)
    Env.push_back(Name + "=" + Value);
  if (egressAllowlist(T, Binding, Env, nullptr).rules().empty())
    return "";
  return fmt::format(
      "its sandbox on machine '{}' would reach its provider's API only, "
      "through connectorc's egress proxy, which runs on this machine only "
      "for now; give the session \"network\": true (that machine's whole "
      "network) or false, or run it here",
      Far->Name);
}
