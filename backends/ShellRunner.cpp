//===- ShellRunner.cpp - the shell code the sh and make backends share ----===//
//
// The runner mirrors runtime/Executor.cpp and runtime/Request.cpp in POSIX
// shell; where it is simpler (no cool-down shared between tasks, no jitter,
// the answer is standard output rather than a terminal's), docs/backends.md
// says so.
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

/// The functions every task uses. Shell code of our own only: untrusted text
/// reaches it through the connector_* variables and the binding functions.
static constexpr const char *RunnerFunctions = R"SH(
# connector_find_bwrap: connector_bwrap is bwrap's absolute path, as
# runtime/Sandbox.cpp finds it: $CONNECTOR_BWRAP when set (an absolute path
# to an executable, else none), else from the system's own directories only
# (never PATH); when there is none, connector_bwrap_why says why.
connector_find_bwrap() {
  connector_bwrap=
  if [ -n "${CONNECTOR_BWRAP+set}" ]; then
    case $CONNECTOR_BWRAP in
    /*) ;;
    *)
      connector_bwrap_why="CONNECTOR_BWRAP must be an absolute path, not '$CONNECTOR_BWRAP'"
      return 1
      ;;
    esac
    if [ -d "$CONNECTOR_BWRAP" ] || [ ! -x "$CONNECTOR_BWRAP" ]; then
      connector_bwrap_why="bubblewrap is not at $CONNECTOR_BWRAP (CONNECTOR_BWRAP): no executable there"
      return 1
    fi
    connector_bwrap=$CONNECTOR_BWRAP
    return 0
  fi
  for connector_bwrap in /usr/bin/bwrap /bin/bwrap /usr/local/bin/bwrap \
    /usr/sbin/bwrap; do
    [ -x "$connector_bwrap" ] && return 0
  done
  connector_bwrap=
  connector_bwrap_why='bubblewrap (bwrap) is not installed in /usr/bin, /bin, /usr/local/bin or /usr/sbin; install it (apt-get install bubblewrap)'
  return 1
}

# connector_probe_bwrap SWITCH: whether bwrap can make a sandbox's namespaces
# here (the runtime's probe); fails closed, with bwrap's own message and the
# runtime's words, unless NO_SANDBOX is set (by SWITCH: --no-sandbox for the
# script, NO_SANDBOX=1 for make).
connector_probe_bwrap() {
  if [ -n "$NO_SANDBOX" ]; then
    echo 'connector: the sandbox is disabled: sandboxed tasks run unsandboxed' >&2
    return 0
  fi
  if ! connector_find_bwrap; then
    echo "connector: the plan sandboxes its agents, but $connector_bwrap_why; or pass $1 to run them unsandboxed, knowingly" >&2
    return 1
  fi
  connector_said=$("$connector_bwrap" --ro-bind / / --dev /dev \
    --proc /proc --unshare-pid --unshare-net --die-with-parent \
    --new-session -- /bin/true 2>&1 >/dev/null) && return 0
  echo "connector: the plan sandboxes its agents, but $connector_bwrap cannot make its namespaces here (exit $?): $connector_said; pass $1 to run them unsandboxed, knowingly" >&2
  return 1
}

# connector_quote WORD: connector_quoted is WORD as one word for a shell (eval, or the
# remote one), by ir::shellQuote's rule: in single quotes, each ' written '\''.
connector_quote() {
  connector_qin=$1
  connector_quoted=
  while :; do
    case $connector_qin in
    *\'*)
      connector_quoted="$connector_quoted${connector_qin%%\'*}'\\''"
      connector_qin=${connector_qin#*\'}
      ;;
    *) break ;;
    esac
  done
  connector_quoted="'$connector_quoted$connector_qin'"
}

# connector_keepenv NAME...: connector_kept holds bwrap's `--setenv NAME
# VALUE` for each NAME that is set, quoted for eval (NAMEs are the
# generator's, identifiers only).
connector_keepenv() {
  connector_kept=
  for connector_n; do
    eval "[ -n \"\${$connector_n+x}\" ]" || continue
    eval "connector_quote \"\$$connector_n\""
    connector_kept="$connector_kept --setenv $connector_n $connector_quoted"
  done
}

# connector_hidden DIR: whether DIR is /tmp or below it, or the home
# directory or below it (a sandbox makes both empty private ones).
connector_hidden() {
  case $1 in
  /tmp | /tmp/*) return 0 ;;
  esac
  [ -n "${HOME%/}" ] || return 1
  case $1 in
  "${HOME%/}" | "${HOME%/}"/*) return 0 ;;
  esac
  return 1
}

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
  if [ -n "$connector_sandboxed" ] && [ -z "$connector_nobox" ]; then
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

# connector_attempt BINDING: one attempt on a binding; sets connector_rc, or
# connector_gone (why) when the task's machines could not be reached.
connector_attempt() {
  connector_gone=
  if [ "$connector_m" != local ] && ! connector_remote_start; then
    return
  fi
  if [ -n "$connector_setup" ] && [ -z "$connector_setup_done" ]; then
    connector_run_setup || return
    connector_setup_done=1
  fi
  (
    CONNECTOR_RUN_DIR=$connector_run_dir
    CONNECTOR_SCRATCHPAD=$RUN_DIR/scratchpad
    CONNECTOR_TASK=$connector_id
    CONNECTOR_INPUTS=$connector_inputs
    CONNECTOR_OUTPUT=$connector_answer
    export CONNECTOR_RUN_DIR CONNECTOR_SCRATCHPAD CONNECTOR_TASK \
      CONNECTOR_INPUTS CONNECTOR_OUTPUT
    unset CONNECTOR_UNTIL
    if [ -n "$connector_until" ]; then
      CONNECTOR_UNTIL=$connector_until
      export CONNECTOR_UNTIL
    fi
    # What the sh or make backend itself uses stays out of the agent's.
    # (connector_agent reads connector_nobox in this subshell.)
    # shellcheck disable=SC2030
    connector_nobox=$NO_SANDBOX
    unset CONNECTOR_SIM_AS CONNECTOR_SIM_FAIL CONNECTOR_RUNNER CONNECTOR_NL \
      RUN_DIR NO_SANDBOX KEEP_WORKTREES
    if [ -d "$connector_workdir" ]; then
      cd "$connector_workdir/$connector_cwd" || exit 127
    fi
    "connector_binding_$1"
  ) >"$connector_dir/output.md.tmp" 2>"$connector_dir/stderr.tmp" &
  # In the background, so that an interrupt can end it (connector_interrupt).
  connector_pid=$!
  wait "$connector_pid"
  connector_rc=$?
  connector_pid=
  if [ "$connector_m" != local ] && ! connector_fetch; then
    connector_rc=255
  fi
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
  if [ "$connector_kind" = ok ]; then
    case $connector_jq in
    *" $1 "*) connector_structured "$1" ;;
    esac
  fi
}

# connector_structured BINDING: the answer is the string that the binding's
# jq program (connector_json_N) finds among the JSON of the output, as the
# runtime finds it: none is a task failure, a blank one an empty answer.
connector_structured() {
  if ! "connector_json_$1" <"$connector_dir/output.md.tmp" \
    >"$connector_dir/answer.tmp" 2>"$connector_dir/jq.tmp"; then
    connector_log "$(tail -n 1 "$connector_dir/jq.tmp")"
    connector_kind=task
    return
  fi
  mv -f "$connector_dir/answer.tmp" "$connector_dir/output.md.tmp" || return
  if ! grep -q '[^[:space:]]' "$connector_dir/output.md.tmp"; then
    connector_kind=provider
  fi
}

# connector_jq_check CANDIDATE...: a task one of whose candidates answers in
# JSON fails before any attempt when there is no jq to read it with.
connector_jq_check() {
  command -v jq >/dev/null 2>&1 && return
  for connector_b in "$@"; do
    case $connector_jq in
    *" $connector_b "*)
      connector_binding_name "$connector_b"
      connector_fail "jq is not installed, and model '$connector_bname' answers in JSON (answer_json_field), which the script reads with jq"
      return
      ;;
    esac
  done
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
  if [ -n "$connector_record" ] && ! "connector_record_$connector_record"; then
    connector_fail 'cannot write the stage record'
    return
  fi
  if [ -n "$connector_until" ] && connector_contains "$connector_answer"; then
    : >"$RUN_DIR/.state/$connector_until_mark"
  fi
  connector_log succeeded
  connector_status 'done'
}

# connector_contains FILE: whether FILE holds connector_until (a substring,
# newlines included, as the runtime looks for it).
connector_contains() {
  connector_text=$(cat "$1" && echo x) || return 1
  case ${connector_text%x} in
  *"$connector_until"*) return 0 ;;
  esac
  return 1
}

# connector_section ANSWER ITEM ITEM_HEADING HEADING: one section of a
# dialogue's transcript or a meeting's minutes (ir::renderStageRecord), when
# the task's ANSWER (run-relative) is there: the item's heading first when
# ITEM is not the one written last, then HEADING, then the answer without
# its trailing newlines ($(...) removes them) and one newline.
connector_section() {
  [ -e "$RUN_DIR/$1" ] || return 0
  if [ "$2" != "$connector_item" ]; then
    connector_item=$2
    printf '%s' "$3"
  fi
  connector_text=$(cat "$RUN_DIR/$1") || return 1
  printf '%s%s\n' "$4" "$connector_text"
}

# connector_record_commit RECORD OUTPUT: the record written by a
# connector_record_N function into the session's directory (never a
# temporary file in the scratchpad) is renamed into place, then copied to
# the stage's OUTPUT when it has one.
connector_record_commit() {
  mkdir -p "$(dirname -- "$RUN_DIR/$1")" &&
    mv -f "$connector_dir/record.tmp" "$RUN_DIR/$1" || return 1
  [ -n "$2" ] || return 0
  mkdir -p "$(dirname -- "$RUN_DIR/$2")" &&
    cp "$RUN_DIR/$1" "$connector_dir/stage.tmp" &&
    mv -f "$connector_dir/stage.tmp" "$RUN_DIR/$2"
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
        if [ -n "$connector_gone" ]; then
          rm -f "$connector_dir/output.md.tmp"
          connector_fail "$connector_gone"
          return
        fi
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
    # The record of a run interrupted between the answer and the record.
    if [ -n "$connector_record" ] && ! "connector_record_$connector_record"; then
      connector_fail 'cannot write the stage record'
      return
    fi
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
  connector_workdir=$connector_root
  if [ -n "$connector_wt" ]; then
    if ! connector_wt_load "$connector_wt" || [ ! -d "$connector_wt_path" ]; then
      connector_fail 'its worktree was not made'
      return
    fi
    connector_workdir=$connector_wt_path
  fi
  connector_setup_done=
  connector_m=local
  if [ -n "${connector_machines-}" ] && ! connector_machine_first; then
    connector_fail "$connector_gone"
    return
  fi
  connector_jq_check "$@" || return
  printf '%s' "$connector_prompt" >"$connector_dir/prompt.md" || return
  connector_tries "$@"
}

# connector_run_setup: session.setup, by /bin/sh with set -e in the task's
# working directory on its machine (connector_remote_setup), outside the
# sandbox, before the first attempt; its output goes to the transcript.
# When it fails, connector_gone says why.
connector_run_setup() {
  if [ "$connector_m" != local ]; then
    connector_remote_setup
  else
    (
      cd "$connector_workdir/$connector_cwd" || exit 127
      if [ "$connector_timeout" = 0 ]; then
        exec /bin/sh -c "set -e
$connector_setup"
      fi
      exec timeout -k 5 "$connector_timeout" /bin/sh -c "set -e
$connector_setup"
    ) </dev/null >"$connector_dir/setup.log" 2>&1
  fi
  connector_rc=$?
  cat "$connector_dir/setup.log" >>"$connector_dir/transcript.log"
  [ "$connector_rc" = 0 ] && return
  connector_last=$(awk 'NF { l = $0 } END { print l }' "$connector_dir/setup.log")
  if [ "$connector_timeout" != 0 ] && [ "$connector_rc" = 124 ]; then
    connector_gone='session.setup timed out'
    return 1
  fi
  connector_gone="session.setup failed (exit $connector_rc)${connector_last:+: $connector_last}"
  return 1
}

# connector_ignore PATH: the innermost .connector directory PATH is in, or
# is, gets a .gitignore of '*' (connector_gitignore) before anything goes
# there, unless it has one (an earlier run's or the user's own is kept), as
# runtime/Files.cpp does: git sees nothing of connectorc's. The script
# (connector_ignore_sh, ir::HideFromGitScript) is the one another machine
# runs for its own .connector/.
connector_ignore() {
  sh -c "$connector_ignore_sh" connectorc "$1" "$connector_gitignore"
}

# connector_git DIR ARG...: git in DIR, as connectorc (never the user's
# hooks or signing).
connector_git() {
  connector_gd=$1
  shift
  git -C "$connector_gd" -c user.name=connectorc \
    -c user.email=connectorc@localhost -c commit.gpgsign=false "$@"
}

# connector_wt_load N: connector_wt_path, _branch, _top and _base of
# worktree N, as connector_wt_add left them.
connector_wt_load() {
  {
    IFS= read -r connector_wt_path && IFS= read -r connector_wt_branch &&
      IFS= read -r connector_wt_top && IFS= read -r connector_wt_base
  } <"$RUN_DIR/.state/wt-$1" 2>/dev/null
}

# connector_wt_add N NAME BRANCH BASE DIR COPY...: makes worktree N (or
# reuses it when its directory is there) in the repository DIR is in:
# <toplevel>/.connector/worktrees/<run-id>/NAME on a new branch BRANCH at
# BASE (BRANCH-2, -3... when BRANCH exists: never reset), then copies in the
# files of the main tree that match a COPY glob and that it lacks.
connector_wt_add() {
  connector_wt_n=$1
  connector_wt_name=$2
  connector_wt_branch=$3
  connector_wt_want=$4
  if ! connector_wt_top=$(git -C "$5" rev-parse --show-toplevel); then
    echo "connector: worktree $2: $5 is not in a git repository" >&2
    return 1
  fi
  shift 5
  connector_wt_path=$connector_wt_top/.connector/worktrees/${RUN_DIR##*/}/$connector_wt_name
  if ! connector_wt_base=$(git -C "$connector_wt_top" rev-parse --verify \
    --quiet "$connector_wt_want^{commit}"); then
    echo "connector: worktree $connector_wt_name: session.base '$connector_wt_want' does not resolve" >&2
    return 1
  fi
  if [ -d "$connector_wt_path" ]; then
    connector_wt_branch=$(git -C "$connector_wt_path" symbolic-ref --short HEAD) ||
      return 1
    echo "connector: worktree $connector_wt_name: reused ($connector_wt_branch)" >&2
  else
    connector_b=$connector_wt_branch
    connector_k=2
    while git -C "$connector_wt_top" show-ref --verify --quiet \
      "refs/heads/$connector_b"; do
      connector_b=$connector_wt_branch-$connector_k
      connector_k=$((connector_k + 1))
    done
    connector_wt_branch=$connector_b
    connector_ignore "$connector_wt_path" || return 1
    git -C "$connector_wt_top" worktree add -q -b "$connector_wt_branch" \
      "$connector_wt_path" "$connector_wt_base" >&2 || return 1
    : >"$RUN_DIR/.state/wt-$connector_wt_n.copied"
    if [ $# -gt 0 ]; then
      connector_wt_copy "$@" || return 1
    fi
    echo "connector: worktree $connector_wt_name: $connector_wt_branch" >&2
  fi
  printf '%s\n' "$connector_wt_path" "$connector_wt_branch" \
    "$connector_wt_top" "$connector_wt_base" >"$RUN_DIR/.state/wt-$connector_wt_n"
}

