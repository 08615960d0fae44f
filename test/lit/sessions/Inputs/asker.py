"""An agent that asks a question at its terminal and reports its window size."""
import fcntl
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
print("BANNER-LINE one")
print("BANNER-LINE two")
sys.stdout.write("Do you trust this folder? (y/n) ")
sys.stdout.flush()
line = sys.stdin.readline()
print("answer: %s" % line.strip())
