#!/usr/bin/env bash
# Build benchmark: `connectorc build` on generated specs of 1,000, 10,000 and
# 100,000 tasks, interleaved in one run (the machine is shared and noisy:
# compare within a run). Reports the median time of each, the 100k/1k ratio
# (goal: linear growth, ratio <= 120; 100k under 1 s) and peak memory per task.
# Usage: test/bench/build_bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
runs=${2:-5}
# The specs ask for worktrees, which need a git repository: a scratch one.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
git init -q "$out"
for n in 1000 10000 100000; do
  python3 "$here/gen_build_spec.py" "$n" "$out/spec-$n.connector.json"
done
python3 - "$runs" "$build/bin/connectorc" "$out" <<'PY'
import os, statistics, subprocess, sys, time
runs, connectorc, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sizes = [1000, 10000, 100000]
times = {n: [] for n in sizes}
rss = {n: 0 for n in sizes}
tasks = {}
for _ in range(runs):                  # interleaved, so load hits every size alike
    for n in sizes:
        spec, plan = f"{out}/spec-{n}.connector.json", f"{out}/plan-{n}.json"
        t = time.perf_counter()
        p = subprocess.Popen([connectorc, "build", spec, "-o", plan])
        _, status, usage = os.wait4(p.pid, 0)
        times[n].append(time.perf_counter() - t)
        if status != 0:
            sys.exit(f"build of {spec} failed")
        rss[n] = max(rss[n], usage.ru_maxrss)   # KiB on Linux
# Counted after the runs: a forked child's peak RSS starts from this
# process's, so this process stays small while timing.
import json
for n in sizes:
    tasks[n] = len(json.load(open(f"{out}/plan-{n}.json"))["tasks"])
print(f"{'tasks':>8} {'median s':>9} {'min s':>7} {'peak MiB':>9} {'KiB/task':>9}")
for n in sizes:
    print(f"{tasks[n]:>8} {statistics.median(times[n]):>9.3f} {min(times[n]):>7.3f} "
          f"{rss[n] / 1024:>9.1f} {rss[n] / tasks[n]:>9.2f}")
ratio = statistics.median(times[100000]) / statistics.median(times[1000])
print(f"100k/1k time ratio: {ratio:.1f} (linear: 100; goal <= 120)")
print(f"100k/10k time ratio: {statistics.median(times[100000]) / statistics.median(times[10000]):.1f} (linear: 10)")
PY