# connector_wt_copy GLOB...: session.copy. Each file of the main tree (.git
# and .connector left out) whose path matches a GLOB ('*' crosses '/', as
# a case pattern does) and that the worktree lacks is copied in, and listed
# in .state/wt-N.copied (never committed).
connector_wt_copy() {
  (cd "$connector_wt_top" && find . \( -name .git -o -name .connector \) \
    -prune -o \( -type f -o -type l \) -print) | while IFS= read -r connector_f; do
    connector_f=${connector_f#./}
    for connector_g in "$@"; do
      # shellcheck disable=SC2254 # the glob is a pattern on purpose
      case $connector_f in
      $connector_g)
        if [ ! -e "$connector_wt_path/$connector_f" ] &&
          [ ! -L "$connector_wt_path/$connector_f" ]; then
          mkdir -p "$(dirname -- "$connector_wt_path/$connector_f")" &&
            cp -P -- "$connector_wt_top/$connector_f" \
              "$connector_wt_path/$connector_f" &&
            printf '%s\n' "$connector_f" \
              >>"$RUN_DIR/.state/wt-$connector_wt_n.copied" || exit 1
        fi
        break
        ;;
      esac
    done
  done
}

# connector_wt_commit N MESSAGE: commits worktree N's changes on its branch
# (ignored and copied files left out).
connector_wt_commit() {
  if ! connector_wt_load "$1" || [ ! -d "$connector_wt_path" ]; then
    return 0
  fi
  connector_git "$connector_wt_path" add -A || return 1
  while IFS= read -r connector_f; do
    connector_git "$connector_wt_path" --literal-pathspecs rm -q --cached \
      --ignore-unmatch -- "$connector_f" >/dev/null || return 1
  done <"$RUN_DIR/.state/wt-$1.copied"
  connector_git "$connector_wt_path" diff --cached --quiet && return 0
  connector_git "$connector_wt_path" commit -q --no-verify -m "$2"
}

