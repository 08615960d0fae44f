//===- ShellRunner.cpp - the shell code the sh and make backends share ----===//
//
// The runner mirrors runtime/Executor.cpp and runtime/Request.cpp in POSIX
// shell; where it is simpler (no cool-down shared between tasks, no jitter,
// the answer is standard output rather than a terminal's), docs/backends.md
// says so.
//
//===----------------------------------------------------------------------===//
#include "backends/ShellRunner.h"
#include "backends/ShellQuote.h"

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

ShellText &ShellText::runPath(StringRef RunRelative) {
  return code("\"$RUN_DIR\"/").word(RunRelative);
}

ShellText &ShellText::prompt(StringRef Prompt) {
  std::string Literal;
  bool Any = false;
  auto Flush = [&] {
    if (!Literal.empty())
      word(Literal);
    Any |= !Literal.empty();
    Literal.clear();
  };
  for (size_t I = 0; I < Prompt.size(); ++I) {
    StringRef Rest = Prompt.substr(I);
    if (Rest.startswith("{{") || Rest.startswith("}}")) {
      Literal += Rest[0];
      ++I;
    } else if (Rest.startswith("{run}")) {
      Flush();
      code("\"$RUN_DIR\"");
      Any = true;
      I += 4;
    } else if (Rest.startswith("{scratchpad}")) {
      Flush();
      code("\"$RUN_DIR/scratchpad\"");
      Any = true;
      I += 11;
    } else {
      Literal += Rest[0];
    }
  }
  Flush();
  if (!Any)
    word("");
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

static std::string sessionProblem(const ir::Task &T) {
  if (!T.Session.Worktree.empty())
    return "asks for a git worktree ('" + T.Session.Worktree + "')";
  if (!T.Machines.empty() && T.Machines.front() != "local")
    return "runs on machine '" + T.Machines.front() + "' (over SSH)";
  return "";
}

static std::string bindingProblem(const ir::ModelBinding &B) {
  if (B.Via == ir::PromptVia::Type)
    return "uses model '" + B.Id +
           "', an interactive terminal program that is typed its prompt "
           "(prompt_via \"type\") and needs a terminal";
  if (!B.AnswerJsonField.empty())
    return "uses model '" + B.Id +
           "', whose answer is a member of the JSON it prints "
           "(answer_json_field)";
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
    std::string Why = sessionProblem(T);
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

/// The functions every task uses. Shell code of our own only: untrusted text
/// reaches it through the connector_* variables and the binding functions.
static constexpr const char *RunnerFunctions = R"SH(
connector_log() {
  printf 'connector: %s: %s\n' "$connector_id" "$1" >&2
}

# connector_status WORD: this task's state, for its dependants.
connector_status() {
  printf '%s\n' "$1" >"$RUN_DIR/.state/$connector_index"
}

# connector_done INDEX: whether task INDEX is done (answered, or a dialogue
# turn after the end).
connector_done() {
  connector_state=
  read -r connector_state <"$RUN_DIR/.state/$1" 2>/dev/null
  [ "$connector_state" = 'done' ]
}

# connector_copy FROM TO: TO gets FROM's bytes atomically (temporary + mv);
# TO's directory exists.
connector_copy() {
  cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
}

# connector_run COMMAND...: becomes the command, in the task's sandbox when it
# has one, under the task's timeout (SIGTERM, then SIGKILL 5 s later); the
# last thing an attempt's subshell does.
connector_run() {
  if [ -n "$connector_sandboxed" ]; then
    connector_sandboxed=
    connector_sandbox "$@" # The task's; it calls connector_run again.
  fi
  if [ "$connector_timeout" = 0 ]; then
    exec "$@"
  fi
  exec timeout -k 5 "$connector_timeout" "$@"
}

# connector_window: the last non-blank lines of the attempt's output, which
# the failure rules are matched against.
connector_window() {
  awk -v n="$connector_lines" 'NF { l[c++ % n] = $0 }
    END { for (i = (c > n ? c - n : 0); i < c; i++) print l[i % n] }' \
    "$connector_dir/output.md.tmp" "$connector_dir/stderr.tmp" \
    >"$connector_dir/window.tmp"
}

# connector_rule KIND CODES PATTERN: whether the attempt's output matches this
# failure rule of the binding (CODES: the exit statuses it applies to, blank
# for any; PATTERN: a POSIX ERE, matched case-insensitively, blank for any).
connector_rule() {
  if [ -n "$2" ]; then
    case " $2 " in
    *" $connector_rc "*) ;;
    *) return 1 ;;
    esac
  fi
  if [ -n "$3" ] &&
    ! grep -Eiq -e "$connector_anchor($3)" "$connector_dir/window.tmp"; then
    return 1
  fi
  connector_kind=$1
}

