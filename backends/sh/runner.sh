#!/bin/sh
# shellcheck disable=SC2154 # set by the plan's part of the script
#
# runner.sh - the functions that run one task (connector_task), in every
# script and Makefile recipe the sh and make backends write. Shell code of our
# own only: untrusted text reaches it through the connector_* variables and
# the binding functions, which ShellRunner.cpp writes per plan.
#
# This header (its leading lines that start with '#') is the repository's:
# the build embeds the file (backends/CMakeLists.txt) and ShellRunner.cpp
# writes what follows the header, byte for byte.
# A variable set by the plan's part is checked in the emitted script.

# connector_find_bwrap: connector_bwrap is bwrap's absolute path, as
# runtime/sandbox/Sandbox.cpp finds it: $CONNECTOR_BWRAP when set (an absolute path
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
# runtime/support/Files.cpp does: git sees nothing of connectorc's. The script
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
