#!/usr/bin/env python3
"""End-to-end checks of the sh and make backends (test/lit/backends/*.test).

  corpus    every adversarial string as a prompt, through the sim (stdin) and
            through a custom command (argv): the agent gets it byte for byte
            under dash, bash and make -j4, and no CANARY file appears
  examples  every example: the emitted script (dash, bash) and Makefile
            (make -j4) leave the same scratchpad and phase outputs as
            `connectorc run --simulate` in the same run directory
  failover  the same with claude rate limited (build/run --simulate-fail)
  lint      shellcheck (sh and dash dialects) on every emitted script

Prints one line per check; exits 1 at the first difference.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
EXAMPLES = os.path.join(SRC, "examples")
CORPUS = os.path.join(SRC, "test", "unit", "Inputs", "adversarial-strings.json")

# Examples the shell backends refuse, and why (the build must say so).
REJECTED = {}

# Examples that build but cannot run here: their tasks run on other hosts
# over ssh (test/lit/ssh/sh_cross_machine.test runs the cross-machine one
# against a real sshd and compares it with `connectorc run`).
BUILD_ONLY = {"cross-machine"}

# Examples with a mesh stage: the sh script and the Makefile run it through
# `connectorc run --stage`; the CI backends refuse it with this message.
MESH = {
    "mesh": "stage 'mesh' is a mesh, whose agents message each other while "
            "they run and need a supervisor: a mesh stage needs the runtime",
}

# Examples whose tasks work in git worktrees: run in a git repository of
# their own (a committed copy of examples/), each executor in turn with the
# same run directory, so the same run id and worktree paths. Each run makes
# new branches (an earlier run's are never reset), so only the answers are
# compared.
IN_GIT = {"dual-review"}

# What a run directory holds besides the answers: the runtime's journal and
# summaries, the backends' state, each session's files.
NOT_COMPARED = {"plan.json", "events.jsonl", "summary.json", "summary.md",
                "sessions", ".state",
                # The runtime's MCP configuration for the CLIs (docs/run.md);
                # the scripts give their agents none.
                "mcp.json",
                # The runtime's maildirs (docs/mail.md): every message file
                # has a name of its own, unique to its delivery.
                "mail"}

# The sim's "## Mail" section (docs/sim.md): what a mesh agent read depends
# on which agents ran first, and the scripts give their agents no mailboxes
# yet (a mesh stage needs the runtime, issue 7); the rest of the answer is
# compared.
MAIL_SECTION = re.compile(rb"\n## Mail\n.*?(?=\n## |\Z)", re.DOTALL)


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def build(connectorc, spec, kind, out, extra=()):
    r = run([connectorc, "build", *extra, "--emit=" + kind, "-o", out, spec])
    if r.returncode != 0:
        fail("build --emit=%s %s: %s" % (kind, spec, r.stderr.decode(errors="replace")))


def ways(work, connectorc, spec, extra=(), make=True):
    """(name, argv) for each way of running the emitted artifacts."""
    script = os.path.join(work, "plan.sh")
    makefile = os.path.join(work, "plan.mk")
    build(connectorc, spec, "sh", script, extra)
    out = [("dash", lambda d: ["dash", script, "-j", "8", d]),
           ("bash", lambda d: ["bash", script, "-j", "8", d])]
    if make:
        build(connectorc, spec, "make", makefile, extra)
        out.append(("make", lambda d: ["make", "-s", "-f", makefile, "-j4",
                                       "RUN_DIR=" + d]))
    return out


def tree(top):
    """Run-relative path -> bytes of every compared file under top."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d not in NOT_COMPARED]
            filenames = [f for f in filenames if f not in NOT_COMPARED]
        for f in filenames:
            path = os.path.join(dirpath, f)
            with open(path, "rb") as fh:
                files[os.path.normpath(os.path.join(rel, f))] = \
                    MAIL_SECTION.sub(b"", fh.read())
    return files


def compare(want, got, what, same_bytes=True):
    if sorted(want) != sorted(got):
        fail("%s: files differ: only in run %s, only here %s" % (
            what, sorted(set(want) - set(got)), sorted(set(got) - set(want))))
    for path in want:
        if not got[path]:
            fail("%s: %s is empty" % (what, path))
        if same_bytes and want[path] != got[path]:
            fail("%s: %s differs" % (what, path))


