"""The attach benchmark (issue 20, "Performance"); attach_bench.sh runs it.

One run of SESSIONS parallel echo agents (echo_agent.py), in a private
runtime directory. Measures, side by side:
  keys    keystroke-to-echo latency through `connectorc attach` (the client
          in a real PTY) and straight through a PTY running the same agent,
          interleaved key by key;
  redraw  from sending an attach request on the run's socket to having the
          whole first Output frame (the redraw), one new connection a time;
          and, for scale, from starting `connectorc attach --read-only` in a
          PTY to seeing the screen;
  rss     the run process's VmRSS and VmHWM (/proc/PID/status).
Prints figures only: no goal is asserted.

Usage: attach_bench.py CONNECTORC SESSIONS KEYS ATTACHES
"""
import json
import os
import select
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lit", "sessions", "Inputs"))
from ptys import Pty, ps  # noqa: E402

connectorc = sys.argv[1]
sessions, keys, attaches = (int(a) for a in sys.argv[2:5])
agent = os.path.join(here, "echo_agent.py")
work = tempfile.mkdtemp(prefix="ab-", dir="/tmp")  # short: sockets live here
env = dict(os.environ, XDG_RUNTIME_DIR=work)
spec = os.path.join(work, "spec.json")
with open(spec, "w") as f:
    json.dump({"connector": "2.0", "name": "attach-bench",
               "models": {"echo": {"provider": "custom", "command": ["python3", agent]}},
               "pipeline": {"phases": [{"name": "echo", "model": "echo", "prompt": "p",
                                        "workers": sessions, "parallel": True}]}}, f)
# Runs the rest of its arguments with transparent huge pages off (inherited
# across exec): what the run's memory is without mimalloc's 2 MiB pages.
NO_THP = ("import ctypes, os, sys; ctypes.CDLL(None).prctl(41, 1, 0, 0, 0); "  # PR_SET_THP_DISABLE
          "os.execv(sys.argv[1], sys.argv[1:])")
runs = {}


def start_run(run_id, no_thp=False):
    argv = [connectorc, "run", spec, "--run-dir", os.path.join(work, run_id), "--quiet",
            "--jobs", str(sessions)]
    if no_thp:
        argv = [sys.executable, "-c", NO_THP] + argv
    runs[run_id] = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_run(run_id):
    run = runs.pop(run_id)
    if run.poll() is None:
        subprocess.run([connectorc, "stop", run_id], env=env, capture_output=True)
        try:
            run.wait(timeout=30)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()


