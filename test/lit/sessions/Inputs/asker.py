"""An agent that asks a question at its terminal and reports its window size."""
import fcntl
import os
import signal
import struct
import sys
import termios


def size(*_):
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
    sys.stdout.write("\r\nsize: %dx%d\r\n" % (rows, cols))
    sys.stdout.write("Do you trust this folder? (y/n) ")
    sys.stdout.flush()


signal.signal(signal.SIGWINCH, size)
# What it inherited: no socket of connectorc's (a run's or the daemon's
# control socket would let an agent drive the run).
sockets = 0
for fd in os.listdir("/proc/self/fd"):
    try:
        sockets += os.readlink("/proc/self/fd/" + fd).startswith("socket:")
    except OSError:  # the listing's own descriptor, closed since
        pass
print("inherited sockets: %d" % sockets)
print("BANNER-LINE one")
print("BANNER-LINE two")
sys.stdout.write("Do you trust this folder? (y/n) ")
sys.stdout.flush()
line = sys.stdin.readline()
print("answer: %s" % line.strip())