def answers_only(files):
    """A mesh's tree without its mailboxes: the messages' names and number
    depend on the agents' timing."""
    return {p: b for p, b in files.items() if not p.startswith("mail" + os.sep)}


def git_copy(work):
    """A git repository in work/repo with examples/ committed; its path."""
    repo = os.path.join(work, "repo")
    shutil.copytree(EXAMPLES, os.path.join(repo, "examples"))
    git = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t"]
    for argv in (["git", "init", "-q", repo], git + ["add", "-A"],
                 git + ["commit", "-q", "-m", "examples"]):
        if run(argv).returncode != 0:
            fail("cannot make a git repository in " + repo)
    return repo


def equivalence(args, spec, name, extra_build=(), extra_run=()):
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    if name in IN_GIT:
        spec = os.path.join(git_copy(work), "examples", os.path.basename(spec))
    run_dir = os.path.join(work, "run")
    r = run([args.connectorc, "run", "--simulate", *extra_run, "--quiet",
             "-j", "4", "--run-dir", run_dir, spec])
    want_status = r.returncode
    # A mesh's agents exchange mail: their answers (which list what they
    # read) may differ from run to run, so only the files are compared.
    mesh = name in MESH
    pick = answers_only if mesh else (lambda files: files)
    want = pick(tree(run_dir))
    if not any(p.startswith("scratchpad") for p in want):
        fail("%s: connectorc run left no answers: %s" % (name, r.stderr.decode()))
    shutil.move(run_dir, run_dir + ".runtime")
    for way, argv in ways(work, args.connectorc, spec, ("--simulate", *extra_build)):
        r = run(argv(run_dir))
        if (r.returncode == 0) != (want_status == 0):
            fail("%s under %s: exit status %d, connectorc run's %d: %s" % (
                name, way, r.returncode, want_status, r.stderr.decode(errors="replace")))
        compare(want, pick(tree(run_dir)), "%s under %s" % (name, way),
                same_bytes=not mesh)
        leftovers = [p for p in tree(run_dir) if "tmp" in os.path.basename(p)]
        if leftovers:
            fail("%s under %s: temporary files left: %s" % (name, way, leftovers))
        shutil.move(run_dir, run_dir + "." + way)
        print("same %s: %s (%d files)" % (way, name, len(want)))
    return want


def examples(args):
    for f in sorted(os.listdir(EXAMPLES)):
        if not f.endswith(".connector.json") or f == "team-sub.connector.json":
            continue
        name = f[: -len(".connector.json")]
        spec = os.path.join(EXAMPLES, f)
        if name in REJECTED:
            for kind in ("sh", "make"):
                r = run([args.connectorc, "build", "--simulate", "--emit=" + kind, spec])
                if r.returncode == 0 or REJECTED[name] not in r.stderr.decode():
                    fail("%s: --emit=%s should be refused (%s): %s" % (
                        name, kind, REJECTED[name], r.stderr.decode()))
            print("rejected: %s (%s)" % (name, REJECTED[name]))
            continue
        if name in BUILD_ONLY:
            for kind in ("sh", "make"):
                build(args.connectorc, spec, kind,
                      os.path.join(args.work, name + "." + kind), ("--simulate",))
            print("builds: %s (runs on other machines: test/lit/ssh/)" % name)
            continue
        if name in MESH:
            for kind in ("github", "gitlab"):
                r = run([args.connectorc, "build", "--simulate", "--emit=" + kind, spec])
                if r.returncode == 0 or MESH[name] not in r.stderr.decode():
                    fail("%s: --emit=%s should be refused (%s): %s" % (
                        name, kind, MESH[name], r.stderr.decode()))
            print("refused by github, gitlab: %s" % name)
        equivalence(args, spec, name)


def failover(args):
    spec = os.path.join(EXAMPLES, "provider-failover.connector.json")
    want = equivalence(args, spec, "failover",
                       ("--simulate-fail", "claude=rate-limit"),
                       ("--simulate-fail", "claude=rate-limit"))
    answer = want[os.path.join("scratchpad", "work", "1.md")].decode()
    if "- model: gemini/" not in answer:
        fail("the answer is not gemini's: " + answer[:200])
    print("failed over to gemini")


