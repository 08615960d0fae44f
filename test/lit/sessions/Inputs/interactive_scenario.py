"""Interactive sessions with the sim agent's full-screen mode, through real
pseudo-terminals: a first-run question connectorc may not answer (the project
is not a worktree it made) waits for a person; a person attached as the
writer answers it, holds the session past the agent's answer and asks again;
`connectorc done` ends the task with the agent's last message.

Usage: interactive_scenario.py CONNECTORC SPEC RUN_DIR
Prints what happened, for FileCheck.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from ptys import Pty, plain, foreground_run, wait_for_task_state  # noqa: E402

connectorc, spec, run_dir = sys.argv[1:4]
run, env, run_id = foreground_run(connectorc, spec, run_dir)
task = run_id + "/talk/1"

# Not in a worktree connectorc made: the trust question is a person's.
print("state:", wait_for_task_state(connectorc, env, run_id, "talk/1", ["waiting for input"]))

# `done` before the prompt was typed has nothing to end with.
d = subprocess.run([connectorc, "done", task], env=env, capture_output=True, text=True)
print("early done:", d.returncode, d.stderr.strip())

w = Pty([connectorc, "attach", task], 30, 100, env)
w.expect(r"I trust this folder", "the trust question, redrawn")
w.type(b"1")
# connectorc types the prompt once the CLI is ready; the agent answers.
w.expect(r"> Say hello\.", "the answer to the typed prompt")
# The writer holds it open: the agent is idle, the task goes on.
print("held:", wait_for_task_state(connectorc, env, run_id, "talk/1", ["waiting for input", "idle"]))
time.sleep(0.5)
print("run still going:", run.poll() is None)
w.type(b"and again")
w.type(b"\r")
w.expect(r"> and again", "the answer to the person's prompt")
d = subprocess.run([connectorc, "done", task], env=env, capture_output=True, text=True)
print("done:", d.returncode, d.stderr.strip())
print("writer end:", w.finish(), plain(w.out).strip().splitlines()[-1])
print("run:", run.wait(timeout=60))