# connector_merge RESULT N...: merges the branches of worktrees N..., in
# order, into RESULT (made at the first one's base when missing), in a
# worktree of its own: the user's checkout is never touched. A branch that
# conflicts is left out (merge aborted) and its files are reported.
connector_merge() {
  connector_result=$1
  shift
  [ $# -gt 0 ] || return 0
  connector_wt_load "$1" || return 1
  connector_top=$connector_wt_top
  if ! git -C "$connector_top" show-ref --verify --quiet \
    "refs/heads/$connector_result"; then
    git -C "$connector_top" branch -q "$connector_result" "$connector_wt_base" ||
      return 1
  fi
  connector_mdir=$RUN_DIR/.state/merge
  rm -rf "$connector_mdir"
  git -C "$connector_top" worktree prune
  git -C "$connector_top" worktree add -q "$connector_mdir" \
    "$connector_result" >&2 || return 1
  for connector_n in "$@"; do
    connector_wt_load "$connector_n" || continue
    if connector_git "$connector_mdir" merge -q --no-edit --no-verify \
      -m "connectorc: merge $connector_wt_branch into $connector_result" \
      "$connector_wt_branch" >/dev/null 2>&1; then
      echo "connector: merged $connector_wt_branch into $connector_result" >&2
    else
      connector_files=$(git -C "$connector_mdir" diff --name-only \
        --diff-filter=U | tr '\n' ' ')
      git -C "$connector_mdir" merge --abort 2>/dev/null ||
        git -C "$connector_mdir" reset -q --hard
      echo "connector: $connector_wt_branch conflicts with $connector_result in: ${connector_files% }; left out (the branch keeps its work)" >&2
    fi
  done
  git -C "$connector_top" worktree remove --force "$connector_mdir"
}

# connector_wt_remove N: removes worktree N (its branch stays).
connector_wt_remove() {
  if ! connector_wt_load "$1" || [ ! -d "$connector_wt_path" ]; then
    return 0
  fi
  git -C "$connector_wt_top" worktree remove --force "$connector_wt_path" &&
    rmdir "${connector_wt_path%/*}" 2>/dev/null
  return 0
}
)SH";

