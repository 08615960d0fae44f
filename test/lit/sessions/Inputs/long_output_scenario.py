"""After more output than the screen model keeps unseen (it is fed when
looked at, from the end of a long burst), attach still draws the screen as it
is: the last lines and the question at the cursor.

Usage: long_output_scenario.py CONNECTORC SPEC RUN_DIR
"""
import atexit
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from ptys import Pty, plain, private_runtime_dir, wait_for_task_state  # noqa: E402

connectorc, spec, run_dir = sys.argv[1:4]
env = dict(os.environ, XDG_RUNTIME_DIR=private_runtime_dir())
run = subprocess.Popen([connectorc, "run", spec, "--run-dir", run_dir, "--quiet"], env=env)
atexit.register(lambda: run.poll() is None and run.kill())
run_id = os.path.basename(run_dir)
print("state:", wait_for_task_state(connectorc, env, run_id, "long/1", ["waiting for input"]))
v = Pty([connectorc, "attach", run_id + "/long/1"], 40, 120, env)
v.expect(r"Last question\? \(y/n\)", "the question in the redraw")
lines = [l.strip() for l in plain(v.out).splitlines() if l.strip()]
print("redraw ends:", " | ".join(lines[-3:]))
v.type(b"y\r")
print("run:", run.wait(timeout=60))
