#!/usr/bin/env python3
"""Sandboxed sim agents under the sh script (dash, bash), the Makefile
(make) and `connectorc run --simulate`, in the project or (--worktrees) in
worktrees: each tries to write and connect where it may and where it may
not. Prints what the runtime's attempts did, then whether each backend's
did the same.

usage: sandbox_backends.py CONNECTORC WORKDIR [--no-sandbox] [--worktrees]
"""
import json
import os
import pwd
import socket
import subprocess
import sys

connectorc, work = sys.argv[1], sys.argv[2]
off = "--no-sandbox" in sys.argv[3:]
trees = "--worktrees" in sys.argv[3:]
repo = os.path.join(work, "repo")
os.makedirs(os.path.join(repo, "allowed"))
os.makedirs(os.path.join(repo, ".connector"))
subprocess.run(["git", "init", "-q", repo], check=True)
with open(os.path.join(repo, "README.md"), "w") as f:
    f.write("base\n")
with open(os.path.join(repo, "allowed", "keep"), "w") as f:
    f.write("\n")
git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"]
subprocess.run(git + ["add", "README.md", "allowed"], check=True)
subprocess.run(git + ["commit", "-q", "-m", "initial"], check=True)
# A worktree is <repo>/.connector/worktrees/<run-id>/<name>.
up = "../../../../" if trees else ""
# The user's real home directory (from the password database: lit gives the
# tests a HOME of their own, which may be under /tmp, hidden by the sandbox's
# private /tmp): the one a sandboxed agent must not write to. The file
# written there unsandboxed has this run's own name and is removed.
home = pwd.getpwuid(os.getuid()).pw_dir
tag = "connectorc-sh-sandbox-%d" % os.getpid()
outside = os.path.join(home, tag + ".txt")
private = "/tmp/%s-private.txt" % tag

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen(64)
port = server.getsockname()[1]

# What the agent tries (sim actions, docs/sim.md), from the project root.
tries = [
    ("write", "inside.txt mine"),
    ("write", up + ".git/hooks/pre-commit hook"),
    ("write", (up or ".connector/") + "record.txt record"),
    ("write", outside + " home"),
    ("symlink", outside + " escape.txt"),
    ("write", "escape.txt through-the-link"),
    ("write", private + " tmp"),
    ("connect", "127.0.0.1:%d" % port),
]
if trees:
    tries[1:1] = [("write", "../w-2/intruder.txt theirs")]
    tries[-1:-1] = [("symlink", up + "README.md README.md"),
                    ("write", "README.md through-the-link")]
attempts = "\n".join("@sim %s %s" % t for t in tries)
boxed = {"sandbox": True}
open_boxed = {"sandbox": {"network": True, "write": ["allowed"]}}
if trees:
    boxed["worktree"] = "w-{worker}"
    open_boxed["worktree"] = "net"
phases = [
    {"name": "try", "model": "m", "parallel": True, "session": boxed,
     "workers": [{"prompt": "Try.\n" + attempts},
                 {"prompt": "Stay.\n@sim write inside.txt mine"}]},
    {"name": "net", "model": "m",
     "prompt": f"Net.\n@sim connect 127.0.0.1:{port}\n"
               f"@sim write {up}allowed/out.txt declared",
     "session": open_boxed},
]
spec = {"connector": "2.0", "name": "sandboxed", "models": {"m": "sim"},
        "pipeline": {"phases": phases, "scratchpad": True}}
spec_path = os.path.join(repo, "sandboxed.connector.json")
with open(spec_path, "w") as f:
    json.dump(spec, f)
for kind in ("sh", "mk"):
    subprocess.run([connectorc, "build", "--simulate", "--emit=" +
                    ("make" if kind == "mk" else "sh"), "-o",
                    os.path.join(work, "plan." + kind), spec_path], check=True)


def actions(run_dir):
    lines = []
    for task in ("try/1", "try/2", "net/1"):
        lines.append("task " + task)
        with open(os.path.join(run_dir, "scratchpad", task + ".md")) as f:
            answer = f.read()
        for line in answer.split("## Actions", 1)[1].strip().splitlines():
            verb, rest = line[2:].split(" ", 1)
            if ": failed" in rest:
                what, result = rest.split(": failed")
                result = "failed" + result
            else:
                what, result = rest.rsplit(": ", 1)
            lines.append("  %s %s -> %s" % (
                verb, os.path.basename(what.split(" ")[-1]), result))
    return lines


def escaped():
    found = [p for p in (outside, os.path.join(repo, ".git/hooks/pre-commit"),
                         os.path.join(repo, "record.txt"),
                         os.path.join(repo, ".connector/record.txt"), private)
             if os.path.exists(p)]
    for p in found:
        os.remove(p)
    link = os.path.join(repo, "escape.txt")
    if os.path.lexists(link):
        os.remove(link)
    names = [os.path.basename(p) for p in found]
    with open(os.path.join(repo, "README.md")) as f:
        if f.read() != "base\n":
            names.append("README.md")
    return names


# NO_SANDBOX in the environment never disables it: only the option does.
env = dict(os.environ, NO_SANDBOX="1")
ways = [
    ("run", [connectorc, "run", "--simulate", "--quiet", spec_path,
             "--run-dir", "{}"] + (["--no-sandbox"] if off else [])),
    ("dash", ["dash", os.path.join(work, "plan.sh")] +
     (["--no-sandbox"] if off else []) + ["{}"]),
    ("bash", ["bash", os.path.join(work, "plan.sh")] +
     (["--no-sandbox"] if off else []) + ["{}"]),
    ("make", ["make", "-s", "-f", os.path.join(work, "plan.mk"),
              "RUN_DIR={}"] + (["NO_SANDBOX=1"] if off else [])),
]
want = None
for name, argv in ways:
    run_dir = os.path.join(work, "run-" + name)
    proc = subprocess.run([a.replace("{}", run_dir) for a in argv], cwd=repo,
                          env=env, capture_output=True, text=True)
    got = ["exit %d" % proc.returncode] + actions(run_dir)
    got.append("escaped: " + " ".join(escaped()))
    if want is None:
        want = got
        print("\n".join(got))
    elif got == want:
        print(name + ": the same")
    else:
        print(name + ": differs:\n" + "\n".join(got) + "\n" + proc.stderr)
