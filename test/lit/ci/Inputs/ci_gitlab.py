"""The gitlab pipeline of every example (with and without --simulate) parses
as YAML and has a job per task, a stage per phase with tasks in an order the
phases' dependencies allow, the needs of the plan's DAG, and the tags of the
runner of each task's first machine (none for local)."""
import argparse
import json
import os
import sys

from ci_common import build, examples, load_yaml, name_of, runner_machine, word

p = argparse.ArgumentParser()
p.add_argument("--connectorc", required=True)
p.add_argument("--examples", required=True)
p.add_argument("--out", required=True)
a = p.parse_args()

KEYWORDS = {"workflow", "stages", "variables", "default", "include", "image",
            "services", "before_script", "after_script", "cache"}


def fail(msg):
    sys.exit("FAIL: " + msg)


def inputs(plan, t):
    """Tasks whose answers task t waits for: docs/plan-format.md."""
    out = list(plan["tasks"][t]["deps"])
    todo, seen = list(plan["stages"][plan["tasks"][t]["stage"]]["depends_on"]), set()
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        out += plan["stages"][s]["tasks"]
        if not plan["stages"][s]["tasks"]:
            todo += plan["stages"][s]["depends_on"]
    return set(out)


def check(spec, flags, tag):
    y = load_yaml(build(a.connectorc, spec, "gitlab", os.path.join(a.out, tag + ".yml"), flags))
    with open(build(a.connectorc, spec, "plan", os.path.join(a.out, tag + ".json"), flags)) as f:
        plan = json.load(f)
    jobs = {k: v for k, v in y.items() if k not in KEYWORDS}
    task_of = {k: word(v["variables"]["CONNECTOR_CI_TASK"]) for k, v in jobs.items()}
    ids = [t["id"] for t in plan["tasks"]]
    if sorted(task_of.values()) != sorted(ids):
        fail("%s: jobs %s, tasks %s" % (tag, sorted(task_of.values()), ids))
    job_of = {v: k for k, v in task_of.items()}
    stages = y["stages"]
    with_tasks = [i for i, s in enumerate(plan["stages"]) if s["tasks"]]
    if len(stages) != len(set(stages)) or len(stages) != len(with_tasks):
        fail("%s: stages %s" % (tag, stages))
    rules = [r["if"] for r in y["workflow"]["rules"]]
    want = (['$CI_PIPELINE_SOURCE == "schedule"'] if "schedule" in plan else []) + \
        ['$CI_PIPELINE_SOURCE == "web"']
    if rules != want:
        fail("%s: rules %s" % (tag, rules))
    edges = tagged = 0
    for t, task in enumerate(plan["tasks"]):
        job = jobs[job_of[task["id"]]]
        if not job["stage"].startswith("s%d-" % (task["stage"] + 1)):
            fail("%s: %s in stage %s" % (tag, task["id"], job["stage"]))
        needed = {job_of[ids[d]] for d in inputs(plan, t)}
        for n in needed:  # the stage order never contradicts the DAG
            if stages.index(jobs[n]["stage"]) > stages.index(job["stage"]):
                fail("%s: %s's stage comes before %s's" % (tag, job_of[task["id"]], n))
        if len(needed) > 50:
            if "needs" in job:
                fail("%s: %s has more than 50 needs" % (tag, task["id"]))
        elif set(job["needs"]) != needed or len(job["needs"]) != len(needed):
            fail("%s: %s needs %s, want %s" % (tag, task["id"], job["needs"], sorted(needed)))
        edges += len(needed)
        machine = runner_machine(task)
        if job.get("tags") != ([machine] if machine else None):
            fail("%s: %s tags %s, on machine %s" % (tag, task["id"], job.get("tags"), machine))
        tagged += bool(machine)
        if job["artifacts"]["paths"] != ["connector-run/"]:
            fail("%s: artifacts %s" % (tag, job["artifacts"]))
    print("%s: %d jobs, %d stages, %d needs, %d tagged" % (tag, len(jobs), len(stages), edges, tagged))


os.makedirs(a.out, exist_ok=True)
for spec in examples(a.examples):
    for flags in ([], ["--simulate"]):
        check(spec, flags, name_of(spec) + ("-sim" if flags else ""))
