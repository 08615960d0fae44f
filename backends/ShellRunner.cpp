//===- ShellRunner.cpp - the shell code the sh and make backends share ----===//
//
// The runner mirrors runtime/executor/Executor.cpp and runtime/executor/Request.cpp in POSIX
// shell; where it is simpler (no cool-down shared between tasks, no jitter,
// the answer is standard output rather than a terminal's), docs/backends.md
// says so. Its shell of our own is in backends/sh/*.sh, embedded by the
// build; this file writes it and what comes from the plan.
//
//===----------------------------------------------------------------------===//
#include "backends/ShellRunner.h"

#include "backends/JsonAnswer.h"
#include "backends/ShellQuote.h"
#include "ir/GitIgnore.h"
#include "ir/PlanJson.h"
#include "ir/RemoteGitScripts.h"
#include "ir/SandboxLayout.h"
#include "ir/SshOption.h"
#include "ir/Template.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

#include <fmt/format.h>

using namespace connectorc;
using llvm::StringRef;

ShellText &ShellText::code(StringRef Own) {
  if (D == Dialect::Sh) {
    Out += Own;
    return *this;
  }
  for (char C : Own)
    Out += C == '$' ? std::string("$$") : std::string(1, C);
  return *this;
}

ShellText &ShellText::word(StringRef Untrusted) {
  Out += D == Dialect::Sh ? shellQuote(Untrusted) : makeQuote(Untrusted);
  return *this;
}

ShellText &ShellText::runPath(StringRef RunRelative, StringRef RunVar) {
  return code("\"$" + RunVar.str() + "\"/").word(RunRelative);
}

ShellText &ShellText::prompt(StringRef Prompt, StringRef RunVar) {
  std::vector<PromptPiece> Pieces = splitPrompt(Prompt);
  if (Pieces.empty())
    return word("");
  for (const PromptPiece &P : Pieces)
    switch (P.Kind) {
    case PromptPieceKind::Literal:
      word(P.Text);
      break;
    case PromptPieceKind::RunDir:
      code("\"$" + RunVar.str() + "\"");
      break;
    case PromptPieceKind::Scratchpad:
      code("\"$" + RunVar.str() + "/scratchpad\"");
      break;
    }
  return *this;
}

//===----------------------------------------------------------------------===//
// What the shell backends cannot do
//===----------------------------------------------------------------------===//

static llvm::Error unsupported(StringRef Backend, const ir::Task &T,
                               StringRef What) {
  return llvm::createStringError(
      std::errc::not_supported,
      "--emit=%s: task '%s' %s, which the %s backend cannot do; run it with "
      "`connectorc run`",
      Backend.str().c_str(), T.Id.c_str(), What.str().c_str(),
      Backend.str().c_str());
}

static bool isRemote(const ir::Task &T) {
  return llvm::any_of(T.Machines,
                      [](const std::string &M) { return M != "local"; });
}

static const ir::Machine *findMachine(const ir::Plan &P, StringRef Name) {
  auto It = llvm::find_if(P.Machines,
                          [&](const ir::Machine &M) { return M.Name == Name; });
  return It == P.Machines.end() ? nullptr : &*It;
}

/// What the shell backends cannot do with task \p T's machines: they run a
/// task on another machine over ssh (docs/run.md, "Remote tasks"), in its
/// worktree and sandbox there, but not a mesh stage's (the scripts run
/// it with `connectorc run --stage`, whose agents share local mailboxes).
static std::string sessionProblem(const ir::Plan &P, const ir::Task &T) {
  if (!isRemote(T))
    return "";
  if (P.Stages[T.Stage].Kind == ir::StageKind::Mesh)
    return "runs on machine '" +
           *llvm::find_if(T.Machines,
                          [](StringRef M) { return M != "local"; }) +
           "' (over SSH) in a mesh stage (run by `connectorc run --stage`)";
  for (const std::string &Name : T.Machines) {
    if (Name == "local")
      continue;
    const ir::Machine *M = findMachine(P, Name);
    if (!M)
      return "runs on machine '" + Name + "', which the plan does not define";
    llvm::Expected<std::vector<std::string>> Args = ir::sshMachineArgs(*M);
    if (!Args)
      return "runs on " + llvm::toString(Args.takeError());
  }
  return "";
}

/// Whether \p S can be a shell variable (set_env's `${NAME+x}` test).
static bool isShellName(StringRef S) {
  return !S.empty() && !llvm::isDigit(S.front()) &&
         llvm::all_of(S, [](char C) { return llvm::isAlnum(C) || C == '_'; });
}

static std::string bindingProblem(const ir::ModelBinding &B) {
  if (B.Via == ir::PromptVia::Type)
    return "uses model '" + B.Id +
           "', an interactive terminal program that is typed its prompt "
           "(prompt_via \"type\") and needs a terminal";
  for (const auto &[Name, Value] : B.SetEnv)
    if (!isShellName(Name))
      return "uses model '" + B.Id + "', whose set_env name '" + Name +
             "' is not a shell variable name";
  if (B.Argv.empty() || StringRef(B.Argv.front()).contains('='))
    return "uses model '" + B.Id +
           "', whose command is empty or has '=' in "
           "its program name";
  return "";
}

static bool hasNul(const ir::Task &T) {
  return StringRef(T.Prompt).contains('\0') ||
         StringRef(T.Output).contains('\0') || StringRef(T.Id).contains('\0');
}

