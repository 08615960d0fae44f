"""Drives connectorc's session commands through real pseudo-terminals.

Pty runs a program with a pseudo-terminal as its controlling terminal and
standard streams, as a user's terminal would: its window size can change
(the kernel sends SIGWINCH), what it prints is read back, keys are typed.
Helpers start a run and wait for its task's session to reach a state through
`connectorc ps --json`. Waits poll with a deadline (no wall-clock assertions:
a deadline only turns a hang into a failure).
"""
import atexit
import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time

DEADLINE_S = 60
CSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


def plain(data):
    """Terminal bytes as text: control sequences out, CRs and cursor moves
    to a row (a redraw's) as newlines."""
    data = re.sub(rb"\x1b\[[0-9]*;1H", b"\n", data)
    return CSI.sub(b"", data).replace(b"\r", b"\n").decode("utf-8", "replace")


class Pty:
    def __init__(self, argv, rows=24, cols=80, env=None):
        self.master, slave = os.openpty()
        self.set_size(rows, cols, fd=slave)

        def controlling():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     preexec_fn=controlling, env=env, close_fds=True)
        os.close(slave)
        self.out = b""

    def set_size(self, rows, cols, fd=None):
        fcntl.ioctl(self.master if fd is None else fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def resize(self, rows, cols):
        # As a terminal emulator does: the kernel signals the foreground group.
        self.set_size(rows, cols)

    def type(self, data):
        os.write(self.master, data)

    def pump(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the program and its terminal are gone
            return None
        if not data:
            return None
        self.out += data
        return True

    def expect(self, pattern, what):
        """Reads until the plain text matches; the text, or exits 1 naming what."""
        rx = re.compile(pattern)
        end = time.monotonic() + DEADLINE_S
        while True:
            m = rx.search(plain(self.out))
            if m:
                return m
            if time.monotonic() > end or self.pump(0.2) is None and not rx.search(plain(self.out)):
                sys.stderr.write("never saw %s (%r); got:\n%s\n" % (what, pattern, plain(self.out)))
                sys.exit(1)

    def finish(self):
        """Reads to the end; the exit status."""
        end = time.monotonic() + DEADLINE_S
        while time.monotonic() < end and self.pump(0.2) is not None:
            pass
        return self.proc.wait(timeout=DEADLINE_S)


def private_runtime_dir():
    """A runtime directory of the test's own, removed at exit: in /tmp
    (short, for the sockets in it; and a place another user may reach, for
    the test that opens it on purpose)."""
    d = tempfile.mkdtemp(prefix="cc-rt-", dir="/tmp")
    atexit.register(shutil.rmtree, d, True)
    return d


def foreground_run(connectorc, spec, run_dir):
    """`connectorc run SPEC` in the foreground of another "terminal" (a
    subprocess) with a private runtime directory, killed at exit if a step
    failed: (process, environment, run id)."""
    env = dict(os.environ, XDG_RUNTIME_DIR=private_runtime_dir())
    run = subprocess.Popen([connectorc, "run", spec, "--run-dir", run_dir, "--quiet"], env=env)
    atexit.register(lambda: run.poll() is None and run.kill())
    return run, env, os.path.basename(run_dir)


def ps(connectorc, env, *args):
    p = subprocess.run([connectorc, "ps", "--json", *args], env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def wait_for_task_state(connectorc, env, run, task, states):
    """Polls `ps RUN --json` until task's session state is one of states."""
    end = time.monotonic() + DEADLINE_S
    last = None
    while time.monotonic() < end:
        s = ps(connectorc, env, run)
        if s:
            for t in s.get("tasks", []):
                if t["id"] == task:
                    last = t.get("state") or t.get("status")
                    if last in states:
                        return last
        time.sleep(0.1)
    sys.stderr.write("task %s never reached %s (last: %s)\n" % (task, states, last))
    sys.exit(1)