# connector_attempt BINDING: one attempt on a binding; sets connector_rc.
connector_attempt() {
  (
    CONNECTOR_RUN_DIR=$connector_run_dir
    CONNECTOR_SCRATCHPAD=$RUN_DIR/scratchpad
    CONNECTOR_TASK=$connector_id
    CONNECTOR_INPUTS=$connector_inputs
    CONNECTOR_OUTPUT=$connector_answer
    export CONNECTOR_RUN_DIR CONNECTOR_SCRATCHPAD CONNECTOR_TASK \
      CONNECTOR_INPUTS CONNECTOR_OUTPUT
    # What the sh or make backend itself uses stays out of the agent's.
    unset CONNECTOR_SIM_AS CONNECTOR_SIM_FAIL CONNECTOR_RUNNER CONNECTOR_NL \
      RUN_DIR
    if [ -d "$connector_root" ]; then
      cd "$connector_root/$connector_cwd" || exit 127
    fi
    "connector_binding_$1"
  ) >"$connector_dir/output.md.tmp" 2>"$connector_dir/stderr.tmp" &
  # In the background, so that an interrupt can end it (connector_interrupt).
  connector_pid=$!
  wait "$connector_pid"
  connector_rc=$?
  connector_pid=
  cat "$connector_dir/output.md.tmp" "$connector_dir/stderr.tmp" \
    >>"$connector_dir/transcript.log"
}

# connector_classify BINDING: what the attempt's end means (connector_kind):
# ok; task (retry on the same model); provider (next candidate); dead (next
# candidate, and never this one again).
connector_classify() {
  connector_kind=
  if [ "$connector_timeout" != 0 ] && [ "$connector_rc" = 124 ]; then
    connector_kind=task
    return
  fi
  # After a clean exit only a line that starts with the message counts.
  connector_anchor=
  connector_lines=64
  if [ "$connector_rc" = 0 ]; then
    connector_anchor='^[[:space:][]*'
    connector_lines=32
  fi
  "connector_rules_$1"
  case $connector_kind in
  auth | context) connector_kind=dead ;;
  ?*) connector_kind=provider ;;
  *)
    if [ "$connector_rc" = 126 ] || [ "$connector_rc" = 127 ]; then
      connector_kind=dead
    elif [ "$connector_rc" -gt 128 ]; then
      connector_kind=task
    elif [ ! -s "$connector_dir/output.md.tmp" ]; then
      connector_kind=provider
    elif [ "$connector_rc" != 0 ]; then
      connector_kind=task
    else
      connector_kind=ok
    fi
    ;;
  esac
}

connector_fail() {
  connector_log "failed: $1"
  connector_status failed
  return 1
}

# connector_succeed: the answer goes where `connectorc run` puts it.
connector_succeed() {
  # A hard link, as the runtime makes: the name appears with the whole answer.
  if ! mv -f "$connector_dir/output.md.tmp" "$connector_dir/output.md" ||
    ! ln -f "$connector_dir/output.md" "$connector_answer"; then
    connector_fail 'cannot write the answer'
    return
  fi
  if [ -n "$connector_phase_answer" ] &&
    ! connector_copy "$connector_dir/output.md" "$connector_phase_answer"; then
    connector_fail 'cannot write the phase output'
    return
  fi
  if [ -n "$connector_until" ] &&
    grep -qF -e "$connector_until" "$connector_answer"; then
    : >"$RUN_DIR/.state/$connector_until_mark"
  fi
  connector_log succeeded
  connector_status 'done'
}