llvm::Error connectorc::checkShellPlan(const ir::Plan &P, StringRef Backend) {
  for (const ir::Task &T : P.Tasks) {
    std::string Why = sessionProblem(P, T);
    for (unsigned C : T.Candidates)
      if (Why.empty())
        Why = bindingProblem(P.Bindings[C]);
    if (Why.empty() && hasNul(T))
      Why = "has a NUL byte in its prompt, id or output path";
    if (!Why.empty())
      return unsupported(Backend, T, Why);
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// The runner
//===----------------------------------------------------------------------===//

// The shell of our own lives in backends/sh/*.sh, embedded by the build
// (backends/CMakeLists.txt): runner.sh, the functions every task uses;
// remote.sh, what a task on another machine needs; mesh.sh, a mesh stage's
// run through the runtime. This file writes what is the plan's: its data,
// quoted, and the functions made from it.
namespace connectorc {
/// The bytes of backends/sh/runner.sh, remote.sh and mesh.sh (generated
/// sources: cmake/EmbedFile.cmake).
llvm::StringRef shRunnerFile();
llvm::StringRef shRemoteFile();
llvm::StringRef shMeshFile();
} // namespace connectorc

/// A file of backends/sh/ as a script carries it: without its header, the
/// leading lines that start with '#' (the shebang, shellcheck's directives
/// for the file alone, what the file is), which are the repository's.
static StringRef withoutHeader(StringRef File) {
  while (File.startswith("#"))
    File = File.split('\n').second;
  return File;
}

/// connector_machine_N: machine N's name, host, connectorc (a remote word)
/// and the remote command that prints its W; connector_ssh_N RUNNER OPTION
/// [-- WORDS]: RUNNER (command, or connector_run for the agent) runs ssh
/// with OPTION (-T, -Oexit), the shared connection through the control
/// directory, then the machine's arguments (ir::sshMachineArgs, the
/// runtime's).
static void writeMachine(ShellText &S, unsigned N, const ir::Machine &M,
                         bool Boxed) {
  std::string Cd;
  StringRef Dir = M.Workdir;
  if (Dir.empty())
    Cd = "pwd -P";
  else if (Dir == "~")
    Cd = "cd ~ && pwd -P";
  else if (Dir.startswith("~/"))
    Cd = "cd ~/" + shellQuote(Dir.drop_front(2)) + " && pwd -P";
  else
    Cd = "cd " + shellQuote((Dir.startswith("-") ? "./" : "") + Dir.str()) +
         " && pwd -P";
  S.code(fmt::format("\nconnector_machine_{}() {{\n  connector_mname=", N))
      .word(M.Name)
      .code("\n  connector_mhost=")
      .word(M.Host)
      .code("\n  # shellcheck disable=SC2034 # when an argv has {connectorc}\n"
            "  connector_mself=")
      .word(shellQuote(M.Connectorc.empty() ? "connectorc" : M.Connectorc));
  // The program itself, for a remote sandbox (connector_rsandbox).
  if (Boxed)
    S.code("\n  connector_mprog=")
        .word(M.Connectorc.empty() ? "connectorc" : M.Connectorc);
  S.code("\n  connector_mcd=")
      .word(Cd)
      .code("\n}\n");
  S.code(fmt::format("\nconnector_ssh_{}() {{\n", N))
      .code("  connector_sr=$1\n  connector_so=$2\n  shift 2\n"
            "  \"$connector_sr\" /usr/bin/ssh \"$connector_so\" -o "
            "ControlMaster=auto \\\n    -o \"ControlPath=$connector_ctl/%C\" "
            "-o ControlPersist=60 \\\n   ");
  llvm::Expected<std::vector<std::string>> Args = ir::sshMachineArgs(M);
  // checkShellPlan refused a machine whose arguments are not good.
  assert(Args && "a machine checkShellPlan let through");
  for (const std::string &A : *Args)
    S.code(" ").word(A);
  S.code(" \"$@\"\n}\n");
}

/// The remote side of the runner: backends/sh/remote.sh, the git scripts of
/// ir/RemoteGitScripts.h and bwrap's probe as remote words, each machine's
/// functions, and connector_ssh_open/_close, which make and end the shared
/// connections' control directory (mktemp -d: mode 0700). A Makefile's
/// recipes are shells of their own: they find the directory that
/// `connector-ssh` made in RUN_DIR/.state/ssh.
static void writeRemoteRunner(ShellText &S, const ir::Plan &P) {
  S.code(withoutHeader(shRemoteFile()));
  S.code("\n# The git scripts a remote worktree needs (ir/RemoteGitScripts.h).\n");
  std::pair<const char *, const char *> Scripts[] = {
      {"probe", ir::RemoteProbeScript},
      {"index", ir::RemoteIndexPackScript},
      {"add", ir::RemoteAddWorktreeScript},
      {"commit", ir::RemoteCommitScript},
      {"pack", ir::RemotePackObjectsScript},
      {"remove", ir::RemoteRemoveWorktreeScript},
      {"ignore", ir::HideFromGitScript}};
  for (const auto &[Name, Script] : Scripts)
    S.code("connector_rgit_" + std::string(Name) + "=")
        .word(shellQuote(Script))
        .code("\n");
  std::vector<std::string> Probe = ir::bwrapProbeArgv(ir::RemoteBwrap);
  S.code("connector_rprobe=")
      .word(llvm::join(llvm::map_range(Probe, shellQuote), " "))
      .code("\n");
  std::vector<unsigned> Machines = remoteMachines(P);
  bool Boxed = !sandboxMachines(P).empty();
  for (unsigned N : Machines)
    writeMachine(S, N, P.Machines[N], Boxed);
  S.code("\nconnector_ssh_open() {\n"
         "  connector_ctl=$(mktemp -d /tmp/connector-ssh.XXXXXXXX)\n}\n"
         "\nconnector_ssh_close() {\n"
         "  case $connector_ctl in /tmp/connector-ssh.*) ;; *) return 0 ;; esac\n"
         "  [ -d \"$connector_ctl\" ] || return 0\n");
  for (unsigned N : Machines)
    S.code(fmt::format("  connector_ssh_{} command -Oexit </dev/null "
                       ">/dev/null 2>&1\n",
                       N));
  S.code("  rm -rf \"$connector_ctl\"\n}\n");
  if (S.dialect() == ShellText::Dialect::Make)
    S.code("\nconnector_ctl=\n[ ! -r \"$RUN_DIR/.state/ssh\" ] ||\n"
           "  read -r connector_ctl <\"$RUN_DIR/.state/ssh\"\n");
}

std::vector<unsigned> connectorc::sandboxMachines(const ir::Plan &P) {
  std::vector<unsigned> Out;
  for (unsigned N : remoteMachines(P))
    if (llvm::any_of(P.Tasks, [&](const ir::Task &T) {
          return T.Session.Sandbox.Enabled &&
                 llvm::is_contained(T.Machines, P.Machines[N].Name);
        }))
      Out.push_back(N);
  return Out;
}

bool connectorc::anyRemote(const ir::Plan &P) {
  return llvm::any_of(P.Tasks, isRemote);
}

std::vector<unsigned> connectorc::remoteMachines(const ir::Plan &P) {
  std::vector<unsigned> Out;
  for (unsigned N = 0; N < P.Machines.size(); ++N)
    if (llvm::any_of(P.Tasks, [&](const ir::Task &T) {
          return llvm::is_contained(T.Machines, P.Machines[N].Name);
        }))
      Out.push_back(N);
  return Out;
}

/// connector_rules_<N>: the binding's failure rules, in order. One grep
/// over every pattern first, so that the usual attempt, which matches none,
/// costs one process. A pattern that is not a valid POSIX ERE never matches
/// (as in the runtime's classifier) and is left out.
static void writeRules(ShellText &S, unsigned N, const ir::ModelBinding &B) {
  std::vector<const ir::FailurePattern *> Rules;
  bool AnyEmpty = false;
  for (const ir::FailurePattern &F : B.Failures) {
    if (!F.Pattern.empty() &&
        !llvm::Regex(F.Pattern, llvm::Regex::IgnoreCase).isValid())
      continue;
    Rules.push_back(&F);
    AnyEmpty |= F.Pattern.empty();
  }
  S.code(fmt::format("\nconnector_rules_{}() {{\n", N));
  if (!AnyEmpty && !Rules.empty()) {
    S.code("  grep -Eiq");
    for (const ir::FailurePattern *F : Rules)
      S.code(" -e \"$connector_anchor(\"").word(F->Pattern).code("')'");
    // The whole output first; the window only when something matched.
    S.code(" \"$connector_dir/output.md.tmp\" \"$connector_dir/stderr.tmp\" "
           "|| return 0\n");
  }
  if (!Rules.empty())
    S.code("  connector_window\n");
  for (const ir::FailurePattern *F : Rules) {
    S.code("  connector_rule ").word(F->Kind).code(" ");
    S.word(llvm::join(
        llvm::map_range(F->ExitCodes, [](int C) { return std::to_string(C); }),
        " "));
    S.code(" ").word(F->Pattern).code(" && return\n");
  }
  S.code("  :\n}\n");
}

namespace {
/// A piece of an argv element: text, "{connectorc}" or "{prompt}".
struct ArgPiece {
  enum Kind { Literal, Self, Prompt } K;
  StringRef Text;
};
} // namespace

/// \p Arg's pieces; "{prompt}" is one only when the binding takes the prompt
/// as an argument (\p PromptArg).
static std::vector<ArgPiece> splitArg(StringRef Arg, bool PromptArg) {
  std::vector<ArgPiece> Out;
  while (!Arg.empty()) {
    size_t Self = Arg.find("{connectorc}");
    size_t Prompt = PromptArg ? Arg.find("{prompt}") : StringRef::npos;
    size_t At = std::min(Self, Prompt);
    if (At == StringRef::npos)
      break;
    if (At > 0)
      Out.push_back({ArgPiece::Literal, Arg.take_front(At)});
    bool IsSelf = At == Self;
    Out.push_back({IsSelf ? ArgPiece::Self : ArgPiece::Prompt, {}});
    Arg = Arg.drop_front(At + (IsSelf ? 12 : 8));
  }
  if (!Arg.empty() || Out.empty())
    Out.push_back({ArgPiece::Literal, Arg});
  return Out;
}

/// One argv element: "{connectorc}" is the connectorc binary (CONNECTORC
/// overrides the one that built the script); "{prompt}" the prompt when the
/// binding takes it as an argument.
static void writeArg(ShellText &S, StringRef Arg, bool PromptArg) {
  for (const ArgPiece &P : splitArg(Arg, PromptArg))
    switch (P.K) {
    case ArgPiece::Literal:
      S.word(P.Text);
      break;
    case ArgPiece::Self:
      S.code("\"${CONNECTORC:-$connector_self}\"");
      break;
    case ArgPiece::Prompt:
      S.code("\"$connector_prompt\"");
      break;
    }
}

/// On another machine (connector_m is not local), the binding's part of the
/// remote command: connector_rbenv is its environment (CONNECTOR_SIM_AS for
/// a simulated binding, the non-secret `env`) and connector_rargv its argv,
/// as remote words, each quoted with shellQuote at build time,
/// "{connectorc}" the machine's connectorc, "{prompt}" the prompt quoted
/// when the script runs; connector_rprog is the program (unquoted: the
/// remote sandbox binds its directory); then connector_agent runs it (and
/// never returns).
/// Whether the binding's `env` gives \p Name a value (not a secret left
/// to the environment).
static bool setBySpec(const ir::ModelBinding &B, StringRef Name) {
  return llvm::any_of(B.Env, [&](const auto &Pair) {
    StringRef V = Pair.second;
    return Pair.first == Name && !(V.startswith("${") && V.endswith("}"));
  });
}

static void writeRemoteBinding(ShellText &S, const ir::ModelBinding &B,
                               bool Boxed) {
  std::string Pending; // Remote text not yet written as a script word.
  auto Flush = [&] {
    if (!Pending.empty())
      S.word(Pending);
    Pending.clear();
  };
  auto Word = [&](StringRef W) { Pending += shellQuote(W) + " "; };
  bool PromptArg = B.Via == ir::PromptVia::Arg;
  S.code("  if [ \"$connector_m\" != local ]; then\n");
  if (PromptArg && llvm::any_of(B.Argv, [](StringRef A) {
        return A.contains("{prompt}");
      }))
    S.code("    connector_quote \"$connector_prompt\"\n"
           "    connector_rprompt=$connector_quoted\n");
  if (B.Simulated)
    Word("CONNECTOR_SIM_AS=" + B.Id);
  for (const auto &[Name, Value] : B.Env) {
    StringRef V = Value;
    if (V.startswith("${") && V.endswith("}"))
      continue; // A secret: the remote's own login environment has it.
    Word(Name + "=" + Value);
  }
  // On another machine the runtime sets these unless the spec's env does.
  for (const auto &[Name, Value] : B.SetEnv)
    if (!setBySpec(B, Name))
      Word(Name + "=" + Value);
  S.code("    connector_rbenv=");
  if (Pending.empty())
    S.word("");
  Flush();
  // Only a remote sandbox (connector_rsandbox) needs the program.
  if (Boxed) {
    S.code("\n    connector_rprog=");
    for (const ArgPiece &Piece : splitArg(B.Argv.front(), PromptArg))
      if (Piece.K == ArgPiece::Literal)
        S.word(Piece.Text);
      else
        S.code(Piece.K == ArgPiece::Self ? "\"$connector_mprog\""
                                         : "\"$connector_prompt\"");
  }
  S.code("\n    connector_rargv=");
  for (unsigned I = 0; I < B.Argv.size(); ++I) {
    StringRef Arg = B.Argv[I];
    if (I)
      Pending += " ";
    for (const ArgPiece &Piece : splitArg(Arg, PromptArg)) {
      if (Piece.K == ArgPiece::Literal) {
        Pending += shellQuote(Piece.Text);
        continue;
      }
      Flush();
      S.code(Piece.K == ArgPiece::Self ? "\"$connector_mself\""
                                       : "\"$connector_rprompt\"");
    }
  }
  Flush();
  S.code(B.Via == ir::PromptVia::Stdin
             ? "\n    connector_agent <\"$connector_dir/prompt.md\"\n  fi\n"
             : "\n    connector_agent </dev/null\n  fi\n");
}

/// connector_binding_<N>: runs the model's command with its environment
/// (through `env` when the plan sets variables: their names are untrusted
/// too, and `env NAME=VALUE` takes them as one quoted word).
static void writeBinding(ShellText &S, unsigned N, const ir::ModelBinding &B,
                         bool Remote, bool RemoteBoxed) {
  S.code(fmt::format("\nconnector_binding_{}() {{\n", N));
  if (Remote)
    writeRemoteBinding(S, B, RemoteBoxed);
  if (B.Simulated)
    S.code("  CONNECTOR_SIM_AS=")
        .word(B.Id)
        .code("\n  export CONNECTOR_SIM_AS\n");
  // The registry's tuning yields to the user's environment and the spec.
  for (const auto &[Name, Value] : B.SetEnv) {
    if (setBySpec(B, Name))
      continue;
    S.code(fmt::format("  if [ -z \"${{{}+x}}\" ]; then\n    {}=", Name, Name))
        .word(Value)
        .code(fmt::format("\n    export {}\n  fi\n", Name));
  }
  S.code("  connector_run");
  bool Env = false;
  for (const auto &[Name, Value] : B.Env) {
    StringRef V = Value;
    // "${NAME}": a secret that stays in the user's environment.
    if (V.startswith("${") && V.endswith("}"))
      continue;
    S.code(Env ? " " : " env -- ").word(Name + "=" + Value);
    Env = true;
  }
  for (const std::string &Arg : B.Argv) {
    S.code(" ");
    writeArg(S, Arg, B.Via == ir::PromptVia::Arg);
  }
  S.code(B.Via == ir::PromptVia::Stdin ? " <\"$connector_dir/prompt.md\"\n}\n"
                                       : " </dev/null\n}\n");
  std::string Jq = answerJqProgram(B);
  if (!Jq.empty())
    S.code(fmt::format("\nconnector_json_{}() {{\n"
                       "  # shellcheck disable=SC2016 # jq's $names\n"
                       "  jq {} ",
                       N, AnswerJqOptions))
        .word(Jq)
        .code("\n}\n");
}

std::vector<ShellWorktree> connectorc::shellWorktrees(const ir::Plan &P) {
  std::vector<ShellWorktree> Out;
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    const ir::TaskSession &S = P.Tasks[T].Session;
    // A mesh stage's worktrees are its `connectorc run --stage`'s.
    if (S.Worktree.empty() ||
        P.Stages[P.Tasks[T].Stage].Kind == ir::StageKind::Mesh)
      continue;
    auto It = llvm::find_if(Out, [&S](const ShellWorktree &W) {
      return W.Session->Worktree == S.Worktree && W.Session->Repo == S.Repo;
    });
    if (It == Out.end())
      Out.push_back({&S, {T}});
    else
      It->Tasks.push_back(T);
  }
  return Out;
}

int connectorc::worktreeMachine(const ir::Plan &P, const ShellWorktree &W) {
  const std::vector<std::string> &Ms = P.Tasks[W.Tasks.front()].Machines;
  if (Ms.empty() || Ms.front() == "local")
    return -1;
  const ir::Machine *M = findMachine(P, Ms.front());
  return M ? static_cast<int>(M - P.Machines.data()) : -1;
}

/// The word of the directory a worktree's repository is found from.
static void repoDir(ShellText &S, const ir::TaskSession &Session) {
  S.code("\"$connector_root\"");
  if (!Session.Repo.empty())
    S.code("/").word(Session.Repo);
}

/// connector_worktrees: makes every worktree before anything starts;
/// connector_finish: commits, merges and removes them after the last task
/// (runtime/workspace/Workspaces.cpp). Nothing once a run has finished whole.
static void writeWorktrees(ShellText &S, const ir::Plan &P) {
  std::vector<ShellWorktree> Trees = shellWorktrees(P);
  S.code(
      "\nconnector_worktrees() {\n  mkdir -p \"$RUN_DIR/.state\" || return 1\n"
      "  [ ! -e \"$RUN_DIR/.state/finished\" ] || return 0\n");
  for (unsigned W = 0; W < Trees.size(); ++W) {
    const ir::TaskSession &Session = *Trees[W].Session;
    S.code(fmt::format("  connector_wt_add {} ", W))
        .word(Session.Worktree)
        .code(" ")
        .word(Session.Branch)
        .code(" ")
        .word(Session.Base.empty() ? "HEAD" : Session.Base)
        .code(" ");
    repoDir(S, Session);
    for (const std::string &Glob : Session.Copy)
      S.code(" ").word(Glob);
    S.code(" || return 1\n");
  }
  S.code("  :\n}\n\nconnector_finish() {\n"
         "  [ ! -e \"$RUN_DIR/.state/finished\" ] || return 0\n"
         "  connector_frc=0\n");
  // Per repository (as the spec names it), in plan order.
  std::vector<std::string> Repos;
  for (const ShellWorktree &W : Trees)
    if (!llvm::is_contained(Repos, W.Session->Repo))
      Repos.push_back(W.Session->Repo);
  for (const std::string &Repo : Repos) {
    S.code("  connector_ok=\n");
    for (unsigned W = 0; W < Trees.size(); ++W) {
      if (Trees[W].Session->Repo != Repo)
        continue;
      std::vector<std::string> Ids;
      for (unsigned T : Trees[W].Tasks)
        Ids.push_back(P.Tasks[T].Id);
      std::string Message = fmt::format(
          "connectorc: {}: {}\n\nWork of task{} {} in worktree {}.\n",
          P.Workflow, llvm::join(Ids, ", "), Ids.size() == 1 ? "" : "s",
          llvm::join(Ids, ", "), Trees[W].Session->Worktree);
      S.code(fmt::format("  connector_wt_commit {} ", W))
          .word(Message)
          .code(" || connector_frc=1\n  ");
      // Work on another machine comes back on top of any done here.
      if (worktreeMachine(P, Trees[W]) >= 0)
        S.code(fmt::format("connector_wt_fetch {} ", W))
            .word(Message)
            .code(" || connector_frc=1\n  ");
      for (unsigned T : Trees[W].Tasks)
        S.code(fmt::format("connector_done {} && ", T));
      S.code(fmt::format("connector_ok=\"$connector_ok {}\"\n", W));
    }
    S.code("  # shellcheck disable=SC2086 # a list of numbers\n"
           "  connector_merge ")
        .word("connector/" + P.Workflow + "/result")
        .code(" $connector_ok || connector_frc=1\n");
  }
  S.code("  if [ -z \"$KEEP_WORKTREES\" ]; then\n");
  for (unsigned W = 0; W < Trees.size(); ++W) {
    if (worktreeMachine(P, Trees[W]) >= 0)
      S.code(fmt::format("    connector_wt_rremove {} || connector_frc=1\n",
                         W));
    S.code(fmt::format("    connector_wt_remove {}\n", W));
  }
  S.code("  fi\n  connector_i=0\n"
         "  while [ \"$connector_i\" -lt " +
         std::to_string(P.Tasks.size()) +
         " ]; do\n"
         "    connector_done \"$connector_i\" || return \"$connector_frc\"\n"
         "    connector_i=$((connector_i + 1))\n  done\n"
         "  [ \"$connector_frc\" != 0 ] || : >\"$RUN_DIR/.state/finished\"\n"
         "  return \"$connector_frc\"\n}\n");
}

/// connector_record_<S>: rewrites stage S's record (a dialogue's transcript,
/// a meeting's minutes) from the answers there so far, with the bytes of
/// ir::renderStageRecord, and copies it to the stage's output.
static void writeRecord(ShellText &S, const ir::Plan &P, unsigned N) {
  const ir::PlanStage &Stage = P.Stages[N];
  bool Meeting = Stage.Kind == ir::StageKind::Meeting;
  S.code(fmt::format("\nconnector_record_{}() {{\n  connector_item=0\n  {{\n"
                     "    printf '%s' ",
                     N))
      .word(ir::stageRecordTitle(Stage))
      .code("\n");
  for (unsigned T : Stage.Tasks) {
    const ir::Task &Task = P.Tasks[T];
    S.code("    connector_section ").word(Task.Output);
    S.code(fmt::format(" {} ", Meeting ? Task.Round : 0));
    S.word(Meeting ? ir::stageRecordItem(Stage, Task.Round) : "").code(" ");
    S.word(ir::stageRecordHeading(Stage, Task)).code(" || return 1\n");
  }
  S.code("  } >\"$connector_dir/record.tmp\" || return 1\n"
         "  connector_record_commit ")
      .word(ir::stageRecordPath(Stage))
      .code(" ")
      .word(Stage.Output)
      .code("\n}\n");
}

bool connectorc::isMesh(const ir::Plan &P, unsigned T) {
  return P.Stages[P.Tasks[T].Stage].Kind == ir::StageKind::Mesh;
}

void connectorc::writeMeshCall(ShellText &S, const ir::Plan &P,
                               unsigned Stage) {
  const ir::PlanStage &St = P.Stages[Stage];
  S.code("connector_mesh ").word(St.Name);
  for (unsigned D : ir::taskInputs(P, St.Tasks.front()))
    S.code(fmt::format(" {}", D));
  S.code(" --");
  for (unsigned A : St.Tasks)
    S.code(fmt::format(" {} ", A)).word(P.Tasks[A].Output);
}

void connectorc::writePlanCommand(ShellText &S, const ir::Plan &P) {
  std::string Json;
  llvm::raw_string_ostream OS(Json);
  ir::writePlanJson(OS, P);
  S.code("mkdir -p \"$RUN_DIR/.state\" && printf '%s' ")
      .word(OS.str())
      .code(" >\"$RUN_DIR/.state/plan.json\"");
}

llvm::Error connectorc::checkMeshWorktrees(const ir::Plan &P,
                                           llvm::StringRef Backend) {
  std::vector<ShellWorktree> Trees = shellWorktrees(P);
  for (unsigned T = 0; T < P.Tasks.size(); ++T) {
    const ir::TaskSession &S = P.Tasks[T].Session;
    if (!isMesh(P, T) || S.Worktree.empty())
      continue;
    for (const ShellWorktree &W : Trees)
      if (W.Session->Worktree == S.Worktree && W.Session->Repo == S.Repo)
        return llvm::createStringError(
            std::errc::not_supported,
            "--emit=%s: task '%s' of a mesh stage works in worktree '%s', "
            "which tasks of other stages share; the %s backend runs a mesh "
            "stage through `connectorc run --stage`, which makes its own "
            "worktrees: name them apart, or run it with `connectorc run`",
            Backend.str().c_str(), P.Tasks[T].Id.c_str(), S.Worktree.c_str(),
            Backend.str().c_str());
  }
  return llvm::Error::success();
}

bool connectorc::anySandboxed(const ir::Plan &P) {
  return llvm::any_of(
      P.Tasks, [](const ir::Task &T) { return T.Session.Sandbox.Enabled; });
}

void connectorc::writeShellRunner(ShellText &S, const ir::Plan &P,
                                  const EmitOptions &Opts) {
  // A mesh stage runs through `connectorc run --stage` (Sh.cpp).
  bool UsesSelf =
      llvm::any_of(P.Bindings,
                   [](const ir::ModelBinding &B) {
                     return llvm::any_of(B.Argv, [](llvm::StringRef A) {
                       return A.contains("{connectorc}");
                     });
                   }) ||
      llvm::any_of(P.Stages, [](const ir::PlanStage &S) {
        return S.Kind == ir::StageKind::Mesh;
      });
  if (UsesSelf)
    S.code("connector_self=").word(Opts.SelfExe).code("\n");
  S.code("connector_root=").word(P.ProjectRoot).code("\n");
  S.code("connector_gitignore=").word(ir::ConnectorGitIgnore).code("\n");
  S.code("connector_ignore_sh=").word(ir::HideFromGitScript).code("\n");
  S.code(withoutHeader(shRunnerFile()));
  if (llvm::any_of(P.Stages, [](const ir::PlanStage &St) {
        return St.Kind == ir::StageKind::Mesh;
      }))
    S.code(withoutHeader(shMeshFile()));
  bool Remote = anyRemote(P);
  if (Remote)
    writeRemoteRunner(S, P);
  S.code("\nconnector_binding_name() {\n  case $1 in\n");
  for (unsigned N = 0; N < P.Bindings.size(); ++N) {
    S.code(fmt::format("  {}) connector_bname=", N))
        .word(P.Bindings[N].Id)
        .code(" ;;\n");
  }
  S.code("  esac\n}\n");
  // The bindings whose answer is found in their JSON (connector_json_N).
  S.code("connector_jq=' ");
  for (unsigned N = 0; N < P.Bindings.size(); ++N)
    if (!P.Bindings[N].AnswerJsonField.empty())
      S.code(fmt::format("{} ", N));
  S.code("'\n");
  for (unsigned N = 0; N < P.Bindings.size(); ++N) {
    writeRules(S, N, P.Bindings[N]);
    writeBinding(S, N, P.Bindings[N], Remote, !sandboxMachines(P).empty());
  }
  for (unsigned N = 0; N < P.Stages.size(); ++N)
    if (!ir::stageRecordPath(P.Stages[N]).empty())
      writeRecord(S, P, N);
  if (!shellWorktrees(P).empty())
    writeWorktrees(S, P);
}

/// "name=<word>; "
static ShellText &assign(ShellText &S, StringRef Name, StringRef Value) {
  return S.code(Name).code("=").word(Value).code("; ");
}

static std::string seconds(double S) {
  return S <= 0 ? "0" : fmt::format("{}", S);
}

/// The shell word of a sandbox directory, resolved when the script runs:
/// here, or on another machine (\p Remote: the task's remote worktree or
/// W, W, the remote run directory, the remote program's directory).
static const char *dirWord(ir::SandboxDir D, bool Remote = false) {
  switch (D) {
  case ir::SandboxDir::WorkDir:
    return Remote ? "\"$connector_rwork\"" : "\"$connector_workdir\"";
  case ir::SandboxDir::ProjectRoot:
    return Remote ? "\"$connector_w\"" : "\"$connector_root\"";
  case ir::SandboxDir::RunDir:
    return Remote ? "\"$connector_r\"" : "\"$connector_run_dir\"";
  case ir::SandboxDir::ProgramDir:
    return Remote ? "\"$connector_rprogdir\"" : "\"$connector_progdir\"";
  case ir::SandboxDir::Home:
    return Remote ? "\"$HOME\"" : "\"$connector_home\"";
  case ir::SandboxDir::UserPath:
    return "";
  }
  return "";
}

/// A sandbox's user path (ir::expandUserPath) as the text of one shell word
/// that a POSIX shell expands to it: "$HOME"'/.codex',
/// "${CODEX_HOME:-$HOME/.codex}", '/opt/cache'. The forms a shell can
/// expand safely only: "~", "~/...", "/...", and "${NAME:-~/...}..." or
/// "${NAME:-/...}..." with a default of plain path characters; std::nullopt
/// for the others (the runtime alone binds those).
static std::optional<std::string> userPathWord(StringRef Entry) {
  auto Plain = [](StringRef S) {
    return llvm::all_of(S, [](char C) {
      return llvm::isAlnum(C) || C == '/' || C == '.' || C == '_' || C == '-';
    });
  };
  auto Home = [&](StringRef Rest) -> std::optional<std::string> {
    if (Rest == "~")
      return std::string("\"$HOME\"");
    if (Rest.consume_front("~/"))
      return "\"$HOME\"" + shellQuote(("/" + Rest).str());
    if (Rest.startswith("/"))
      return shellQuote(Rest);
    return std::nullopt;
  };
  StringRef Rest = Entry;
  if (!Rest.consume_front("${"))
    return Home(Rest);
  size_t End = Rest.find('}');
  if (End == StringRef::npos)
    return std::nullopt;
  auto [Name, Default] = Rest.take_front(End).split(":-");
  StringRef After = Rest.drop_front(End + 1);
  bool Named = !Name.empty() && !llvm::isDigit(Name.front()) &&
               llvm::all_of(Name, [](char C) {
                 return llvm::isAlnum(C) || C == '_';
               });
  if (!Named || !Plain(Default) ||
      !(Default == "~" || Default.startswith("~/") || Default.startswith("/")))
    return std::nullopt;
  std::string Fallback = Default.startswith("~")
                             ? "$HOME" + Default.drop_front().str()
                             : Default.str();
  return "\"${" + Name.str() + ":-" + Fallback + "}\"" +
         (After.empty() ? "" : shellQuote(After));
}

/// The provider state of every candidate of \p Task (the sandbox of a
/// task's shell function serves each of its candidates).
static std::vector<std::string> candidateState(const ir::Plan &P,
                                               const ir::Task &Task) {
  std::vector<std::string> State;
  for (unsigned C : Task.Candidates)
    if (C < P.Bindings.size())
      for (const std::string &Path : P.Bindings[C].SandboxState)
        if (!llvm::is_contained(State, Path))
          State.push_back(Path);
  return State;
}

/// The names of the script's environment a sandboxed agent of \p Task gets
/// (the runtime's rule, docs/run.md "Sandbox", for each of its candidates):
/// a baseline, the runner's CONNECTOR_* variables, each candidate's
/// credentials, sandbox variables and tuning, the names its env takes from
/// the environment, and session.env_pass. Only names a shell can expand.
static std::vector<std::string> sandboxEnvNames(const ir::Plan &P,
                                                const ir::Task &Task) {
  std::vector<std::string> Names = {
      "PATH", "HOME", "TERM", "COLORTERM", "LANG", "LANGUAGE", "TZ", "USER",
      "LOGNAME", "SHELL", "NO_COLOR", "LC_ALL", "LC_CTYPE", "LC_MESSAGES",
      "LC_COLLATE", "LC_NUMERIC", "LC_TIME", "CONNECTOR_RUN_DIR",
      "CONNECTOR_SCRATCHPAD", "CONNECTOR_TASK", "CONNECTOR_INPUTS",
      "CONNECTOR_OUTPUT", "CONNECTOR_UNTIL", "CONNECTOR_SIM_AS",
      "CONNECTOR_SIM_FAIL", "CONNECTOR_MAIL_DIR", "CONNECTOR_MAIL_NAME",
      "CONNECTOR_MCP_CONFIG"};
  auto Add = [&Names](llvm::StringRef N) {
    bool Ok = !N.empty() && !llvm::isDigit(N.front()) &&
              llvm::all_of(N, [](char C) { return llvm::isAlnum(C) || C == '_'; });
    if (Ok && !llvm::is_contained(Names, N))
      Names.push_back(N.str());
  };
  for (unsigned C : Task.Candidates) {
    if (C >= P.Bindings.size())
      continue;
    const ir::ModelBinding &B = P.Bindings[C];
    for (const std::string &N : B.EnvKeys)
      Add(N);
    for (const std::string &N : B.SandboxEnv)
      Add(N);
    for (const auto &KV : B.SetEnv)
      Add(KV.first);
    for (const auto &[Name, Value] : B.Env)
      if (StringRef V = Value; V.startswith("${") && V.endswith("}"))
        Add(V.drop_front(2).drop_back());
  }
  for (const std::string &N : Task.Session.EnvPass)
    Add(N);
  if (Task.Session.Sandbox.Network == ir::SandboxNet::Full)
    for (const char *N : {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
                          "http_proxy", "https_proxy", "no_proxy", "all_proxy"})
      Add(N);
  return Names;
}

/// The task's sandbox: connector_sandbox runs its arguments under bwrap with
/// the argv of ir/SandboxLayout.h (the runtime's), resolved here and now:
/// a bind that needs its path to exist is bwrap's --bind-try/--ro-bind-try,
/// one that matters only where the sandbox hides (/tmp, the home) is made
/// when connector_hidden says so.
static void writeSandbox(ShellText &S, const ir::Plan &P,
                         const ir::Task &Task) {
  const ir::TaskSession &Session = Task.Session;
  const ir::SandboxProfile &Box = Session.Sandbox;
  if (!Box.Enabled) {
    S.code("connector_sandboxed=; ");
    return;
  }
  using ir::SandboxArg;
  ir::SandboxTask Shape;
  Shape.WorkDirIsProject = Session.Worktree.empty();
  Shape.Mailbox = Task.Mailbox;
  Shape.State = candidateState(P, Task);
  std::vector<SandboxArg> Layout = ir::sandboxLayout(Box, Shape);
  S.code("connector_sandbox() { connector_find_bwrap || exit 126; "
         "connector_progdir=$(command -v -- \"$1\") || connector_progdir=; "
         "connector_progdir=${connector_progdir%/*}; "
         "connector_home=${HOME%/}; ");
  auto Path = [&](const SandboxArg &A) {
    S.code(dirWord(A.Dir));
    if (!A.Sub.empty())
      S.code("/").word(A.Sub);
  };
  for (unsigned I = 0; I < Layout.size(); ++I) {
    const SandboxArg &A = Layout[I];
    bool Single = A.K == SandboxArg::Kind::Tmpfs ||
                  A.K == SandboxArg::Kind::RemountRo;
    bool Check = A.Cond == SandboxArg::When::IfHidden ||
                 (Single && A.Cond == SandboxArg::When::IfExists);
    if (!Check)
      continue;
    S.code(fmt::format("connector_t{}=; ", I));
    if (A.Cond == SandboxArg::When::IfHidden)
      S.code("connector_hidden ");
    else
      S.code("[ -d ");
    Path(A);
    S.code(A.Cond == SandboxArg::When::IfHidden ? "" : " ]")
        .code(fmt::format(" && connector_t{}=1; ", I));
  }
  // Only these of the script's environment (the binding's own variables
  // are set inside, by `env`).
  S.code("connector_keepenv");
  for (const std::string &N : sandboxEnvNames(P, Task))
    S.code(" " + N);
  S.code("; eval \"set -- --clearenv $connector_kept -- \\\"\\$@\\\"\"; ");
  S.code("connector_run \"$connector_bwrap\"");
  for (unsigned I = 0; I < Layout.size(); ++I) {
    const SandboxArg &A = Layout[I];
    if (A.K == SandboxArg::Kind::Literal) {
      // The final "--" comes with the environment (connector_keepenv).
      if (I + 1 != Layout.size())
        S.code(" ").word(A.Text);
      continue;
    }
    bool Bind = A.K == SandboxArg::Kind::Bind;
    if (A.Dir == ir::SandboxDir::UserPath) {
      std::optional<std::string> W = userPathWord(A.Sub);
      if (!W)
        continue;
      S.code(Bind ? " --bind-try " : " --ro-bind-try ")
          .code(*W)
          .code(" ")
          .code(*W);
      continue;
    }
    if (A.K == SandboxArg::Kind::Tmpfs && A.Dir == ir::SandboxDir::Home) {
      S.code(" ${connector_home:+--tmpfs \"$connector_home\"}");
      continue;
    }
    if (A.K == SandboxArg::Kind::Tmpfs || A.K == SandboxArg::Kind::RemountRo) {
      S.code(fmt::format(" ${{connector_t{}:+", I))
          .code(A.K == SandboxArg::Kind::Tmpfs ? "--tmpfs " : "--remount-ro ");
      Path(A);
      S.code("}");
      continue;
    }
    if (A.Cond == SandboxArg::When::IfHidden) {
      S.code(fmt::format(" ${{connector_t{}:+", I))
          .code(Bind ? "--bind " : "--ro-bind ");
      Path(A);
      S.code(" ");
      Path(A);
      S.code("}");
      continue;
    }
    bool Try = A.Cond == SandboxArg::When::IfExists;
    S.code(Bind ? " --bind" : " --ro-bind").code(Try ? "-try " : " ");
    Path(A);
    S.code(" ");
    Path(A);
  }
  S.code(" \"$@\"; }; connector_sandboxed=1; ");
}

/// Appends to connector_rbox the remote words of one layout of bwrap's
/// argv (ir/SandboxLayout.h, as runtime/executor/Request.cpp resolves it for another
/// machine): /usr/bin/bwrap, then the layout's words, its binds through
/// connector_rbind (bwrap's --bind-try for a path that may not exist there).
/// What only matters where the sandbox hides (/tmp, the home) is bound
/// there whether or not it is hidden (binding a visible directory over
/// itself changes nothing); the home and user paths are the remote shell's
/// to expand ("$HOME").
static void writeRemoteLayout(ShellText &S,
                              const std::vector<ir::SandboxArg> &Layout) {
  using ir::SandboxArg;
  std::string Pending = shellQuote(ir::RemoteBwrap) + " ";
  auto Flush = [&] {
    if (Pending.empty())
      return;
    S.code("connector_rbox=$connector_rbox").word(Pending).code("; ");
    Pending.clear();
  };
  for (const SandboxArg &A : Layout) {
    if (A.K == SandboxArg::Kind::Literal) {
      Pending += shellQuote(A.Text) + " ";
      continue;
    }
    bool Bind = A.K == SandboxArg::Kind::Bind;
    if (A.Dir == ir::SandboxDir::UserPath) {
      if (std::optional<std::string> W = userPathWord(A.Sub))
        Pending += std::string(Bind ? "--bind-try " : "--ro-bind-try ") + *W +
                   " " + *W + " ";
      continue;
    }
    if (A.K == SandboxArg::Kind::Tmpfs && A.Dir == ir::SandboxDir::Home) {
      Pending += "--tmpfs \"$HOME\" ";
      continue;
    }
    Flush();
    if (A.K == SandboxArg::Kind::Tmpfs || A.K == SandboxArg::Kind::RemountRo) {
      // The remote run directory is in W/.connector: it is there.
      S.code(A.K == SandboxArg::Kind::Tmpfs ? "connector_rbind --tmpfs "
                                            : "connector_rbind --remount-ro ")
          .code(dirWord(A.Dir, /*Remote=*/true))
          .code(" ")
          .word(A.Sub)
          .code(" 1; ");
      continue;
    }
    bool Try = A.Cond != SandboxArg::When::Always;
    S.code(Bind ? "connector_rbind --bind" : "connector_rbind --ro-bind")
        .code(Try ? "-try " : " ")
        .code(dirWord(A.Dir, /*Remote=*/true))
        .code(" ")
        .word(A.Sub)
        .code("; ");
  }
  Flush();
}

/// connector_rsandbox: connector_rbox, the remote words of the task's
/// sandbox on the machine it is on (connector_agent). Without a worktree
/// there the task works in W, which is then the project.
static void writeRemoteSandbox(ShellText &S, const ir::Plan &P,
                               const ir::Task &Task) {
  S.code("connector_rsandbox() { connector_rprogdir=; case $connector_rprog "
         "in */*) connector_rprogdir=${connector_rprog%/*} ;; esac; ");
  ir::SandboxTask Shape;
  Shape.State = candidateState(P, Task);
  auto Layout = [&](bool InProject) {
    Shape.WorkDirIsProject = InProject;
    writeRemoteLayout(S, ir::sandboxLayout(Task.Session.Sandbox, Shape));
  };
  if (Task.Session.Worktree.empty()) {
    Layout(true);
  } else {
    S.code("if [ \"$connector_rwork\" = \"$connector_w\" ]; then ");
    Layout(true);
    S.code("else ");
    Layout(false);
    S.code("fi; ");
  }
  S.code("}; ");
}

/// The ':'-joined answer files \p Files, under the run directory \p RunVar.
static void writeInputs(ShellText &S, const std::vector<std::string> &Files,
                        StringRef RunVar) {
  for (unsigned I = 0; I < Files.size(); ++I) {
    if (I)
      S.word(":");
    S.runPath(Files[I], RunVar);
  }
  if (Files.empty())
    S.word("");
}

/// '\'-escapes what find's -path would read as a pattern.
static std::string globLiteral(StringRef Path) {
  std::string Out;
  for (char C : Path) {
    if (C == '*' || C == '?' || C == '[' || C == '\\')
      Out += '\\';
    Out += C;
  }
  return Out;
}

/// A task that may run on another machine: its machines in order
/// (connector_machines: numbers into the plan's table, and 'local'),
/// connector_paths, which sets its inputs and prompt for the run directory
/// of the machine it is on (connector_prun: RUN_DIR, or R), the tar of its
/// inputs (connector_tar_inputs) and its answer as a find pattern.
static void writeRemoteTask(ShellText &S, const ir::Plan &P,
                            const ir::Task &Task,
                            const std::vector<std::string> &Files,
                            int TreeMachine) {
  if (Task.Session.Sandbox.Enabled)
    writeRemoteSandbox(S, P, Task);
  S.code("connector_wt_m=" +
         (TreeMachine < 0 ? std::string() : std::to_string(TreeMachine)) +
         "; connector_machines='");
  for (unsigned I = 0; I < Task.Machines.size(); ++I) {
    if (I)
      S.code(" ");
    if (Task.Machines[I] == "local") {
      S.code("local");
      continue;
    }
    const ir::Machine *M = findMachine(P, Task.Machines[I]);
    S.code(std::to_string(M - P.Machines.data()));
  }
  S.code("'; connector_paths() { connector_inputs=");
  writeInputs(S, Files, "connector_prun");
  S.code("; connector_prompt=").prompt(Task.Prompt, "connector_prun");
  S.code("; }; connector_tar_inputs() { tar -cf - ");
  if (Files.empty())
    S.code("-T /dev/null");
  else
    S.code("-C \"$RUN_DIR\"");
  // "./": a name that starts with '-' is not an option.
  for (const std::string &F : Files)
    S.code(" ").word("./" + F);
  S.code("; }; connector_outglob=").word(globLiteral(Task.Output)).code("; ");
}

void connectorc::writeTaskCall(ShellText &S, const ir::Plan &P, unsigned T) {
  const ir::Task &Task = P.Tasks[T];
  const ir::PlanStage &Stage = P.Stages[Task.Stage];
  bool LastOfStage = !Stage.Tasks.empty() && Stage.Tasks.back() == T;
  bool Recorded = !ir::stageRecordPath(Stage).empty();
  std::vector<unsigned> Inputs = ir::taskInputs(P, T);
  std::vector<std::string> Files = ir::inputFiles(P, T);
  assign(S, "connector_id", Task.Id);
  assign(S, "connector_out", Task.Output);
  // A dialogue's or meeting's output is its record (connector_record_N).
  assign(S, "connector_stage_out",
         LastOfStage && !Recorded ? Stage.Output : "");
  S.code("connector_record=" +
         (Recorded ? std::to_string(Task.Stage) : std::string()) + "; ");
  S.code("connector_timeout=" + seconds(Task.TimeoutS) + "; ");
  S.code(fmt::format("connector_retries={}; ", Task.Retries));
  assign(S, "connector_until", Task.Until);
  S.code(fmt::format("connector_until_mark=until-{}; ", Task.Stage));
  assign(S, "connector_cwd", Task.Session.Cwd);
  writeSandbox(S, P, Task);
  assign(S, "connector_setup", llvm::join(Task.Session.Setup, "\n"));
  std::vector<ShellWorktree> Trees = shellWorktrees(P);
  S.code("connector_wt=");
  int TreeMachine = -1;
  for (unsigned W = 0; W < Trees.size(); ++W)
    if (llvm::is_contained(Trees[W].Tasks, T)) {
      S.code(std::to_string(W));
      TreeMachine = worktreeMachine(P, Trees[W]);
    }
  S.code("; ");
  if (isRemote(Task)) {
    writeRemoteTask(S, P, Task, Files, TreeMachine);
  } else {
    if (S.dialect() == ShellText::Dialect::Sh)
      S.code("connector_machines=; ");
    S.code("connector_inputs=");
    writeInputs(S, Files, "RUN_DIR");
    S.code("; connector_prompt=").prompt(Task.Prompt).code("; ");
  }
  S.code(fmt::format("connector_task {}", T));
  // Make runs a recipe only once its prerequisites' recipes have succeeded
  // (or their answers were there already): only the script checks.
  if (S.dialect() == ShellText::Dialect::Sh)
    for (unsigned D : Inputs)
      S.code(fmt::format(" {}", D));
  S.code(" --");
  for (unsigned C : Task.Candidates)
    S.code(fmt::format(" {}", C));
}
