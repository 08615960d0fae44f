#!/usr/bin/env python3
"""Runs a command under a memory ceiling and a time limit, and says how it ended.

usage: limited.py MEMORY_MIB TIMEOUT_SECONDS COMMAND [ARG...]

The command's stdout and stderr pass through; then "exit status: N" (or
"killed by signal N", or "timed out") is printed on stdout and this script
exits 0, so a test checks how the command ended with FileCheck. lit's internal
shell has no `ulimit`, hence this script. Sanitizer builds reserve terabytes of
address space for shadow memory, so no address-space limit is set for them.
"""
import resource
import subprocess
import sys


def sanitized(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return b"__asan_init" in data or b"__msan_init" in data
    except OSError:
        return False


def main():
    mib, seconds, cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    limit = None if sanitized(cmd[0]) else mib << 20

    def apply_limit():
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    sys.stdout.flush()
    try:
        r = subprocess.run(cmd, preexec_fn=apply_limit, timeout=seconds)
    except subprocess.TimeoutExpired:
        print("timed out after %g seconds" % seconds)
        return 0
    sys.stderr.flush()
    if r.returncode < 0:
        print("killed by signal %d" % -r.returncode)
    else:
        print("exit status: %d" % r.returncode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