# connector_tries CANDIDATE...: the failover chain. A provider failure moves
# on to the next candidate; a task failure is retried on the same one up to
# connector_retries times; the list is tried 3 times in all, with a back-off
# (4 s, 8 s) between passes, while a candidate is left that may still work.
connector_tries() {
  connector_retry=0
  connector_round=1
  connector_dead=' '
  while :; do
    connector_alive=
    for connector_b in "$@"; do
      case $connector_dead in
      *" $connector_b "*) continue ;;
      esac
      while :; do
        connector_attempt "$connector_b"
        connector_classify "$connector_b"
        connector_binding_name "$connector_b"
        connector_log "$connector_bname: $connector_kind (exit status $connector_rc)"
        case $connector_kind in
        ok)
          connector_succeed
          return
          ;;
        dead)
          connector_dead="$connector_dead$connector_b "
          break
          ;;
        provider)
          connector_alive=1
          break
          ;;
        esac
        if [ "$connector_retry" -ge "$connector_retries" ]; then
          rm -f "$connector_dir/output.md.tmp"
          connector_fail 'the task failed'
          return
        fi
        connector_retry=$((connector_retry + 1))
      done
    done
    if [ -z "$connector_alive" ] || [ "$connector_round" -ge 3 ]; then
      rm -f "$connector_dir/output.md.tmp"
      connector_fail 'every candidate failed'
      return
    fi
    sleep $((2 << connector_round))
    connector_round=$((connector_round + 1))
  done
}

# connector_interrupt: SIGINT or SIGTERM ends the attempt (with timeout, its
# own process group) and the task.
connector_interrupt() {
  if [ -n "$connector_pid" ]; then
    kill -TERM -- "-$connector_pid" 2>/dev/null ||
      kill -TERM "$connector_pid" 2>/dev/null
  fi
  connector_log interrupted
  connector_status interrupted
  exit 130
}

# connector_task INDEX DEP... -- CANDIDATE...: runs the task the connector_*
# variables describe, unless its answer exists already (then it is done).
connector_task() {
  connector_index=$1
  shift
  connector_run_dir=$RUN_DIR
  connector_pid=
  trap connector_interrupt INT TERM
  connector_dir=$RUN_DIR/sessions/$connector_id
  connector_answer=$RUN_DIR/$connector_out
  connector_phase_answer=${connector_stage_out:+$RUN_DIR/$connector_stage_out}
  mkdir -p "$connector_dir" "$RUN_DIR/.state" "${connector_answer%/*}" \
    ${connector_phase_answer:+"${connector_phase_answer%/*}"} || return
  if [ -e "$connector_answer" ]; then
    connector_status 'done'
    return
  fi
  while [ "$1" != -- ]; do
    if ! connector_done "$1"; then
      connector_log 'skipped: a dependency failed'
      connector_status skipped
      return 1
    fi
    shift
  done
  shift
  if [ -n "$connector_until" ] &&
    [ -e "$RUN_DIR/.state/$connector_until_mark" ]; then
    connector_log 'skipped: the dialogue has ended (until)'
    connector_status 'done'
    return
  fi
  printf '%s' "$connector_prompt" >"$connector_dir/prompt.md" || return
  connector_tries "$@"
}
)SH";

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

/// One argv element: "{connectorc}" is the connectorc binary (CONNECTORC
/// overrides the one that built the script); "{prompt}" the prompt when the
/// binding takes it as an argument.
static void writeArg(ShellText &S, StringRef Arg, bool PromptArg) {
  bool Any = false;
  while (!Arg.empty()) {
    size_t Self = Arg.find("{connectorc}");
    size_t Prompt = PromptArg ? Arg.find("{prompt}") : StringRef::npos;
    size_t At = std::min(Self, Prompt);
    if (At == StringRef::npos)
      break;
    if (At > 0)
      S.word(Arg.take_front(At));
    bool IsSelf = At == Self;
    S.code(IsSelf ? "\"${CONNECTORC:-$connector_self}\""
                  : "\"$connector_prompt\"");
    Arg = Arg.drop_front(At + (IsSelf ? 12 : 8));
    Any = true;
  }
  if (!Arg.empty() || !Any)
    S.word(Arg);
}