/// What a task on another machine needs (docs/run.md, "Remote tasks"): the
/// script's side of the contract the runtime keeps too. Shell code of our own
/// only; each machine's connector_machine_N and connector_ssh_N hold its
/// untrusted text, and every word of a remote command is quoted: at build
/// time with shellQuote, or, for what only the run knows (the remote
/// directories, the run id, the prompt), with connector_quote, the same rule.
static constexpr const char *RemoteFunctions = R"SH(

# connector_qword WORD: appends WORD, quoted, and a blank to connector_renv.
connector_qword() {
  connector_quote "$1"
  connector_renv="$connector_renv$connector_quoted "
}

# connector_said: connector_sshsaid is the last non-blank line ssh (or the
# remote command) wrote on its standard error: its reason.
connector_said() {
  connector_sshsaid=$(awk 'NF { l = $0 } END { print l }' \
    "$connector_dir/ssh.err" 2>/dev/null)
  connector_sshsaid=${connector_sshsaid:-ssh said nothing}
}

# connector_reach: W, the workdir of machine connector_m resolved on it
# (`cd WORKDIR && pwd -P`), once per run of the script (kept in the control
# directory), and R, the task's remote run directory; ssh's status (255: the
# machine cannot be reached).
connector_reach() {
  connector_wf=$connector_ctl/w-$connector_m
  if [ ! -s "$connector_wf" ]; then
    "connector_ssh_$connector_m" command -T -- "$connector_mcd" </dev/null \
      >"$connector_wf.$connector_index" 2>"$connector_dir/ssh.err"
    connector_src=$?
    if [ "$connector_src" != 0 ]; then
      rm -f "$connector_wf.$connector_index"
      return "$connector_src"
    fi
    mv -f "$connector_wf.$connector_index" "$connector_wf" || return 1
  fi
  connector_w=$(cat "$connector_wf") || return 1
  case $connector_w in
  /*) ;;
  *)
    echo "the workdir resolved to '$connector_w', not an absolute path" \
      >"$connector_dir/ssh.err"
    return 1
    ;;
  esac
  connector_r=$connector_w/.connector/remote/${RUN_DIR##*/}
  connector_rwork=$connector_w
  connector_quote "$connector_r"
  connector_rq=$connector_quoted
}

