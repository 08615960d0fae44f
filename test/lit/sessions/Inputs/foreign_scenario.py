"""Another user's connection to a run's control socket is refused: by the
private directory first, and, with that opened on purpose, by the server's
check of the peer's uid (it closes the connection without a word). connectorc
itself refuses a runtime directory open to others.

Usage (as root): foreign_scenario.py CONNECTORC SPEC RUN_DIR
"""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from ptys import private_runtime_dir, wait_for_task_state  # noqa: E402

connectorc, spec, run_dir = sys.argv[1:4]
rt = private_runtime_dir()
env = dict(os.environ, XDG_RUNTIME_DIR=rt)
run = subprocess.Popen([connectorc, "run", spec, "--run-dir", run_dir, "--quiet"], env=env)
run_id = os.path.basename(run_dir)
print("state:", wait_for_task_state(connectorc, env, run_id, "ask/1", ["waiting for input"]))
home = os.path.join(rt, "connectorc")
sock = [os.path.join(home, "runs", f) for f in os.listdir(os.path.join(home, "runs")) if f.endswith(".sock")][0]
NOBODY = 65534


def as_nobody():
    """Connects as another user and asks for the run's status: what happened."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.sendall(b'{"v":1,"op":"status"}\n')
            data = s.recv(65536)
            out = "answered" if data else "closed without an answer"
        except (ConnectionResetError, BrokenPipeError):  # hung up on
            out = "closed without an answer"
        except OSError as e:
            out = "refused: " + os.strerror(e.errno)
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    with os.fdopen(r) as f:
        return f.read()


print("other user:", as_nobody())
# Opened on purpose (the directory, the socket): the uid check still holds.
os.chmod(rt, 0o755)
os.chmod(home, 0o755)
os.chmod(os.path.join(home, "runs"), 0o755)
os.chmod(sock, 0o777)
print("other user, directory opened:", as_nobody())
# connectorc will not use a runtime directory others can enter.
p = subprocess.run([connectorc, "ps"], env=env, capture_output=True, text=True)
print("ps with the directory open:", p.returncode, p.stderr.strip())
os.chmod(home, 0o700)
os.chmod(os.path.join(home, "runs"), 0o700)
s = subprocess.run([connectorc, "send", run_id + "/ask/1", "y"], env=env)
print("run:", run.wait(timeout=60))
