#!/bin/sh
# shellcheck disable=SC2154 # set by the plan's part of the script, runner.sh
#
# remote.sh - what a task on another machine needs (docs/run.md, "Remote
# tasks"): the script's side of the contract the runtime keeps too, written
# only when a task may run over ssh. Shell code of our own only; each
# machine's connector_machine_N and connector_ssh_N hold its untrusted text,
# and every word of a remote command is quoted: at build time with shellQuote,
# or, for what only the run knows (the remote directories, the run id, the
# prompt), with connector_quote, the same rule.
#
# This header (its leading lines that start with '#') is the repository's:
# the build embeds the file (backends/CMakeLists.txt) and ShellRunner.cpp
# writes what follows the header, byte for byte.
# A variable set by the plan's part or by runner.sh is checked in the
# emitted script.


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
