//===- Sh.cpp - the POSIX shell script backend ----------------------------===//
//
// One script that runs the plan like `connectorc run` (docs/backends.md):
// `sh plan.sh [-j N] [RUN_DIR]`. Tasks run in waves — a task's wave is one
// more than the latest of the tasks it waits for — each wave's tasks as
// background jobs, at most N at once (a FIFO of N tokens), through the
// runner of ShellRunner.cpp.
//
//===----------------------------------------------------------------------===//
#include "backends/Backend.h"
#include "backends/ShellRunner.h"


#include <fmt/format.h>

using namespace connectorc;

namespace {
/// Each task's wave: 0 for a task that waits for nothing, else one more
/// than the latest wave of the tasks it waits for.
unsigned waveOf(const ir::Plan &P, unsigned T, std::vector<int> &Wave) {
  if (Wave[T] >= 0)
    return Wave[T];
  unsigned W = 0;
  for (unsigned D : ir::taskInputs(P, T))
    W = std::max(W, waveOf(P, D, Wave) + 1);
  Wave[T] = static_cast<int>(W);
  return W;
}

constexpr const char *Prologue = R"SH(
connector_usage() {
  echo "usage: $0 [--no-sandbox] [-k] [-j JOBS] [RUN_DIR]" >&2
  exit 2
}

# --no-sandbox: sandboxed tasks run unsandboxed, knowingly.
NO_SANDBOX=
KEEP_WORKTREES=
if [ "${1-}" = --no-sandbox ]; then
  NO_SANDBOX=1
  shift
fi

connector_jobs=$(($(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) * 4))
# KEEP_WORKTREES is connector_finish's, when there are worktrees.
# shellcheck disable=SC2034
while getopts j:kh connector_opt; do
  case $connector_opt in
  j) connector_jobs=$OPTARG ;;
  k) KEEP_WORKTREES=1 ;;
  *) connector_usage ;;
  esac
done
shift $((OPTIND - 1))
case $connector_jobs in
'' | *[!0-9]* | 0) connector_usage ;;
esac
[ $# -le 1 ] || connector_usage
)SH";

