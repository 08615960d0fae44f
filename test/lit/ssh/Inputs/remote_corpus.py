#!/usr/bin/env python3
"""Hostile prompts to remote agents through the sh backend's script.

  remote_corpus.py --connectorc C --work DIR --remote DIR --ssh-config F

Strings of the adversarial corpus (those that try to run a command, and the
quotes) as the prompts of workers on machine `server` (the sshd fixture):
through the sim (prompt on standard input; its answer quotes the size and
SHA-256 it received) and through printf with the prompt as an argument (it
prints it back), under dash. Each must arrive byte for byte, and no CANARY
file may appear here or on the remote. Prints one line per check; exits 1 at
the first difference.
"""
import argparse
import json
import os
import subprocess
import sys

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "test", "lit", "backends", "Inputs"))
import shell_backends  # noqa: E402 (the corpus checks of backends/corpus.test)


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--connectorc", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--remote", required=True)
    p.add_argument("--ssh-config", required=True)
    args = p.parse_args()
    with open(shell_backends.CORPUS, encoding="utf-8") as fh:
        strings = [s for s in json.load(fh) if "CANARY" in s or "'" in s]
    os.makedirs(args.work, exist_ok=True)
    machine = {"host": "fixture", "ssh_config": args.ssh_config,
               "workdir": args.remote, "connectorc": args.connectorc}
    workers = [{"prompt": s.replace("{", "{{").replace("}", "}}")} for s in strings]
    specs = {
        "stdin": ({"m": "claude"}, ("--simulate",)),
        "argv": ({"m": {"provider": "custom",
                        "command": ["printf", "x%s", "{prompt}"]}}, ()),
    }
    for kind, (models, extra) in specs.items():
        spec = {"connector": "2.0", "name": "remote-corpus-" + kind,
                "models": models, "machines": {"server": machine},
                "pipeline": {"phases": [{"name": "p", "model": "m",
                                         "machine": "server",
                                         "workers": workers}]}}
        path = os.path.join(args.work, kind + ".json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
        script = os.path.join(args.work, kind + ".sh")
        r = subprocess.run([args.connectorc, "build", *extra, "--emit=sh",
                            "-o", script, path], capture_output=True)
        if r.returncode != 0:
            fail("build %s: %s" % (kind, r.stderr.decode(errors="replace")))
        run_dir = os.path.join(args.work, "run-" + kind)
        r = subprocess.run(["dash", script, "-j", "8", run_dir],
                           capture_output=True, cwd=args.work)
        if r.returncode != 0:
            fail("%s under dash: exit %d: %s" % (
                kind, r.returncode, r.stderr.decode(errors="replace")[-2000:]))
        for i, s in enumerate(strings):
            with open(os.path.join(run_dir, "scratchpad", "p", "%d.md" % (i + 1)),
                      "rb") as fh:
                answer = fh.read()
            if not shell_backends.arrived(kind, s, answer):
                fail("%s prompt %r arrived changed: %r" % (kind, s, answer[:300]))
        for top in (args.work, args.remote):
            for dirpath, _, filenames in os.walk(top):
                if "CANARY" in filenames:
                    fail("a prompt ran a command: %s/CANARY" % dirpath)
        remote_sessions = os.path.join(args.remote, ".connector", "remote",
                                       "run-" + kind, "sessions", "p")
        if len(os.listdir(remote_sessions)) != len(strings):
            fail("%s: not every task ran on the remote" % kind)
        print("remote %s prompts intact: %d" % (kind, len(strings)))


if __name__ == "__main__":
    main()