/// connector_binding_<N>: runs the model's command with its environment
/// (through `env` when the plan sets variables: their names are untrusted
/// too, and `env NAME=VALUE` takes them as one quoted word).
static void writeBinding(ShellText &S, unsigned N, const ir::ModelBinding &B) {
  S.code(fmt::format("\nconnector_binding_{}() {{\n", N));
  if (B.Simulated)
    S.code("  CONNECTOR_SIM_AS=")
        .word(B.Id)
        .code("\n  export CONNECTOR_SIM_AS\n");
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
}

void connectorc::writeShellRunner(ShellText &S, const ir::Plan &P,
                                  const EmitOptions &Opts) {
  bool UsesSelf = llvm::any_of(P.Bindings, [](const ir::ModelBinding &B) {
    return llvm::any_of(
        B.Argv, [](llvm::StringRef A) { return A.contains("{connectorc}"); });
  });
  if (UsesSelf)
    S.code("connector_self=").word(Opts.SelfExe).code("\n");
  S.code("connector_root=").word(P.ProjectRoot).code("\n");
  S.code(RunnerFunctions);
  S.code("\nconnector_binding_name() {\n  case $1 in\n");
  for (unsigned N = 0; N < P.Bindings.size(); ++N) {
    S.code(fmt::format("  {}) connector_bname=", N))
        .word(P.Bindings[N].Id)
        .code(" ;;\n");
  }
  S.code("  esac\n}\n");
  for (unsigned N = 0; N < P.Bindings.size(); ++N) {
    writeRules(S, N, P.Bindings[N]);
    writeBinding(S, N, P.Bindings[N]);
  }
}

/// "name=<word>; "
static ShellText &assign(ShellText &S, StringRef Name, StringRef Value) {
  return S.code(Name).code("=").word(Value).code("; ");
}

static std::string seconds(double S) {
  return S <= 0 ? "0" : fmt::format("{}", S);
}

/// The task's sandbox (bubblewrap): the whole file system read-only, a
/// private /tmp and /dev, the run directory and the profile's `write` paths
/// (project-relative) writable, no network unless the profile allows it.
static void writeSandbox(ShellText &S, const ir::SandboxProfile &Box) {
  if (!Box.Enabled) {
    S.code("connector_sandboxed=; ");
    return;
  }
  S.code("connector_sandbox() { connector_run bwrap --ro-bind / / --dev /dev "
         "--proc /proc --tmpfs /tmp --bind \"$connector_run_dir\" "
         "\"$connector_run_dir\"");
  for (const std::string &W : Box.Write) {
    S.code(" --bind-try \"$connector_root\"/").word(W);
    S.code(" \"$connector_root\"/").word(W);
  }
  S.code(Box.Network ? "" : " --unshare-net");
  S.code(" --die-with-parent --new-session -- \"$@\"; }; "
         "connector_sandboxed=1; ");
}

void connectorc::writeTaskCall(ShellText &S, const ir::Plan &P, unsigned T) {
  const ir::Task &Task = P.Tasks[T];
  const ir::PlanStage &Stage = P.Stages[Task.Stage];
  bool LastOfStage = !Stage.Tasks.empty() && Stage.Tasks.back() == T;
  std::vector<unsigned> Inputs = ir::taskInputs(P, T);
  assign(S, "connector_id", Task.Id);
  assign(S, "connector_out", Task.Output);
  assign(S, "connector_stage_out", LastOfStage ? Stage.Output : "");
  S.code("connector_timeout=" + seconds(Task.TimeoutS) + "; ");
  S.code(fmt::format("connector_retries={}; ", Task.Retries));
  assign(S, "connector_until", Task.Until);
  S.code(fmt::format("connector_until_mark=until-{}; ", Task.Stage));
  assign(S, "connector_cwd", Task.Session.Cwd);
  writeSandbox(S, Task.Session.Sandbox);
  S.code("connector_inputs=");
  for (unsigned I = 0; I < Inputs.size(); ++I) {
    if (I)
      S.word(":");
    S.runPath(P.Tasks[Inputs[I]].Output);
  }
  if (Inputs.empty())
    S.word("");
  S.code("; connector_prompt=").prompt(Task.Prompt).code("; ");
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
