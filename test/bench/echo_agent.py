"""The attach benchmark's agent: a screen of text, then every key it reads
is written straight back (its terminal in raw mode, as a TUI's is)."""
import os
import sys
import termios
import tty

try:
    tty.setraw(0, termios.TCSANOW)
except termios.error:  # not a terminal
    pass
# Something for a redraw to paint: most of a 24x80 screen.
for i in range(20):
    os.write(1, b"\x1b[1mline %02d\x1b[0m: the quick brown fox jumps over the lazy dog\r\n" % i)
os.write(1, b"ready> ")
while True:
    keys = os.read(0, 4096)
    if not keys:
        sys.exit(0)
    os.write(1, keys)
