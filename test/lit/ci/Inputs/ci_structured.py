"""Runs the task steps of a github and a gitlab workflow built from SPEC with
fake CLIs first on PATH (their installs left out), and prints each task's
answer: structured answers read with jq (answer_json_field) as the sh and
make backends read them."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from ci_common import build, load_yaml  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--connectorc", required=True)
p.add_argument("--spec", required=True)
p.add_argument("--bin", required=True)
p.add_argument("--out", required=True)
p.add_argument("--path", help="PATH after --bin (default: the test's)")
a = p.parse_args()


def task_steps(emit, path):
    """(job, shell, script, env) of each task step."""
    y = load_yaml(path)
    if emit == "github":
        for name, job in y["jobs"].items():
            for step in job["steps"]:
                if "CONNECTOR_CI_TASK" in step.get("env", {}):
                    yield name, "bash", step["run"], step["env"]
        return
    for name, job in y.items():
        if isinstance(job, dict) and "script" in job:
            yield name, "dash", "\n".join(job["script"]), job["variables"]


for emit in ("github", "gitlab"):
    workspace = os.path.join(a.out, emit)
    os.makedirs(workspace)
    path = build(a.connectorc, a.spec, emit, os.path.join(a.out, emit + ".yml"))
    for name, shell, script, env in task_steps(emit, path):
        env = dict(env, HOME=workspace, LC_ALL="C",
                   PATH=a.bin + os.pathsep + (a.path or os.environ["PATH"]))
        r = subprocess.run([shell, "-e", "-c", script], env=env, cwd=workspace,
                           capture_output=True, text=True)
        print("%s %s: exit %d" % (emit, name, r.returncode))
        sys.stdout.write(r.stdout + r.stderr)
