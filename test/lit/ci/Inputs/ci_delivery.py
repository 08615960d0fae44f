"""Delivery: the adversarial corpus as prompts reaches the sim agent byte for
byte through the github and gitlab backends, and none of it runs.

A generated spec gives each corpus string to a worker. Its --simulate
workflows are run by emulating the CI runner: each job's run steps (github,
under bash) or scripts (gitlab, under dash) execute with the step's env or
the job's variables, `${{ secrets.X }}` replaced by a dummy; the artifact
steps become one shared working directory."""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

from ci_common import build, find_actionlint, load_yaml, run_actionlint

p = argparse.ArgumentParser()
p.add_argument("--connectorc", required=True)
p.add_argument("--corpus", required=True)
p.add_argument("--out", required=True)
p.add_argument("--src", required=True)
a = p.parse_args()

SECRET = re.compile(r"^\$\{\{ secrets\.[A-Za-z_][A-Za-z0-9_]* \}\}$")
GITLAB_KEYWORDS = {"workflow", "stages", "variables", "default", "include"}


def fail(msg):
    sys.exit("FAIL: " + msg)


def escape(s):
    """A prompt template that means exactly s."""
    return s.replace("{", "{{").replace("}", "}}")


def write_spec(path, prompts):
    spec = {
        "connector": "2.0",
        "name": "corpus",
        "pipeline": {"phases": [
            {"name": "corpus", "model": "claude", "failover": ["codex"],
             "parallel": True,
             "workers": [{"prompt": escape(s)} for s in prompts]},
            {"name": "summary", "model": "claude", "failover": ["codex"],
             "output": "final.md",
             "prompt": "Summarize {scratchpad}/corpus/ in {run}."},
        ], "scratchpad": True},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)


def check_text(path, prompts):
    """No expression but secrets, no prompt in clear."""
    text = open(path, encoding="utf-8").read()
    for s in prompts:
        if len(s.strip()) >= 10 and s in text:
            fail("%s holds a prompt unencoded: %r" % (path, s[:60]))
    return text


def environment(values, workspace):
    env = {"PATH": os.environ["PATH"], "HOME": workspace, "LC_ALL": "C"}
    for k, v in (values or {}).items():
        if "${{" in v:
            if not SECRET.match(v):
                fail("an expression that is not a secret: %s: %r" % (k, v))
            v = "dummy-secret"
        env[k] = v
    return env


