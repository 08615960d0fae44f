"""`connectorc stop RUN/TASK` ends one task as Ctrl-C would (its dependants
are skipped, the others go on, the run ends interrupted); a task that is over
cannot be stopped, nor a run that is over.

Usage: stop_scenario.py CONNECTORC SPEC RUN_DIR
"""
import atexit
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from ptys import private_runtime_dir, wait_for_task_state  # noqa: E402

connectorc, spec, run_dir = sys.argv[1:4]
env = dict(os.environ, XDG_RUNTIME_DIR=private_runtime_dir())
run = subprocess.Popen([connectorc, "run", spec, "--run-dir", run_dir, "--quiet"], env=env,
                       stderr=subprocess.DEVNULL)
atexit.register(lambda: run.poll() is None and run.kill())
rid = os.path.basename(run_dir)


def stop(target):
    p = subprocess.run([connectorc, "stop", target], env=env, capture_output=True, text=True)
    return "%d %s" % (p.returncode, p.stderr.strip())


for t in ("a/1", "b/1"):
    print(t, wait_for_task_state(connectorc, env, rid, t, ["waiting for input"]))
print("stop a:", stop(rid + "/a/1"))
print("b after:", wait_for_task_state(connectorc, env, rid, "b/1", ["waiting for input", "working"]))
print("a after:", wait_for_task_state(connectorc, env, rid, "a/1", ["interrupted"]))
print("stop a again:", stop(rid + "/a/1"))
print("stop nothing:", stop(rid + "/zz/9"))
subprocess.run([connectorc, "send", rid + "/b/1", "y"], env=env, check=True)
print("run:", run.wait(timeout=60))
print("stop after the end:", stop(rid))
with open(os.path.join(run_dir, "events.jsonl")) as f:
    for line in f:
        e = json.loads(line)
        if e["event"] in ("task-done", "run-end"):
            print(e["event"], e.get("task", ""), e["status"], e.get("reason", ""))

# The whole run, as Ctrl-C: every task ends, the run with them.
run2_dir = run_dir + "2"
run2 = subprocess.Popen([connectorc, "run", spec, "--run-dir", run2_dir, "--quiet"], env=env,
                        stderr=subprocess.DEVNULL)
atexit.register(lambda: run2.poll() is None and run2.kill())
print("run 2:", wait_for_task_state(connectorc, env, rid + "2", "a/1", ["waiting for input"]))
print("stop run 2:", stop(rid + "2"))
print("run 2 exit:", run2.wait(timeout=60))
with open(os.path.join(run2_dir, "events.jsonl")) as f:
    print("run 2:", sorted(json.loads(l).get("status") for l in f if '"task-done"' in l))
