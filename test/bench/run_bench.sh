#!/usr/bin/env bash
# Runtime benchmark (issue 4, "Performance"); a benchmark, not a test.
#  1. 1,000 tasks of a trivial agent (/bin/echo as a custom provider) at
#     --jobs 16: `connectorc run`, against a bare C loop doing forkpty/exec/
#     read/wait at the same concurrency (the limit), and against one tmux
#     session per task (as tmux-based agent managers do). Goals: <= 1.25x the
#     bare loop, >= 5x faster than tmux.
#  2. One task printing 1 GiB: throughput against a bare PTY read loop
#     (goal >= 80 %) and the runtime's peak RSS (goal < 32 MB).
# Runs are interleaved (the machine is shared and noisy: compare within a run).
# Each ratio is taken per round, between commands run back to back, and the
# median of those is reported with its range: on this machine the same
# command's time drifts by a third within minutes, and a ratio of two medians
# taken minutes apart mixes that drift into the comparison.
# Usage: test/bench/run_bench.sh [BUILD_DIR] [RUNS] [TASKS] [MIB]
# MIB 0 leaves out the 1 GiB part; without tmux on PATH the tmux comparison
# is left out (CI runs `run_bench.sh build 5 200 0`: the ratio to the bare
# loop in its log, asserting nothing). The run directories go in a fresh
# temporary directory, or under RUN_BENCH_DIR when it is set (a run's
# directory is normally in the project, .connector/runs/, not in /tmp).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
runs=${2:-3}
tasks=${3:-1000}
mib=${4:-1024}
out=$(mktemp -d)
runs_dir=$(mktemp -d "${RUN_BENCH_DIR:-$out}/runs.XXXXXX")
has_tmux=$(command -v tmux >/dev/null 2>&1 && echo 1 || echo 0)
trap '[ "$has_tmux" = 0 ] || tmux -L connectorc-bench kill-server 2>/dev/null || true; rm -rf "$runs_dir" "$out"' EXIT
cc -O2 -o "$out/bare_forkpty" "$here/bare_forkpty.c" -lutil
python3 - "$tasks" "$out/many.connector.json" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
spec = {"connector": "2.0", "name": "many",
        "models": {"echo": {"provider": "custom", "command": ["/bin/echo", "ok"]}},
        "pipeline": {"phases": [{"name": "w", "model": "echo", "prompt": "p",
                                 "parallel": True, "workers": n}]}}
json.dump(spec, open(path, "w"))
PY
cat > "$out/big.connector.json" <<JSON
{"connector": "2.0", "name": "big",
 "models": {"loud": {"provider": "custom", "command": ["/bin/sh", "-c", "yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c ${mib}M", "x"]}},
 "pipeline": {"phases": [{"name": "big", "model": "loud", "prompt": "p"}]}}