def run(shell, script, env, cwd, what):
    if "${{" in script:
        fail("%s: an expression in a script" % what)
    # As the runners do: github's `bash -e {0}`, gitlab's `set -e`.
    r = subprocess.run([shell, "-e", "-c", script], env=env, cwd=cwd,
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s: exit %d\n%s%s" % (what, r.returncode, r.stdout, r.stderr))


def run_jobs(jobs, needs_of, run_job):
    """Runs run_job(name) for every job after the jobs it needs, two at a
    time (a CI service runs independent jobs at once; CI here has 2 cores)."""
    done, left = set(), list(jobs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        while left:
            ready = [j for j in left if all(n in done for n in needs_of(j))]
            if not ready:
                fail("needs that never end: %s" % left)
            for f in [pool.submit(run_job, j) for j in ready]:
                f.result()
            done.update(ready)
            left = [j for j in left if j not in done]


def emulate_github(path, prompts, workspace):
    check_text(path, prompts)
    jobs = load_yaml(path)["jobs"]

    def run_job(name):
        for step in jobs[name]["steps"]:
            if "run" in step:
                run("bash", step["run"], environment(step.get("env"), workspace),
                    workspace, name)
            elif "env" in step:
                fail("%s: env on a uses step" % name)
    run_jobs(list(jobs), lambda j: jobs[j].get("needs", []), run_job)


def emulate_gitlab(path, prompts, workspace):
    check_text(path, prompts)
    y = load_yaml(path)
    jobs = {k: v for k, v in y.items() if k not in GITLAB_KEYWORDS}
    stages = y["stages"]

    def needs_of(name):
        """`needs:`, or without it every job of the earlier stages."""
        if "needs" in jobs[name]:
            return jobs[name]["needs"]
        mine = stages.index(jobs[name]["stage"])
        return [j for j in jobs if stages.index(jobs[j]["stage"]) < mine]

    def run_job(name):
        job = jobs[name]
        for v in job["variables"].values():
            if "$" in v:
                fail("%s: a variable GitLab would expand: %r" % (name, v))
        script = "\n".join(job.get("before_script", []) + job["script"])
        run("dash", script, environment(job["variables"], workspace), workspace, name)
    run_jobs(list(jobs), needs_of, run_job)


def answers(workspace, plan):
    for t in plan["tasks"]:
        path = os.path.join(workspace, "connector-run", t["output"])
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            yield t, f.read()


def check_delivery(workspace, plan, prompts, want_model):
    got = 0
    for t, answer in answers(workspace, plan):
        if t["stage"] != 0:
            continue
        data = prompts[t["worker"] - 1].encode("utf-8")
        head = "## Prompt (%d bytes, sha256 %s)" % (
            len(data), hashlib.sha256(data).hexdigest()[:16])
        if head not in answer:
            fail("%s: the sim did not get its prompt: want %s\n%s" % (t["id"], head, answer[:400]))
        if "- model: " + want_model not in answer:
            fail("%s: not answered as %s" % (t["id"], want_model))
        got += 1
    final = os.path.join(workspace, "connector-run", plan["stages"][1]["output"])
    if not os.path.exists(final):
        fail("no stage output " + final)
    canaries = [os.path.join(d, f) for d, _, fs in os.walk(a.out) for f in fs if f == "CANARY"]
    if canaries:
        fail("CANARY created: %s" % canaries)
    return got


# Task ids and paths a hand-edited plan file may hold: the spec's checks do
# not protect the backends from them.
HOSTILE_NAMES = ["$(touch CANARY)", "`touch CANARY`", "${{ github.token }}",
                 "a b\tc", "'\"", "$HOME;x", "x\ny", "%PATH% *?[a]"]


def hostile(plan):
    for t, name in zip(plan["tasks"], HOSTILE_NAMES):
        t["id"] = "corpus/" + name
        t["output"] = "scratchpad/corpus/" + name + ".md"
    plan["stages"][1]["output"] = "final " + HOSTILE_NAMES[0] + ".md"
    return plan


def tree(root):
    """{relative path: bytes} of the answers under the run directory ROOT
    (scratchpad and stage outputs, not the sessions or the runtime's own)."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), root)
            if not rel.startswith("sessions") and f not in RUNTIME_ONLY:
                with open(os.path.join(d, f), "rb") as fh:
                    out[rel] = fh.read()
    return out


RUNTIME_ONLY = {"plan.json", "events.jsonl", "summary.json", "summary.md"}


def same_as_run(workspace, spec, flags):
    """`connectorc run` in the same place writes the same answers."""
    ci_run = os.path.join(workspace, "connector-run")
    ci_tree = tree(ci_run)
    os.rename(ci_run, ci_run + ".ci")
    r = subprocess.run([a.connectorc, "run", spec, "--run-dir", ci_run, "--quiet", *flags],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("connectorc run: exit %d\n%s" % (r.returncode, r.stderr))
    if tree(ci_run) != ci_tree:
        fail("%s: the answers differ from connectorc run's" % workspace)


def scenario(tag, prompts, backends, flags, want_model, edit=None, compare=False):
    spec = os.path.join(a.out, tag + ".connector.json")
    write_spec(spec, prompts)
    with open(build(a.connectorc, spec, "plan", spec + ".plan.json", flags)) as f:
        plan = json.load(f)
    if edit:
        plan = edit(plan)
        spec = spec + ".plan.json"
        with open(spec, "w", encoding="utf-8") as f:
            json.dump(plan, f, ensure_ascii=False)
    for backend, emulate in backends:
        workspace = os.path.join(a.out, tag + "-" + backend)
        os.makedirs(workspace)
        out = build(a.connectorc, spec, backend, os.path.join(a.out, tag + "." + backend + ".yml"), flags)
        emulate(out, prompts, workspace)
        n = check_delivery(workspace, plan, prompts, want_model)
        print("%s %s: %d prompts delivered byte for byte, no CANARY" % (tag, backend, n))
        if compare:
            same_as_run(workspace, spec, flags)
            print("%s %s: the same answers as connectorc run" % (tag, backend))


with open(a.corpus, encoding="utf-8") as f:
    corpus = json.load(f)
bin_dir = os.path.dirname(os.path.abspath(a.connectorc))
os.environ["PATH"] = bin_dir + os.pathsep + os.environ["PATH"]
scenario("corpus", corpus, [("github", emulate_github), ("gitlab", emulate_gitlab)],
         ["--simulate"], "claude/")
# Failover: the simulated claude is unavailable, codex answers.
scenario("failover", corpus[:6], [("github", emulate_github), ("gitlab", emulate_gitlab)],
         ["--simulate", "--simulate-fail", "claude=unavailable"], "codex/", compare=True)
# Hostile task ids and paths, from a plan file.
scenario("names", corpus[:len(HOSTILE_NAMES)], [("github", emulate_github), ("gitlab", emulate_gitlab)],
         ["--simulate"], "claude/", hostile)
# The hostile workflows are actionlint-clean too (the corpus one differs from
# the failover one only in its base64 values and size).
lint_dir = os.path.join(a.out, "lint")
os.makedirs(lint_dir)
for tag in ("names", "failover"):
    shutil.copy(os.path.join(a.out, tag + ".github.yml"), lint_dir)
n, findings = run_actionlint(find_actionlint(a.src), os.path.join(lint_dir, "*.yml"))
if n != 2 or findings:
    fail("actionlint checked %d of 2 workflows:\n%s" % (n, findings))
print("actionlint: %d hostile workflows, 0 findings" % n)
