#!/usr/bin/env python3
"""A seed's review example (examples/<NAME>.connector.json) with the real
CLIs against the fake API: its models keep their providers and only gain the
environment that points each CLI at the fake, as a user points a CLI at a
gateway; the spec's sessions (sandbox, worktrees) are the example's own. The
project is a git repository. Prints each task's outcome, whether its answer
is the fake's, whether its worktree and sandbox were used, and the network
the sandbox refused.

    seed_review.py --example NAME --connectorc BIN --tools DIR --work DIR
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_run  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--example", required=True)
    ap.add_argument("--connectorc", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    home = os.path.join(work, "home")
    spec = json.load(open(os.path.join(agent_run.SRC, "examples",
                                       args.example + ".connector.json")))
    spec.pop("$schema", None)
    fake, port, _ = agent_run.start_fake(work, [])
    try:
        url = f"http://127.0.0.1:{port}/ok"
        for name, ref in list(spec["models"].items()):
            cli = ref if isinstance(ref, str) else ref["provider"]
            agent_run.write_home(cli, home)
            spec["models"][name] = {"provider": cli,
                                    "env": agent_run.model_env(cli, url, home, name)}
        proj = os.path.join(work, "project")
        os.makedirs(proj)
        git = ["git", "-C", proj, "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run(["git", "init", "-q", "-b", "main", proj], check=True)
        with open(os.path.join(proj, "app.py"), "w") as f:
            f.write("print('the change under review')\n")
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "the change"], check=True)
        path = os.path.join(proj, args.example + ".connector.json")
        json.dump(spec, open(path, "w"), indent=1)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANTHROPIC_", "OPENAI_", "GEMINI_", "GOOGLE_",
                                    "CODEX_", "CLAUDE_"))}
        env.update(HOME=home, TMPDIR=os.path.join(home, "tmp"))
        os.makedirs(env["TMPDIR"], exist_ok=True)
        env["PATH"] = os.path.join(os.path.abspath(args.tools), "node_modules", ".bin") \
            + os.pathsep + env["PATH"]
        run_dir = os.path.join(work, "run")
        r = subprocess.run([args.connectorc, "run", path, "--run-dir", run_dir,
                            "--quiet", "--keep-worktrees"],
                           cwd=proj, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        print(f"exit {r.returncode}")
        if r.returncode:
            print(r.stdout)
        summary = json.load(open(os.path.join(run_dir, "summary.json")))
        print(f"sandbox: {summary.get('sandbox')}")
        for t in summary["tasks"]:
            outs = " -> ".join(f"{a['binding']}: {a['outcome']}" for a in t["attempts"])
            out = os.path.join(run_dir, "sessions", t["id"], "output.md")
            answer = open(out).read() if os.path.exists(out) else None
            exact = "exact" if answer == agent_run.ANSWER else f"WRONG {answer!r:.100}"
            print(f"{t['id']}: {t['status']} ({outs}) answer={exact} "
                  f"denied={','.join(t.get('network_denied', [])) or '-'}")
        trees = os.path.join(proj, ".connector", "worktrees")
        for d in sorted(os.listdir(trees)) if os.path.isdir(trees) else []:
            for w in sorted(os.listdir(os.path.join(trees, d))):
                print(f"worktree {w}")
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait()


if __name__ == "__main__":
    main()
