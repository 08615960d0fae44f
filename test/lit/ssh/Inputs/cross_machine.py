"""Rewrites the cross-machine example for the sshd fixture: its laptop is
this machine ("local"), its server the fixture; `write` makes every worker
write a file into its worktree."""
import json
import sys

example, tmp, connectorc, mode = sys.argv[1:5]
spec = json.load(open(example))
spec["machines"] = {"server": {"host": "fixture",
                               "ssh_config": tmp + "/sshd/ssh_config",
                               "workdir": tmp + "/remote",
                               "connectorc": connectorc}}
phase = spec["pipeline"]["phases"][0]
for worker in phase["workers"]:
    if worker["machine"] == "laptop":
        worker["machine"] = "local"
phase["session"]["worktree"] = "build-{machine}"
if mode == "write":
    spec["models"]["builder"] = {"provider": "custom", "command": [
        "sh", "-c", 'echo "written in $PWD" > "$1.txt" && echo done', "sh",
        "{prompt}"]}
    phase["workers"][0]["prompt"] = "laptop"
    phase["workers"][1]["prompt"] = "server"
json.dump(spec, sys.stdout, indent=1)