JSON
cat > "$out/tmux_task.sh" <<'SH'
# One task as a tmux-based manager runs it: a detached session running the
# agent, then wait for it to signal the end.
tmux -L connectorc-bench new-session -d -s "t$1" "/bin/echo ok p; tmux -L connectorc-bench wait-for -S d$1"
tmux -L connectorc-bench wait-for "d$1"
SH
[ "$has_tmux" = 0 ] || tmux -L connectorc-bench new-session -d -s keeper "sleep 100000"
python3 - "$runs" "$tasks" "$mib" "$build/bin/connectorc" "$out" "$runs_dir" "$has_tmux" <<'PY'
import os, resource, statistics, subprocess, sys, time
runs, tasks, mib, connectorc, out, runs_dir, has_tmux = sys.argv[1:]
runs, tasks, mib, has_tmux = int(runs), int(tasks), int(mib), has_tmux == "1"
env = dict(os.environ, CI="1")
def timed(cmd, env=env):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t
def peak_rss_mb(cmd):
    # ru_maxrss of the biggest child waited for so far (KiB): run alone.
    code = ("import resource, subprocess, sys;"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    r = subprocess.run([sys.executable, "-c", code] + cmd, capture_output=True, text=True, env=env)
    return int(r.stdout.strip()) / 1024
res = {k: [] for k in ("run", "bare", "tmux", "big", "bigbare", "bigkeep")}
for i in range(runs):
    res["bare"].append(timed([f"{out}/bare_forkpty", str(tasks), "16", "/bin/echo", "ok", "p"]))
    res["run"].append(timed([connectorc, "run", f"{out}/many.connector.json", "--jobs", "16",
                             "--quiet", "--run-dir", f"{runs_dir}/run-many-{i}"]))
    subprocess.run(["rm", "-rf", f"{runs_dir}/run-many-{i}"])
    if has_tmux:
        res["tmux"].append(timed(["sh", "-c", f"seq {tasks} | xargs -P16 -I{{}} sh {out}/tmux_task.sh {i}-{{}}"]))
    if not mib:
        continue
    big = [("bigbare", [f"{out}/bare_forkpty", "1", "1", "/bin/sh", "-c",
               f"yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz | head -c {mib}M"]),
           ("big", [connectorc, "run", f"{out}/big.connector.json", "--quiet",
                    "--run-dir", f"{runs_dir}/run-big-{i}"])]
    for name, cmd in big[::-1] if i % 2 else big:  # either may go first
        res[name].append(timed(cmd))
    # The bare loop again, keeping the output in two files as the runtime
    # must (transcript and answer): how much of the gap is those writes.
    res["bigkeep"].append(timed(big[0][1], env=dict(env, BARE_FORKPTY_KEEP=f"{out}/keep")))
    subprocess.run(["rm", "-f", f"{out}/keep.transcript", f"{out}/keep.answer"])
    subprocess.run(["rm", "-rf", f"{runs_dir}/run-big-{i}"])
m = {k: statistics.median(v) for k, v in res.items() if v}
def paired(num, den, scale=1):
    """Median, min and max over the rounds of num[i] / den[i]."""
    r = [scale * a / b for a, b in zip(res[num], res[den])]
    return statistics.median(r), min(r), max(r)
def fmt(p, unit):
    return f"{p[0]:.2f}{unit} (rounds: {p[1]:.2f}-{p[2]:.2f})"
print(f"{tasks} tasks at --jobs 16 ({runs} rounds; times are medians, ratios medians of per-round ratios):")
print(f"  bare forkpty loop  {m['bare']:7.2f} s")
print(f"  connectorc run     {m['run']:7.2f} s   {fmt(paired('run', 'bare'), 'x')} the bare loop (goal <= 1.25x)")
if has_tmux:
    print(f"  tmux per task      {m['tmux']:7.2f} s   {fmt(paired('tmux', 'run'), 'x')} connectorc run (goal >= 5x)")
else:
    print("  tmux per task      (no tmux on PATH: left out)")
if not mib:
    sys.exit(0)
rss = peak_rss_mb([connectorc, "run", f"{out}/big.connector.json", "--quiet", "--run-dir", f"{runs_dir}/run-big-rss"])
print(f"one task printing {mib} MiB:")
print(f"  bare PTY read loop {m['bigbare']:7.2f} s   {mib/m['bigbare']:.0f} MiB/s")
tp = paired('bigbare', 'big', 100)
print(f"  connectorc run     {m['big']:7.2f} s   {mib/m['big']:.0f} MiB/s; "
      f"{tp[0]:.0f} % of the bare loop (rounds: {tp[1]:.0f}-{tp[2]:.0f} %) (goal >= 80 %)")
kp = paired('bigkeep', 'big', 100)
print(f"  bare loop keeping the output in two files {m['bigkeep']:7.2f} s; connectorc run is "
      f"{kp[0]:.0f} % of its throughput (rounds: {kp[1]:.0f}-{kp[2]:.0f} %)")
print(f"  peak RSS of connectorc run: {rss:.1f} MB (goal < 32 MB)")
PY
