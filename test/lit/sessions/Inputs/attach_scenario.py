"""attach, send, detach, resize and viewers, against a run in the foreground
of another "terminal" (a subprocess), through real pseudo-terminals.

Usage: attach_scenario.py CONNECTORC SPEC RUN_DIR
Prints what each client saw, for FileCheck.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from ptys import Pty, plain, foreground_run, wait_for_task_state, ps  # noqa: E402

connectorc, spec, run_dir = sys.argv[1:4]
run, env, run_id = foreground_run(connectorc, spec, run_dir)
task = run_id + "/ask/1"

# The agent is already at its question when the first client comes.
print("state:", wait_for_task_state(connectorc, env, run_id, "ask/1", ["waiting for input"]))

# Redraw on attach: the screen as it is, from the screen model.
v1 = Pty([connectorc, "attach", "--read-only", task], 24, 80, env)
v1.expect(r"trust this folder\? \(y/n\)", "viewer 1's redraw")
print("viewer 1:", " | ".join(l.strip() for l in plain(v1.out).splitlines() if "BANNER" in l or "trust" in l))
v2 = Pty([connectorc, "attach", "--read-only", task], 24, 80, env)
v2.expect(r"trust this folder\? \(y/n\)", "viewer 2's redraw")
print("viewer 2:", " | ".join(l.strip() for l in plain(v2.out).splitlines() if "BANNER" in l or "trust" in l))

# The writer's window becomes the agent's, now and when it changes.
w = Pty([connectorc, "attach", task], 30, 100, env)
w.expect(r"size: 30x100", "the agent's window at the writer's size")
print("agent window:", w.expect(r"size: 30x100", "").group(0))
w.resize(33, 90)
print("agent window:", w.expect(r"size: 33x90", "the agent's window after a resize").group(0))
print("viewer 1 live:", v1.expect(r"size: 33x90", "viewer 1 sees the live output").group(0))

# One writer at a time.
w2 = subprocess.run([connectorc, "attach", task], env=env, capture_output=True, text=True,
                    stdin=subprocess.DEVNULL)
print("second writer:", w2.returncode, w2.stderr.strip())

# Detach: the agent goes on.
w.type(b"\x1cd")
w.expect(r"detached from ask/1", "the detach message")
print("writer after detach:", w.finish(), plain(w.out).strip().splitlines()[-1])
print("state after detach:", wait_for_task_state(connectorc, env, run_id, "ask/1",
                                                 ["waiting for input", "working"]))

# A script's way in: send types the answer (pasted, then Enter).
s = subprocess.run([connectorc, "send", task, "y"], env=env, capture_output=True, text=True)
print("send:", s.returncode, s.stderr.strip())
print("viewer 2 live:", v2.expect(r"answer: y", "the agent's answer").group(0))
print("viewer 1 end:", v1.finish(), plain(v1.out).strip().splitlines()[-1])
print("viewer 2 end:", v2.finish(), plain(v2.out).strip().splitlines()[-1])
print("run:", run.wait(timeout=60))
print("runs listed after the run:", len(ps(connectorc, env) or []))
