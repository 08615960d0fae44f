#!/usr/bin/env bash
# Runtime benchmark (issue 4), side by side in one run, ratios printed:
#  1. 1,000 tasks of a trivial agent (/bin/echo as a custom provider) at --jobs 16,
#     against a bare C loop doing forkpty/exec/read/wait at the same concurrency (the
#     floor) and against one tmux session per task (how tmux-based agent managers work).
#  2. One task printing 1 GiB: throughput against a bare PTY read loop, and the
#     runtime's peak resident memory.
# Usage: test/bench/run_bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
runs=${2:-3}
out=$here/out
mkdir -p "$out"

bare=$out/bare_pty
if [ ! -x "$bare" ] || [ "$here/bare_pty.c" -nt "$bare" ]; then
  cc -O2 -o "$bare" "$here/bare_pty.c" -lutil
fi
if ! command -v tmux >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends tmux >/dev/null
fi

python3 - "$runs" "$build/bin/connectorc" "$bare" "$out" <<'PY'
import json, os, shutil, statistics, subprocess, sys, time
runs, connectorc, bare, out = int(sys.argv[1]), *sys.argv[2:]
N, J = 1000, 16
GIB = 1 << 30
work = os.path.join(out, "run-bench")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

def spec(path, command, workers):
    doc = {"connector": "2.0", "name": "bench",
           "models": {"agent": {"provider": "custom", "command": command}},
           "pipeline": {"phases": [{"name": "t", "model": "agent", "prompt": "ok",
                                    "workers": workers, "timeout": "1h"}]}}
    with open(path, "w") as f:
        json.dump(doc, f)
    return path

def timed(cmd, **kw):
    """Wall seconds and peak RSS (KiB) of one command, which must succeed."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    outs = p.stdout.read()
    errs = p.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[:3]} failed: {errs.decode()[-800:]}")
    return elapsed, usage.ru_maxrss, outs

many = spec(os.path.join(work, "many.json"), ["/bin/echo"], N)
def run_connectorc():
    d = os.path.join(work, "run-many")
    shutil.rmtree(d, ignore_errors=True)
    return timed([connectorc, "run", many, "--jobs", str(J), "--run-dir", d, "--quiet"])
def run_bare():
    return timed([bare, str(N), str(J), "/bin/echo", "ok"])
def run_tmux():
    sock = f"bench-{os.getpid()}"
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-s", "keep"], check=True)
    try:
        # Each task: a detached session running the agent, signalling when done.
        one = ('tmux -L "$0" new-session -d -s "t$1" "/bin/echo ok; tmux -L $0 wait-for -S d$1"'
               ' && tmux -L "$0" wait-for "d$1"')
        return timed(["sh", "-c", f"seq {N} | xargs -P {J} -I@ sh -c '{one}' {sock} @"])
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], check=False)

cases = {"connectorc run": run_connectorc, "bare forkpty loop": run_bare,
         "tmux session per task": run_tmux}
times = {k: [] for k in cases}
for _ in range(runs):                      # interleaved: load hits all alike
    for name, fn in cases.items():
        times[name].append(fn()[0])
med = {k: statistics.median(v) for k, v in times.items()}
print(f"{N} tasks of /bin/echo at {J} at once, {runs} runs each, medians")
for k, v in med.items():
    print(f"  {k:24s} {v:8.3f} s   {N / v:8.0f} tasks/s")
print(f"connectorc / bare loop   {med['connectorc run'] / med['bare forkpty loop']:6.2f}x  (goal <= 1.25)")
print(f"tmux / connectorc        {med['tmux session per task'] / med['connectorc run']:6.2f}x  (goal >= 5)")

# 2. One task printing 1 GiB (64-byte lines; the terminal makes each \n \r\n).
gen = ["/bin/sh", "-c",
       f"yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde | head -c {GIB}"]
big = spec(os.path.join(work, "big.json"), gen, 1)
def big_connectorc():
    d = os.path.join(work, "run-big")
    shutil.rmtree(d, ignore_errors=True)
    r = timed([connectorc, "run", big, "--run-dir", d, "--quiet"])
    size = os.path.getsize(os.path.join(d, "sessions", "t", "1", "transcript.log"))
    shutil.rmtree(d, ignore_errors=True)
    return r[0], r[1], size
def big_bare():
    t, rss, outs = timed([bare, "--bytes", *gen])
    return t, rss, int(outs)
b_times, b_rss, c_times, c_rss = [], [], [], []
for _ in range(runs):
    t, rss, bare_bytes = big_bare(); b_times.append(t); b_rss.append(rss)
    t, rss, c_bytes = big_connectorc(); c_times.append(t); c_rss.append(rss)
bt, ct = statistics.median(b_times), statistics.median(c_times)
print(f"one task printing 1 GiB, {runs} runs each, medians")
print(f"  bare PTY read loop       {bt:8.3f} s   {bare_bytes / bt / 2**20:8.0f} MiB/s")
print(f"  connectorc run           {ct:8.3f} s   {c_bytes / ct / 2**20:8.0f} MiB/s  (transcript {c_bytes} bytes)")
print(f"throughput connectorc / bare  {bt / ct * 100:5.1f} %  (goal >= 80 %)")
print(f"peak RSS of connectorc run    {max(c_rss) / 1024:5.1f} MiB  (goal < 32 MiB)")
shutil.rmtree(work, ignore_errors=True)
PY
