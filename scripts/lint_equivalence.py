#!/usr/bin/env python3
"""Checks that two connectorc binaries lint alike: same diagnostics, same exit.

usage: lint_equivalence.py OLD_CONNECTORC NEW_CONNECTORC [--split-file PATH]

For a change to how lint works (not to what it should report): build the
commit before it into another directory (or copy its binary aside), then
compare. Every spec the project has is linted by both, in human and JSON
format: the `#--- *.json` parts of each test under test/lit/ (split out with
LLVM's split-file into one directory per test, so prompt files and relative
paths resolve as they do under lit), test/lit/**/Inputs/*.json, examples/ and
the fuzz corpus. Prints each file whose output differs and exits 1 if any does.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORMATS = (["--format=human", "--color=never"], ["--format=json"])


def split_tests(split_file, into):
    """(directory, spec file) of every JSON part of the lit tests."""
    out = []
    for test in sorted(glob.glob(os.path.join(ROOT, "test/lit/**/*.test"), recursive=True)):
        with open(test, encoding="utf-8", errors="replace") as f:
            if "#--- " not in f.read():
                continue
        rel = os.path.relpath(test, ROOT)
        d = os.path.join(into, rel.replace(os.sep, "__"))
        os.makedirs(d)
        if subprocess.run([split_file, test, d], capture_output=True).returncode:
            continue  # not a split-file test after all
        for spec in sorted(glob.glob(os.path.join(d, "**/*.json"), recursive=True)):
            out.append((os.path.dirname(spec), os.path.basename(spec)))
    return out


def plain_specs():
    pats = ["test/lit/**/Inputs/*.json", "examples/*.json", "test/fuzz/corpus/*.json"]
    out = []
    for p in pats:
        for spec in sorted(glob.glob(os.path.join(ROOT, p), recursive=True)):
            out.append((os.path.dirname(spec), os.path.basename(spec)))
    return out


def lint(binary, cwd, spec, fmt):
    r = subprocess.run([binary, "lint", *fmt, spec], cwd=cwd, capture_output=True,
                       env={**os.environ, "NO_COLOR": "1"})
    return r.returncode, r.stdout, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--split-file", default="/usr/lib/llvm-14/bin/split-file")
    a = ap.parse_args()
    old, new = os.path.abspath(a.old), os.path.abspath(a.new)
    differ = 0
    with tempfile.TemporaryDirectory(prefix="lint-equivalence-") as tmp:
        specs = split_tests(a.split_file, tmp) + plain_specs()
        for cwd, spec in specs:
            for fmt in FORMATS:
                if lint(old, cwd, spec, fmt) != lint(new, cwd, spec, fmt):
                    differ += 1
                    print(f"differs: {os.path.join(cwd, spec)} {' '.join(fmt)}")
        print(f"{len(specs)} specs, {len(FORMATS)} formats each: {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