# connector_machine_next: the task moves to the next machine of its list
# (connector_mrest: machine numbers and 'local') that can be reached, with
# its prompt and inputs (connector_paths) and prompt.md for it; when none is
# left, or a machine's workdir cannot be entered, connector_gone says why.
connector_machine_next() {
  connector_prun=
  while [ -n "$connector_mrest" ]; do
    connector_m=${connector_mrest%% *}
    connector_mrest=${connector_mrest#"$connector_m"}
    connector_mrest=${connector_mrest# }
    if [ "$connector_m" = local ]; then
      connector_prun=$RUN_DIR
      break
    fi
    "connector_machine_$connector_m"
    connector_reach
    connector_src=$?
    if [ "$connector_src" = 0 ]; then
      connector_prun=$connector_r
      connector_log "on machine '$connector_mname' ($connector_mhost)"
      break
    fi
    connector_said
    if [ "$connector_src" != 255 ]; then
      connector_gone="machine '$connector_mname' ($connector_mhost): cannot enter its workdir: $connector_sshsaid"
      return 1
    fi
    connector_gone="machine '$connector_mname' ($connector_mhost) could not be reached: $connector_sshsaid"
    connector_log "$connector_gone"
  done
  if [ -z "$connector_prun" ]; then
    return 1
  fi
  connector_paths
  printf '%s' "$connector_prompt" >"$connector_dir/prompt.md"
}

# connector_machine_first: the task goes to the first machine of its list
# that can be reached (connector_machine_next).
connector_machine_first() {
  connector_mrest=$connector_machines
  connector_machine_next
}

# connector_remote_start: before an attempt on another machine, the answers
# the task reads go to R in one ssh call (a tar of them is the stdin of
# `mkdir -p R/sessions/TASK && tar -xf - -C R && touch R/sessions/TASK/.start`),
# and its worktree there is made when missing (connector_rwt); when the
# machine cannot be reached the task moves on along its list.
connector_remote_start() {
  while [ "$connector_m" != local ]; do
    connector_quote "$connector_r/sessions/$connector_id"
    connector_rs=$connector_quoted
    connector_quote "$connector_gitignore"
    # The machine's .connector/ is hidden from its git first, as here.
    connector_tar_inputs | "connector_ssh_$connector_m" command -T -- \
      "sh -c $connector_rgit_ignore connectorc $connector_rq $connector_quoted && mkdir -p $connector_rs $connector_rq/scratchpad && tar -xf - -C $connector_rq && touch $connector_rs/.start" \
      >/dev/null 2>"$connector_dir/ssh.err"
    connector_src=$?
    connector_what='cannot send the inputs to'
    if [ "$connector_src" = 0 ]; then
      connector_rwt
      connector_src=$?
      connector_what="cannot make worktree $connector_rwork on"
    fi
    [ "$connector_src" = 0 ] && return 0
    connector_said
    if [ "$connector_src" != 255 ]; then
      connector_gone="$connector_what machine '$connector_mname' ($connector_mhost): $connector_sshsaid"
      return 1
    fi
    connector_gone="machine '$connector_mname' ($connector_mhost) could not be reached: $connector_sshsaid"
    connector_log "$connector_gone"
    connector_machine_next || return 1
  done
}

# connector_remote_words: the remote command's words that only the run knows:
# the CONNECTOR_* environment with remote paths and TERM (connector_renv),
# the working directory (connector_rdir).
connector_remote_words() {
  connector_renv=
  connector_qword "CONNECTOR_RUN_DIR=$connector_r"
  connector_qword "CONNECTOR_SCRATCHPAD=$connector_r/scratchpad"
  connector_qword "CONNECTOR_TASK=$connector_id"
  connector_qword "CONNECTOR_INPUTS=$connector_inputs"
  connector_qword "CONNECTOR_OUTPUT=$connector_r/$connector_out"
  if [ -n "$connector_until" ]; then
    connector_qword "CONNECTOR_UNTIL=$connector_until"
  fi
  if [ -n "${TERM+set}" ]; then
    connector_qword "TERM=$TERM"
  fi
  connector_quote "$connector_rwork${connector_cwd:+/$connector_cwd}"
  connector_rdir=$connector_quoted
}

# connector_agent: the binding's command (connector_rbenv, its environment,
# and connector_rargv, its argv, as quoted words) on the task's machine, in
# the task's sandbox there (connector_rsandbox: the remote's /usr/bin/bwrap),
# under the task's timeout: `ssh -T HOST -- cd DIR && exec env --
# NAME=VALUE... [BWRAP...] ARGV...`. No terminal (-T): the answer is the
# agent's standard output, byte for byte, as on this machine.
connector_agent() {
  connector_remote_words
  connector_rbox=
  # In the attempt's subshell, which set connector_nobox.
  # shellcheck disable=SC2031
  if [ -n "$connector_sandboxed" ] && [ -z "$connector_nobox" ]; then
    connector_rsandbox
  fi
  # ssh itself runs here, unsandboxed.
  connector_sandboxed=
  "connector_ssh_$connector_m" connector_run -T -- \
    "cd $connector_rdir && exec env -- $connector_renv$connector_rbenv$connector_rbox$connector_rargv"
}

# connector_remote_setup: session.setup on the task's machine, in its
# directory there (its remote worktree), under the task's timeout.
connector_remote_setup() {
  connector_remote_words
  connector_quote "set -e
$connector_setup"
  (
    connector_sandboxed=
    "connector_ssh_$connector_m" connector_run -T -- \
      "cd $connector_rdir && exec /bin/sh -c $connector_quoted"
  ) </dev/null >"$connector_dir/setup.log" 2>&1
}

# connector_rbind OPTION DIR SUB [ONCE]: appends bwrap's `OPTION DIR/SUB
# DIR/SUB` (DIR alone when SUB is empty; the path once with ONCE, as
# --tmpfs takes it), quoted for the remote shell, to connector_rbox;
# nothing when DIR is empty.
connector_rbind() {
  [ -n "$2" ] || return 0
  connector_quote "$2${3:+/$3}"
  if [ -n "$4" ]; then
    connector_rbox="$connector_rbox$1 $connector_quoted "
  else
    connector_rbox="$connector_rbox$1 $connector_quoted $connector_quoted "
  fi
}

# connector_probe_rbwrap SWITCH N...: whether /usr/bin/bwrap can make a
# sandbox's namespaces on each machine N (the runtime's probe, over ssh),
# before anything starts. It fails closed, unless NO_SANDBOX (SWITCH says
# how to set it). A machine ssh cannot reach is not probed: its tasks move
# on along their lists when they start (and are sandboxed wherever they run).
connector_probe_rbwrap() {
  [ -z "$NO_SANDBOX" ] || return 0
  connector_sw=$1
  shift
  connector_dir=$connector_ctl
  for connector_m in "$@"; do
    "connector_machine_$connector_m"
    "connector_ssh_$connector_m" command -T -- "$connector_rprobe" \
      </dev/null >/dev/null 2>"$connector_dir/ssh.err"
    connector_src=$?
    [ "$connector_src" = 0 ] && continue
    connector_said
    if [ "$connector_src" = 255 ]; then
      echo "connector: machine '$connector_mname' ($connector_mhost) could not be reached: $connector_sshsaid" >&2
      continue
    fi
    echo "connector: the plan sandboxes its agents on machine '$connector_mname', but /usr/bin/bwrap cannot run there (exit status $connector_src): $connector_sshsaid; pass $connector_sw to run them unsandboxed, knowingly" >&2
    return 1
  done
}

# connector_rsh SCRIPT ARG...: the constant sh script SCRIPT (a word for the
# remote shell) runs on machine connector_m as `sh -c SCRIPT connectorc
# ARG...`, every ARG quoted here, as the runtime runs it
# (ir/RemoteGitScripts.h); standard input and output are the caller's,
# standard error goes to ssh.err.
connector_rsh() {
  connector_line="sh -c $1 connectorc"
  shift
  for connector_a in "$@"; do
    connector_quote "$connector_a"
    connector_line="$connector_line $connector_quoted"
  done
  "connector_ssh_$connector_m" command -T -- "$connector_line" \
    2>"$connector_dir/ssh.err"
}

# connector_rwt: the directory the task works in on machine connector_m
# (connector_rwork): when its worktree lives there (connector_wt_m, the
# machine of the worktree's first task), a worktree of W's repository at
# W/.connector/worktrees/RUN-ID/NAME on the local worktree's branch and
# base, made once (reused when there: a re-run), its base commit sent first
# when missing (connector_rwt_base); else W. Its .state/wt-N.remote says
# where it is, for connector_finish. ssh's status (255: unreachable).
connector_rwt() {
  connector_rwork=$connector_w
  [ -n "$connector_wt" ] && [ "$connector_wt_m" = "$connector_m" ] || return 0
  connector_wt_load "$connector_wt" || return 1
  connector_rwork=$connector_w/${connector_wt_path#"$connector_wt_top"/}
  [ ! -e "$connector_ctl/wt-$connector_wt" ] || return 0
  connector_rwt_base || return
  connector_rsh "$connector_rgit_add" "$connector_w" "$connector_rwork" \
    "$connector_wt_branch" "$connector_wt_base" </dev/null >/dev/null || return
  printf '%s\n' "$connector_m" "$connector_w" "$connector_rwork" \
    >"$RUN_DIR/.state/wt-$connector_wt.remote" &&
    : >"$connector_ctl/wt-$connector_wt"
}

# connector_rwt_base: the worktree's base commit is in W's repository,
# pinned there as refs/connector/base/RUN-ID (the runtime's probe script);
# when the remote lacks it, `git pack-objects --revs` of its history minus
# what the remote's refs reach (all of it when the remote is shallow) is the
# stdin of the remote's `git index-pack --stdin --fix-thin`.
connector_rwt_base() {
  connector_pin=refs/connector/base/${RUN_DIR##*/}
  connector_rsh "$connector_rgit_probe" "$connector_w" "$connector_wt_base" \
    "$connector_pin" </dev/null >"$connector_dir/probe.out" || return
  connector_first=
  read -r connector_first <"$connector_dir/probe.out"
  [ "$connector_first" != present ] || return 0
  {
    printf '%s\n' "$connector_wt_base"
    # The commits of the remote's refs that this repository has too.
    if [ "$connector_first" != true ]; then
      sed -e 1d -e 's/$/^{commit}/' "$connector_dir/probe.out" |
        git -C "$connector_wt_top" cat-file \
          --batch-check='%(objectname) %(objecttype)' |
        awk '$2 == "commit" { print "^" $1 }'
    fi
  } >"$connector_dir/revs" 2>"$connector_dir/ssh.err" &&
    git -C "$connector_wt_top" pack-objects --stdout --revs -q \
      <"$connector_dir/revs" >"$connector_dir/base.pack" \
      2>"$connector_dir/ssh.err" || return 1
  connector_rsh "$connector_rgit_index" "$connector_w" "$connector_wt_base" \
    "$connector_pin" <"$connector_dir/base.pack" >/dev/null
  connector_src=$?
  rm -f "$connector_dir/probe.out" "$connector_dir/revs" \
    "$connector_dir/base.pack"
  return "$connector_src"
}

# connector_rwt_load N: connector_m, connector_w and connector_rwork of
# worktree N's remote worktree, when it was made (connector_rwt), and its
# machine's details; connector_dir a private directory of the run's state
# for ssh's messages.
connector_rwt_load() {
  [ -e "$RUN_DIR/.state/wt-$1.remote" ] || return 1
  {
    IFS= read -r connector_m && IFS= read -r connector_w &&
      IFS= read -r connector_rwork
  } <"$RUN_DIR/.state/wt-$1.remote" || return 1
  "connector_machine_$connector_m"
  connector_dir=$RUN_DIR/.state/remote-$1
  mkdir -p "$connector_dir"
}

# connector_rwt_fail N WHAT: says that WHAT failed for worktree N's remote
# worktree, with ssh's (or git's) reason.
connector_rwt_fail() {
  connector_said
  echo "connector: worktree $connector_rwork on machine '$connector_mname' ($connector_mhost): $2: $connector_sshsaid" >&2
  return 1
}

# connector_wt_fetch N MESSAGE: the work of worktree N on another machine
# comes back: committed there as connectorc with MESSAGE (the runtime's
# script), the objects of its HEAD that the base lacks packed there (`git
# pack-objects --revs`) and indexed here (`git index-pack --stdin
# --fix-thin`), and HEAD merged into the local worktree's branch (a
# fast-forward, unless a task worked here too), which connector_merge then
# merges into the result. A merge that conflicts is aborted and said.
connector_wt_fetch() {
  connector_rwt_load "$1" || return 0
  if ! connector_wt_load "$1" || [ ! -d "$connector_wt_path" ]; then
    echo "connector: worktree $1: its local worktree is gone; the work stays on machine '$connector_mname' in $connector_rwork" >&2
    return 1
  fi
  connector_rsh "$connector_rgit_commit" "$connector_rwork" "$2" \
    </dev/null >"$connector_dir/head" ||
    connector_rwt_fail "$1" 'cannot commit there' || return
  connector_head=$(awk 'NF { l = $0 } END { print l }' "$connector_dir/head")
  case $connector_head in
  '' | *[!0-9a-f]*)
    echo "connector: worktree $connector_rwork on machine '$connector_mname': its HEAD is not a commit id: '$connector_head'" >&2
    return 1
    ;;
  esac
  if [ "$connector_head" != "$connector_wt_base" ]; then
    printf '%s\n^%s\n' "$connector_head" "$connector_wt_base" |
      connector_rsh "$connector_rgit_pack" "$connector_w" \
        >"$connector_dir/fetch.pack" ||
      connector_rwt_fail "$1" 'cannot pack its work' || return
    git -C "$connector_wt_top" index-pack --stdin --fix-thin \
      <"$connector_dir/fetch.pack" >/dev/null 2>"$connector_dir/ssh.err" ||
      connector_rwt_fail "$1" 'cannot store its pack here' || return
    if ! connector_git "$connector_wt_path" merge -q --no-edit --no-verify \
      -m "connectorc: merge the work of machine '$connector_mname' into $connector_wt_branch" \
      "$connector_head" >/dev/null 2>"$connector_dir/ssh.err"; then
      git -C "$connector_wt_path" merge --abort 2>/dev/null
      connector_rwt_fail "$1" "its work conflicts with $connector_wt_branch here"
      return
    fi
    echo "connector: worktree $connector_rwork on machine '$connector_mname': brought back into $connector_wt_branch" >&2
  fi
  rm -rf "$connector_dir"
}

# connector_wt_rremove N: removes worktree N's remote worktree there, when
# it was made (its branch and the base's pin stay, as the runtime leaves
# them).
connector_wt_rremove() {
  connector_rwt_load "$1" || return 0
  connector_rsh "$connector_rgit_remove" "$connector_w" "$connector_rwork" \
    </dev/null >/dev/null ||
    connector_rwt_fail "$1" 'cannot remove it' || return
  rm -rf "$connector_dir" "$RUN_DIR/.state/wt-$1.remote"
}

# connector_fetch: after an attempt on another machine, the files the agent
# wrote under R/scratchpad (newer than .start, its own answer file left out)
# come back in one ssh call, are unpacked into a private staging directory
# and, regular files only, moved into the scratchpad.
connector_fetch() {
  connector_quote "sessions/$connector_id/.start"
  connector_rst=$connector_quoted
  connector_quote "$connector_outglob"
  "connector_ssh_$connector_m" command -T -- \
    "cd $connector_rq && find scratchpad -type f -newer $connector_rst ! -path $connector_quoted | tar -cf - -T -" \
    </dev/null >"$connector_dir/fetch.tar" 2>"$connector_dir/ssh.err"
  connector_src=$?
  connector_stage=$connector_dir/fetch
  rm -rf "$connector_stage"
  connector_ok=
  if [ "$connector_src" = 0 ] && mkdir -m 700 "$connector_stage" &&
    tar -xof "$connector_dir/fetch.tar" -C "$connector_stage" \
      2>"$connector_dir/ssh.err"; then
    connector_ok=1
    if [ -d "$connector_stage/scratchpad" ]; then
      (cd "$connector_stage" && find scratchpad -type f -exec sh -c '
        for f do
          mkdir -p "$0/${f%/*}" && mv -f "$f" "$0/$f" || exit 1
        done' "$RUN_DIR" {} +) 2>"$connector_dir/ssh.err" || connector_ok=
    fi
  fi
  if [ -n "$connector_ok" ]; then
    rm -rf "$connector_stage" "$connector_dir/fetch.tar"
    return 0
  fi
  connector_said
  connector_log "cannot bring the scratchpad back from machine '$connector_mname' ($connector_mhost): $connector_sshsaid"
  rm -rf "$connector_stage" "$connector_dir/fetch.tar"
  return 1
}
)SH";

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

/// The remote side of the runner: RemoteFunctions, the git scripts of
/// ir/RemoteGitScripts.h and bwrap's probe as remote words, each machine's
/// functions, and connector_ssh_open/_close, which make and end the shared
/// connections' control directory (mktemp -d: mode 0700). A Makefile's
/// recipes are shells of their own: they find the directory that
/// `connector-ssh` made in RUN_DIR/.state/ssh.
static void writeRemoteRunner(ShellText &S, const ir::Plan &P) {
  S.code(RemoteFunctions);
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
/// (runtime/Workspaces.cpp). Nothing once a run has finished whole.
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

/// A mesh stage's agents message each other while they run: the runtime
/// supervises them (mailboxes, max_messages, timeout).
static constexpr const char *MeshFunctions = R"SH(
# connector_mesh_marks INDEX ANSWER...: each task INDEX is done when its
# ANSWER (run-relative) is there, else connector_why; whether all are done.
connector_mesh_marks() {
  connector_all=0
  while [ $# -gt 1 ]; do
    connector_index=$1
    if [ -e "$RUN_DIR/$2" ]; then
      connector_status 'done'
    else
      connector_status "$connector_why"
      connector_all=1
    fi
    shift 2
  done
  return "$connector_all"
}

# connector_mesh_interrupt: SIGINT or SIGTERM stops `connectorc run
# --stage` as it stops any run (its agents gracefully, then killed after its
# grace period), and waits for it.
connector_mesh_interrupt() {
  if [ -n "$connector_pid" ]; then
    kill -TERM "$connector_pid" 2>/dev/null
    wait "$connector_pid"
  fi
  connector_log interrupted
  connector_status interrupted
  exit 130
}

# connector_mesh NAME DEP... -- INDEX ANSWER...: runs the mesh stage NAME
# with `connectorc run --stage` on this plan (RUN_DIR/.state/plan.json),
# in this run directory, unless every ANSWER is there already.
connector_mesh() {
  connector_id=$1
  shift
  connector_ok=1
  while [ "$1" != -- ]; do
    connector_done "$1" || connector_ok=
    shift
  done
  shift
  connector_why=failed
  connector_mesh_marks "$@" && return
  if [ -z "$connector_ok" ]; then
    connector_log 'skipped: a dependency failed'
    connector_why=skipped
    connector_mesh_marks "$@"
    return 1
  fi
  connector_index=$1
  connector_run_dir=$RUN_DIR
  connector_nobox=$NO_SANDBOX
  connector_keep=$KEEP_WORKTREES
  connector_pid=
  trap connector_mesh_interrupt INT TERM
  (
    unset CONNECTOR_NL RUN_DIR NO_SANDBOX KEEP_WORKTREES
    exec "${CONNECTORC:-$connector_self}" run --quiet --stage "$connector_id" \
      --run-dir "$connector_run_dir" -j "${connector_jobs:-1}" \
      ${connector_nobox:+"--no-sandbox"} ${connector_keep:+"--keep-worktrees"} \
      "$connector_run_dir/.state/plan.json"
  ) &
  connector_pid=$!
  wait "$connector_pid"
  connector_rc=$?
  connector_pid=
  if [ "$connector_rc" != 0 ]; then
    connector_log "connectorc run --stage: exit status $connector_rc"
  fi
  # The answers say what was done, as for any task.
  if ! connector_mesh_marks "$@"; then
    connector_log 'failed: an agent of the mesh left no answer'
    return 1
  fi
  connector_log succeeded
}
)SH";

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
  S.code(RunnerFunctions);
  if (llvm::any_of(P.Stages, [](const ir::PlanStage &St) {
        return St.Kind == ir::StageKind::Mesh;
      }))
    S.code(MeshFunctions);
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
/// argv (ir/SandboxLayout.h, as runtime/Request.cpp resolves it for another
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
