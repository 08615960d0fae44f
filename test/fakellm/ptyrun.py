#!/usr/bin/env python3
"""Run a command the way the connectorc runtime runs an agent CLI: standard input a
pipe, standard output and standard error a pseudo-terminal (the controlling
terminal of a new session).

Usage: ptyrun.py [--stdin FILE | --stdin-text TEXT] [--out FILE] [--timeout S]
                 [--cols N] [--rows N] -- CMD ARGS...

Whatever the command writes to the terminal is copied to --out (default: our own
stdout), raw. With --stdin the file's bytes are written into the pipe and the pipe
is closed; without, the pipe is closed at once (empty input). On exit prints
`ptyrun: rc=N secs=S` to stderr (rc=124 after --timeout, when the process group is
killed). Exits with the command's code.
"""
import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdin")
    ap.add_argument("--stdin-text")
    ap.add_argument("--out")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    data = b""
    if a.stdin:
        with open(a.stdin, "rb") as f:
            data = f.read()
    elif a.stdin_text is not None:
        data = a.stdin_text.encode()

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))

    def child_setup():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=slave, stderr=slave,
                         preexec_fn=child_setup, close_fds=True)
    os.close(slave)

    def feed():
        try:
            p.stdin.write(data)
        except BrokenPipeError:
            pass
        finally:
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass

    threading.Thread(target=feed, daemon=True).start()
    out = open(a.out, "wb") if a.out else sys.stdout.buffer
    timed_out = False
    while True:
        left = a.timeout - (time.time() - t0)
        if left <= 0:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        r, _, _ = select.select([master], [], [], min(left, 0.2))
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every holder of the terminal has closed it
                break
            if not chunk:
                break
            out.write(chunk)
            out.flush()
        elif p.poll() is not None:
            # The child is gone; drain what is left, then stop.
            try:
                while select.select([master], [], [], 0.1)[0]:
                    chunk = os.read(master, 65536)
                    if not chunk:
                        break
                    out.write(chunk)
            except OSError:
                pass
            break
    rc = p.wait()
    if timed_out:
        rc = 124
    secs = time.time() - t0
    sys.stderr.write("ptyrun: rc=%d secs=%.1f\n" % (rc, secs))
    out.flush()
    sys.exit(rc if rc >= 0 else 128 - rc)


if __name__ == "__main__":
    main()