def cleanup():
    for run_id in list(runs):
        stop_run(run_id)
    shutil.rmtree(work, True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def status_kb(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                fields[k] = int(v.split()[0])
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k == "AnonHugePages":
                fields[k] = int(v.split()[0])
    return fields


def wait_all_up(run_id):
    """Until every task's agent has drawn its screen; the run's status."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        s = ps(connectorc, env, run_id)
        if s:
            tasks = s.get("tasks", [])
            up = [t for t in tasks if t.get("attachable") and "ready>" in t.get("last_line", "")]
            if len(tasks) == sessions and len(up) == sessions:
                return s
        time.sleep(0.5)
    sys.exit("the %d sessions never all came up" % sessions)


def read_until(pty, needle, deadline_s=10):
    """Reads pty until needle is in what came since; what came."""
    got = b""
    end = time.monotonic() + deadline_s
    while needle not in got:
        r, _, _ = select.select([pty.master], [], [], max(0, end - time.monotonic()))
        if not r:
            sys.exit("no %r within %d s" % (needle, deadline_s))
        got += os.read(pty.master, 65536)
    return got


def drain(pty, quiet_s=0.3):
    while select.select([pty.master], [], [], quiet_s)[0]:
        os.read(pty.master, 65536)


def key_latency(pty, key):
    t = time.perf_counter()
    os.write(pty.master, key)
    read_until(pty, key)
    return time.perf_counter() - t


def recv_exact(s, n, buf):
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("the run closed the connection")
        buf += chunk
    return buf


def socket_redraw(sock_path, task):
    """Seconds from the attach request to the whole redraw frame; its size."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    req = json.dumps({"v": 1, "op": "attach", "task": task, "write": False}).encode() + b"\n"
    t = time.perf_counter()
    s.sendall(req)
    buf = b""
    while b"\n" not in buf:
        buf = recv_exact(s, len(buf) + 1, buf)
    line, _, buf = buf.partition(b"\n")
    answer = json.loads(line)
    if not answer.get("ok"):
        sys.exit("attach refused: %s" % answer.get("error"))
    buf = recv_exact(s, 5, buf)
    kind, n = buf[:1], struct.unpack(">I", buf[1:5])[0]
    buf = recv_exact(s, 5 + n, buf)
    took = time.perf_counter() - t
    s.close()
    if kind != b"o" or b"ready>" not in buf[5:5 + n]:
        sys.exit("the first frame is not the screen")
    return took, n


def main():
    run_id = "run"
    start_run(run_id)
    t0 = time.monotonic()
    status = wait_all_up(run_id)
    pid = status["run"]["pid"]
    print("run: %d sessions up in %.1f s (pid %d, --jobs %d)"
          % (sessions, time.monotonic() - t0, pid, sessions))
    rss_up = status_kb(pid)
    tasks = [t["id"] for t in status["tasks"]]
    socks = [n for n in os.listdir(os.path.join(work, "connectorc", "runs")) if n.endswith(".sock")]
    sock_path = os.path.join(work, "connectorc", "runs", socks[0])

    # (a) Keystroke to echo, interleaved key by key.
    direct = Pty(["python3", agent], 24, 80, env)
    read_until(direct, b"ready>")
    attached = Pty([connectorc, "attach", "%s/%s" % (run_id, tasks[0])], 24, 80, env)
    read_until(attached, b"ready>")
    drain(direct)
    drain(attached)
    lat = {"direct": [], "attach": []}
    letters = b"abcdefghijklmnopqrstuvwxyz"
    for i in range(keys):
        key = letters[i % 26:i % 26 + 1]
        order = ("direct", "attach") if i % 2 == 0 else ("attach", "direct")
        for name in order:
            lat[name].append(key_latency(direct if name == "direct" else attached, key))
    attached.type(b"\x1cd")
    read_until(attached, b"detached")
    attached.proc.wait(timeout=10)
    os.close(direct.master)
    direct.proc.kill()
    direct.proc.wait()
    print("keystroke to echo, %d keys each, interleaved (ms):" % keys)
    print("  %-22s %7s %7s %7s %7s" % ("", "p50", "p90", "p99", "max"))
    for name, label in (("direct", "direct PTY"), ("attach", "connectorc attach")):
        xs = [x * 1e3 for x in lat[name]]
        print("  %-22s %7.3f %7.3f %7.3f %7.3f" % (label, pct(xs, 50), pct(xs, 90), pct(xs, 99), max(xs)))
    d = {p: (pct(lat["attach"], p) - pct(lat["direct"], p)) * 1e3 for p in (50, 99)}
    print("  added by attach: p50 %+.3f ms, p99 %+.3f ms (goal: p99 <= +2 ms); "
          "p99 ratio %.2f" % (d[50], d[99], pct(lat["attach"], 99) / pct(lat["direct"], 99)))

    # (b) Redraw on attach.
    took, size = [], 0
    for i in range(attaches):
        s, size = socket_redraw(sock_path, tasks[i % len(tasks)])
        took.append(s * 1e3)
    print("redraw on attach, %d attaches over the socket (ms): p50 %.3f p90 %.3f p99 %.3f max %.3f "
          "(goal <= 10 ms); redraw frame %d bytes"
          % (attaches, pct(took, 50), pct(took, 90), pct(took, 99), max(took), size))
    cli = []
    for i in range(min(attaches, 20)):
        t = time.perf_counter()
        v = Pty([connectorc, "attach", "--read-only", "%s/%s" % (run_id, tasks[i % len(tasks)])],
                24, 80, env)
        read_until(v, b"ready>")
        cli.append((time.perf_counter() - t) * 1e3)
        v.proc.terminate()
        v.proc.wait()
        os.close(v.master)
    print("  for scale, `connectorc attach --read-only` started in a PTY until the screen shows, "
          "%d times (ms): p50 %.1f p90 %.1f max %.1f" % (len(cli), pct(cli, 50), pct(cli, 90), max(cli)))

    # (c) The run's memory.
    rss = status_kb(pid)
    print("run process RSS with %d sessions: VmRSS %.1f MiB when all were up, %.1f MiB after "
          "the attaches; VmHWM %.1f MiB (goal <= 64 MB)"
          % (sessions, rss_up["VmRSS"] / 1024, rss["VmRSS"] / 1024, rss["VmHWM"] / 1024))
    print("  of it: anonymous %.1f MiB (in transparent huge pages %.1f MiB), files %.1f MiB; "
          "%.0f KiB a session (VmRSS / sessions)"
          % (rss["RssAnon"] / 1024, rss.get("AnonHugePages", 0) / 1024, rss["RssFile"] / 1024,
             rss["VmRSS"] / sessions))
    stop_run(run_id)
    start_run("nothp", no_thp=True)
    rss = status_kb(wait_all_up("nothp")["run"]["pid"])
    print("  the same run started again with transparent huge pages off (PR_SET_THP_DISABLE): "
          "VmRSS %.1f MiB, anonymous %.1f MiB, %.0f KiB a session"
          % (rss["VmRSS"] / 1024, rss["RssAnon"] / 1024, rss["VmRSS"] / sessions))


try:
    main()
finally:
    cleanup()