constexpr const char *Scheduler = R"SH(
case $RUN_DIR in
/*) ;;
*) RUN_DIR=$PWD/$RUN_DIR ;;
esac
connector_ignore "$RUN_DIR" || exit 1
mkdir -p "$RUN_DIR/scratchpad" "$RUN_DIR/sessions" "$RUN_DIR/.state" || exit 1
echo "connector: run directory $RUN_DIR" >&2

# At most connector_jobs tasks at once: a token per job in a FIFO.
connector_fifo=$RUN_DIR/.state/jobs.$$
rm -f "$connector_fifo"
mkfifo "$connector_fifo" || exit 1
exec 3<>"$connector_fifo"
rm -f "$connector_fifo"
connector_i=0
while [ "$connector_i" -lt "$connector_jobs" ]; do
  echo >&3
  connector_i=$((connector_i + 1))
done

# Ctrl-C or SIGTERM: every task of the wave ends its attempt
# (connector_interrupt); no more start.
connector_children=
connector_stop() {
  trap '' INT TERM
  # shellcheck disable=SC2086 # a list of process ids
  kill -TERM $connector_children 2>/dev/null
  wait
  echo 'connector: interrupted' >&2
  exit 130
}
trap connector_stop INT TERM

# connector_spawn INDEX: runs task INDEX in the background once a token is
# free; the token goes back when it ends.
connector_spawn() {
  read -r connector_token <&3
  (
    "connector_t$1"
    echo "$connector_token" >&3
  ) &
  connector_children="$connector_children $!"
}
)SH";

/// Task \p T's function: its own run, or for the first task of a mesh
/// stage the whole stage's (the stage's other tasks have none).
void writeTaskFunction(ShellText &S, const ir::Plan &P, unsigned T) {
  const ir::PlanStage &Stage = P.Stages[P.Tasks[T].Stage];
  if (isMesh(P, T) && Stage.Tasks.front() != T)
    return;
  S.code(fmt::format("connector_t{}() {{\n  ", T));
  if (!isMesh(P, T)) {
    writeTaskCall(S, P, T);
    S.code("\n}\n");
    return;
  }
  writeMeshCall(S, P, P.Tasks[T].Stage);
  S.code("\n}\n");
}

/// The plan, for `connectorc run --stage`: the same plan as the script's.
void writePlanFile(ShellText &S, const ir::Plan &P) {
  S.code("\n# The plan a mesh stage runs from (connector_mesh).\n");
  writePlanCommand(S, P);
  S.code(" || exit 1\n");
}

/// Remote tasks share one ssh connection per machine (ControlMaster) through
/// sockets in a directory of this run's own (connector_ssh_open), and the
/// connections end with the script (connector_ssh_close, an EXIT trap).
/// A sandboxed task's machines are probed then (connector_probe_rbwrap).
void writeSshControl(ShellText &S, const ir::Plan &P) {
  S.code("\n# The shared ssh connections of the remote tasks, ended at exit.\n"
         "connector_ssh_open || exit 1\ntrap connector_ssh_close EXIT\n");
  std::vector<unsigned> Boxed = sandboxMachines(P);
  if (Boxed.empty())
    return;
  S.code("\n# The sandbox fails closed on other machines too.\n"
         "connector_probe_rbwrap --no-sandbox");
  for (unsigned N : Boxed)
    S.code(fmt::format(" {}", N));
  S.code(" || exit 1\n");
}

constexpr const char *Epilogue = R"SH(
connector_failed=0
connector_i=0
while [ "$connector_i" -lt "$connector_tasks" ]; do
  if ! connector_done "$connector_i"; then
    connector_failed=$((connector_failed + 1))
  fi
  connector_i=$((connector_i + 1))
done
if [ "$connector_failed" -gt 0 ]; then
  echo "connector: $connector_failed of $connector_tasks tasks did not succeed" >&2
  exit 1
fi
echo "connector: all $connector_tasks tasks succeeded" >&2
)SH";
} // namespace

llvm::Error connectorc::emitSh(llvm::raw_ostream &OS, const ir::Plan &P,
                               const EmitOptions &Opts) {
  if (llvm::Error E = checkShellPlan(P, "sh"))
    return E;
  if (llvm::Error E = checkMeshWorktrees(P, "sh"))
    return E;
  ShellText S(ShellText::Dialect::Sh);
  S.code("#!/bin/sh\n# Generated by connectorc (--emit=sh): runs the workflow "
         "like `connectorc run`.\n"
         "# Usage: sh SCRIPT [--no-sandbox] [-k] [-j JOBS] [RUN_DIR]   "
         "(docs/backends.md)\n"
         "# Untrusted text (prompts, names, paths, patterns) is in single\n"
         "# quotes on purpose, where $ and ` mean nothing (SC2016); a task's\n"
         "# connector_sandbox is called by connector_run (SC2317):\n"
         "# shellcheck disable=SC2016,SC2317\n");
  if (anyRemote(P))
    S.code("# A remote command is quoted twice (for the remote shell, then as\n"
           "# a word of this script), so it holds '\\'' in single quotes "
           "(SC1003):\n# shellcheck disable=SC1003\n");
  if (llvm::all_of(P.Tasks, [&P](const ir::Task &T) {
        return P.Stages[T.Stage].Kind == ir::StageKind::Mesh;
      }))
    S.code("# Only mesh stages: no task function sets the variables of the\n"
           "# runner's (SC2154).\n# shellcheck disable=SC2154\n");
  S.code("connector_workflow=").word(P.Workflow).code("\n");
  S.code(Prologue);
  S.code("RUN_DIR=${1:-.connector/runs/$connector_workflow-$(date -u "
         "+%Y%m%dT%H%M%SZ)}\n");
  writeShellRunner(S, P, Opts);
  bool Meshes = llvm::any_of(P.Stages, [](const ir::PlanStage &St) {
    return St.Kind == ir::StageKind::Mesh;
  });
  if (anySandboxed(P))
    S.code("\n# The sandbox fails closed: bwrap must work before anything "
           "starts.\nconnector_probe_bwrap --no-sandbox || exit 1\n");
  S.code("\n# One function per task.\n");
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    writeTaskFunction(S, P, T);
  S.code(Scheduler);
  if (anyRemote(P))
    writeSshControl(S, P);
  if (Meshes)
    writePlanFile(S, P);
  bool Trees = !shellWorktrees(P).empty();
  if (Trees)
    S.code("\n# The worktrees, before anything starts.\n"
           "connector_worktrees || exit 1\n");
  std::vector<int> Wave(P.Tasks.size(), -1);
  unsigned Last = 0;
  for (unsigned T = 0; T < P.Tasks.size(); ++T)
    Last = std::max(Last, waveOf(P, T, Wave));
  for (unsigned W = 0; W <= Last && !P.Tasks.empty(); ++W) {
    S.code(fmt::format("\n# Wave {}.\n", W + 1));
    for (unsigned T = 0; T < P.Tasks.size(); ++T)
      if (Wave[T] == static_cast<int>(W) &&
          (!isMesh(P, T) || P.Stages[P.Tasks[T].Stage].Tasks.front() == T))
        S.code(fmt::format("connector_spawn {}\n", T));
    S.code("wait\nconnector_children=\n");
  }
  if (Trees)
    S.code(
        "\n# The worktrees' work: committed, merged, removed (-k keeps them).\n"
        "connector_unfinished=\n"
        "if ! connector_finish; then\n"
        "  echo 'connector: finishing the worktrees failed' >&2\n"
        "  connector_unfinished=1\n"
        "fi\n");
  S.code(fmt::format("\nconnector_tasks={}\n", P.Tasks.size()));
  S.code(Epilogue);
  if (Trees)
    S.code("[ -z \"$connector_unfinished\" ] || exit 1\n");
  OS << S.str();
  return llvm::Error::success();
}
