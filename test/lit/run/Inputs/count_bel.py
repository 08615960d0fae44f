#!/usr/bin/env python3
"""Prints "bells: N", N the BEL bytes (0x07) in the file named."""
import sys

with open(sys.argv[1], "rb") as f:
    print("bells: %d" % f.read().count(b"\a"))