def lint(args):
    for f in sorted(os.listdir(EXAMPLES)):
        name = f[: -len(".connector.json")]
        if not f.endswith(".connector.json") or name in REJECTED:
            continue
        # With the real CLIs' bindings (structured answers read with jq,
        # set_env) and with the sim's.
        for flags in ((), ("--simulate",)):
            script = os.path.join(args.work, name + "".join(flags) + ".sh")
            build(args.connectorc, os.path.join(EXAMPLES, f), "sh", script, flags)
            build(args.connectorc, os.path.join(EXAMPLES, f), "make",
                  script[: -len(".sh")] + ".mk", flags)
            for dialect in ("sh", "dash"):
                r = run(["shellcheck", "-s", dialect, script])
                if r.returncode != 0 or r.stdout:
                    fail("shellcheck -s %s %s:\n%s" % (dialect, script, r.stdout.decode()))
        print("shellcheck clean: " + name)


def brace_escaped(s):
    return s.replace("{", "{{").replace("}", "}}")


def arrived(kind, prompt, answer):
    """Whether the answer shows \p prompt arrived whole: printf's ("argv")
    prints it back after an x, the sim's quotes its size and SHA-256."""
    data = prompt.encode("utf-8")
    if kind == "argv":
        return answer == b"x" + data
    header = "## Prompt (%d bytes, sha256 %s)" % (
        len(data), hashlib.sha256(data).hexdigest()[:16])
    return header.encode() in answer


def corpus(args):
    with open(CORPUS, encoding="utf-8") as fh:
        strings = json.load(fh)
    project = args.work
    os.makedirs(project, exist_ok=True)
    subprocess.run(["git", "init", "-q", project], check=True)
    workers = [{"prompt": brace_escaped(s)} for s in strings]
    specs = {
        # The sim reads its prompt on standard input and quotes its size and
        # SHA-256.
        "stdin": {"connector": "2.0", "name": "corpus-stdin",
                  "models": {"m": "claude"},
                  "pipeline": {"phases": [{"name": "p", "model": "m",
                                           "workers": workers}]}},
        # printf gets the prompt as an argument and prints it back.
        "argv": {"connector": "2.0", "name": "corpus-argv",
                 "models": {"m": {"provider": "custom",
                                  "command": ["printf", "x%s", "{prompt}"]}},
                 "pipeline": {"phases": [{"name": "p", "model": "m",
                                          "workers": workers}]}},
    }
    for kind, spec in specs.items():
        path = os.path.join(project, kind + ".connector.json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
        extra = ("--simulate",) if kind == "stdin" else ()
        work = os.path.join(project, "work-" + kind)
        os.makedirs(work, exist_ok=True)
        for way, argv in ways(work, args.connectorc, path, extra):
            # The prompt reaches the argv through the same quoted word as
            # stdin's (connector_prompt), which the stdin spec checks under
            # every way: here, one way checks the argv delivery.
            if kind == "argv" and way != "dash":
                continue
            run_dir = os.path.join(work, "run-" + way)
            r = run(argv(run_dir), cwd=project)
            if r.returncode != 0:
                fail("%s prompts under %s: exit %d: %s" % (
                    kind, way, r.returncode, r.stderr.decode(errors="replace")[-2000:]))
            for i, s in enumerate(strings):
                answer_path = os.path.join(run_dir, "scratchpad", "p", "%d.md" % (i + 1))
                with open(answer_path, "rb") as fh:
                    answer = fh.read()
                if not arrived(kind, s, answer):
                    fail("%s prompt %d under %s arrived changed: %r" % (
                        kind, i, way, answer[:300]))
            if os.path.exists(os.path.join(project, "CANARY")) or \
               os.path.exists(os.path.join(work, "CANARY")):
                fail("a prompt ran a command (CANARY exists) under " + way)
            print("%s prompts intact under %s: %d" % (kind, way, len(strings)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("check", choices=["corpus", "examples", "failover", "lint"])
    p.add_argument("--connectorc", required=True)
    p.add_argument("--work", required=True)
    args = p.parse_args()
    args.connectorc = os.path.abspath(args.connectorc)
    args.work = os.path.abspath(args.work)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    {"corpus": corpus, "examples": examples, "failover": failover, "lint": lint}[args.check](args)


if __name__ == "__main__":
    main()
