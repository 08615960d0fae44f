#!/bin/sh
# shellcheck disable=SC2034 # read by runner.sh (connector_status)
#
# mesh.sh - a mesh stage's agents message each other while they run: the
# runtime supervises them (mailboxes, max_messages, timeout), so the script
# runs the stage with `connectorc run --stage`. Written only when the plan
# has a mesh stage.
#
# This header (its leading lines that start with '#') is the repository's:
# the build embeds the file (backends/CMakeLists.txt) and ShellRunner.cpp
# writes what follows the header, byte for byte.

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
