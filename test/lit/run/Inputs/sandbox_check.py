"""Runs sandboxed sim agents that try to write and connect where they may
and where they may not, and prints what each attempt did, for FileCheck.

usage: sandbox_check.py CONNECTORC WORKDIR [extra run options...]
"""
import json
import os
import pwd
import socket
import subprocess
import sys

connectorc, work = sys.argv[1], sys.argv[2]
extra = sys.argv[3:]
repo = os.path.join(work, "repo")
os.makedirs(repo)
git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"]
subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
with open(os.path.join(repo, "README.md"), "w") as f:
    f.write("base\n")
os.makedirs(os.path.join(repo, "allowed"))
with open(os.path.join(repo, "allowed", "keep"), "w") as f:
    f.write("\n")
subprocess.run(git + ["add", "-A"], check=True)
subprocess.run(git + ["commit", "-q", "-m", "initial"], check=True)

# A server on loopback, outside the sandbox.
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen(8)
port = server.getsockname()[1]
# The user's real home directory (from the password database: lit gives the
# tests a HOME of their own, which may be under /tmp, hidden by the sandbox's
# private /tmp): the one a sandboxed agent must not write to. The file
# written there unsandboxed has this run's own name and is removed.
home = pwd.getpwuid(os.getuid()).pw_dir
# The files an agent tries to write outside: names of this run's own, so that
# another run of this test (another copy of the suite) neither sees them nor
# removes them.
tag = "connectorc-sandbox-probe-%d" % os.getpid()
probe = os.path.join(home, tag + ".txt")
private = "/tmp/%s-private.txt" % tag

# The worktree is <repo>/.connector/worktrees/<run>/w-N: four levels below
# the repository.
up = "../../../../"
attempts = "\n".join([
    "@sim write inside.txt mine",
    "@sim write ../w-2/intruder.txt theirs",
    f"@sim write {up}root.txt project",
    f"@sim write {up}.git/hooks/pre-commit hook",
    f"@sim write {probe} home",
    f"@sim symlink {up}README.md README.md",
    "@sim write README.md through-the-link",
    f"@sim write {private} tmp",
    f"@sim connect 127.0.0.1:{port}",
])
spec = {
    "connector": "2.0",
    "name": "sandboxed",
    "models": {"m": "sim"},
    "pipeline": {
        "phases": [
            {
                "name": "try",
                "model": "m",
                "parallel": True,
                "workers": [
                    {"prompt": "Try everything.\n" + attempts},
                    {"prompt": "Stay home.\n@sim write inside.txt mine"},
                ],
                "session": {"worktree": "w-{worker}", "sandbox": True},
            },
            {
                "name": "net",
                "model": "m",
                "prompt": f"With network.\n@sim connect 127.0.0.1:{port}\n"
                          f"@sim write {up}allowed/out.txt declared",
                "session": {"worktree": "net",
                            "sandbox": {"network": True,
                                        "write": ["allowed"]}},
            },
        ],
        "scratchpad": True,
    },
}
spec_path = os.path.join(repo, "sandboxed.connector.json")
with open(spec_path, "w") as f:
    json.dump(spec, f)

run_dir = os.path.join(work, "run")
proc = subprocess.run([connectorc, "run", "--simulate", spec_path,
                       "--run-dir", run_dir, "--quiet",
                       "--keep-worktrees"] + extra,
                      cwd=repo, capture_output=True, text=True)
print("exit", proc.returncode)
sys.stderr.write(proc.stderr)
for task in ("try/1", "try/2", "net/1"):
    with open(os.path.join(run_dir, "scratchpad", task + ".md")) as f:
        answer = f.read()
    print("task", task)
    for line in answer.split("## Actions", 1)[1].strip().splitlines():
        # Paths differ per run: keep the verb, the last component, the result.
        verb, rest = line[2:].split(" ", 1)
        what, result = rest.rsplit(": ", 1) if ": failed" not in rest else (
            rest.split(": failed")[0], "failed" + rest.split(": failed")[1])
        print(" ", verb, os.path.basename(what.split(" ")[-1]), "->", result)
print("main README:", open(os.path.join(repo, "README.md")).read().strip())
print("root.txt exists:", os.path.exists(os.path.join(repo, "root.txt")))
print("hook exists:", os.path.exists(os.path.join(repo, ".git/hooks/pre-commit")))
print("home file exists:", os.path.exists(probe))
if os.path.exists(probe):
    os.remove(probe)
# /tmp is private to the sandbox: the file written there is not in this one.
print("tmp file exists:", os.path.exists(private))
if os.path.exists(private):
    os.remove(private)
print("allowed/out.txt:", open(os.path.join(repo, "allowed/out.txt")).read().strip()
      if os.path.exists(os.path.join(repo, "allowed/out.txt")) else "missing")
with open(os.path.join(run_dir, "summary.json")) as f:
    print("summary sandbox:", json.load(f).get("sandbox"))
with open(os.path.join(run_dir, "events.jsonl")) as f:
    print("disabled events:", sum('"sandbox-disabled"' in l for l in f))
