"""The daemon: a detached run outlives its client's terminal (SIGHUP), the
daemon killed with SIGKILL loses nothing (its run goes on, a new daemon
watches it again), a run killed with its daemon is continued from its
journal by the next daemon (its finished task is not run again), and
`daemon --stop` leaves no process behind.

Usage: daemon_scenario.py CONNECTORC WORKDIR   (WORKDIR holds spec.json)
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from ptys import DEADLINE_S, Pty, plain, private_runtime_dir, ps, wait_for_task_state  # noqa: E402

connectorc, work = sys.argv[1:3]
os.chdir(work)
rt = private_runtime_dir()
env = dict(os.environ, XDG_RUNTIME_DIR=rt)


def daemon(op):
    """One request on the daemon's socket, as any client of the protocol."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(rt, "connectorc", "daemon.sock"))
    s.sendall((json.dumps(dict(op=op, v=1)) + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data)


def until(what, check):
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    sys.stderr.write("never: %s\n" % what)
    sys.exit(1)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def ours():
    """This scenario's processes: the ones with its runtime directory in
    their environment (daemons, runs, agents), the scenario aside."""
    mark = ("XDG_RUNTIME_DIR=" + rt).encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if mark in f.read().split(b"\0") and int(pid) != os.getpid():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def cleanup():
    for pid in ours():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


import atexit  # noqa: E402
atexit.register(cleanup)  # a failed step leaves nothing running either

# Started from a terminal that then closes: the run goes on.
t = Pty(["sh", "-c", "%s run --detach spec.json && exec sleep 60" % connectorc], env=env)
run_id = t.expect(r"(dm-\d{8}T\d{6}Z\S*)", "the run's id").group(1)
os.close(t.master)  # the terminal is gone: SIGHUP to its session
print("client after hang-up:", t.proc.wait(timeout=DEADLINE_S))
print("state:", wait_for_task_state(connectorc, env, run_id, "ask/1", ["waiting for input"]))
print("one's count:", open("count").read().count("x"))

# The daemon killed with SIGKILL: its run goes on.
first = daemon("ping")["pid"]
os.kill(first, signal.SIGKILL)
until("the daemon is gone", lambda: not alive(first) or open("/proc/%d/stat" % first).read().split()[2] == "Z")
print("after the daemon's SIGKILL:", wait_for_task_state(connectorc, env, run_id, "ask/1", ["waiting for input"]))

# A new daemon watches it again.
d2 = subprocess.Popen([connectorc, "daemon"], env=env, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL, start_new_session=True)


def answers(pid):
    """Whether the daemon on the socket is pid (the old one's socket file
    stays behind it until the new one replaces it)."""
    try:
        return daemon("ping")["pid"] == pid
    except OSError:
        return False


until("the new daemon answers", lambda: answers(d2.pid))
held = daemon("status")["runs"]
print("new daemon holds:", [(r["id"] == run_id, r["state"]) for r in held])

# Both killed: the run, then its daemon; the next daemon continues the run.
run_pid = ps(connectorc, env, run_id)["run"]["pid"]
d2.send_signal(signal.SIGKILL)
d2.wait()
os.kill(run_pid, signal.SIGKILL)
until("the run is gone", lambda: not alive(run_pid))
d3 = subprocess.Popen([connectorc, "daemon"], env=env, stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL, start_new_session=True)
print("after both were killed:", wait_for_task_state(connectorc, env, run_id, "ask/1", ["waiting for input"]))
print("restarts:", [r["restarts"] for r in daemon("status")["runs"] if r["id"] == run_id])
s = subprocess.run([connectorc, "send", run_id + "/ask/1", "y"], env=env)
until("the run's end", lambda: "run-end" in open(os.path.join(".connector/runs", run_id, "events.jsonl")).read())
print("one's count:", open("count").read().count("x"))
# The journal's end comes before the process's: the daemon sees the latter.
until("the daemon sees the run's end",
      lambda: [r["state"] for r in daemon("status")["runs"] if r["id"] == run_id] != ["running"])
print("ended:", [r["state"] for r in daemon("status")["runs"] if r["id"] == run_id])
print("ps after its end:", [(r["id"] == run_id, r["state"]) for r in ps(connectorc, env)])

# Stopped with a run in it: the run ends as Ctrl-C ends it, nothing is left.
second = subprocess.run([connectorc, "run", "--detach", "spec2.json"], env=env,
                        capture_output=True, text=True).stdout.strip()
print("state 2:", wait_for_task_state(connectorc, env, second, "ask/1", ["waiting for input"]))
stop = subprocess.run([connectorc, "daemon", "--stop"], env=env, capture_output=True, text=True)
print("daemon --stop:", stop.returncode, stop.stderr.strip())
d3.wait(timeout=DEADLINE_S)
print("run 2 end:", [json.loads(l).get("status") for l in open(os.path.join(".connector/runs", second, "events.jsonl"))
                     if '"run-end"' in l])
print("processes left:", len(ours()))
print("runs listed:", len(ps(connectorc, env) or []))
