"""The runner of each job of a github workflow and a gitlab pipeline, read
back as YAML: `JOB runs-on JSON` and `JOB tags JSON` lines in job order;
then actionlint over the workflow, told the spec's machine names as
self-hosted labels (as an actionlint.yaml would tell it)."""
import argparse
import json
import os
import sys

from ci_common import find_actionlint, load_yaml, run_actionlint

p = argparse.ArgumentParser()
p.add_argument("--src", required=True)
p.add_argument("--spec", required=True)
p.add_argument("--github", required=True)
p.add_argument("--gitlab", required=True)
a = p.parse_args()

for job_id, job in load_yaml(a.github)["jobs"].items():
    print(job_id, "runs-on", json.dumps(job["runs-on"]))
for job_id, job in load_yaml(a.gitlab).items():
    if isinstance(job, dict) and "script" in job:
        print(job_id, "tags", json.dumps(job.get("tags")))

with open(a.spec) as f:
    machines = set(json.load(f).get("machines", {}))
n, findings = run_actionlint(find_actionlint(a.src), a.github,
                             {os.path.basename(a.github): machines})
if n != 1 or findings:
    sys.exit("FAIL: actionlint checked %d workflows:\n%s" % (n, findings))
print("actionlint: 0 findings")
