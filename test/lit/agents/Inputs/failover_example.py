#!/usr/bin/env python3
"""The seed's failover example (examples/provider-failover.connector.json:
claude -> gemini -> a local model) with the real CLIs, the first two down.
ollama cannot be installed here, so `emergency` is opencode against the fake.

    failover_example.py --connectorc BIN --tools DIR --work DIR
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
    ap.add_argument("--connectorc", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    home = os.path.join(work, "home")
    for cli in ("claude", "gemini", "opencode"):
        agent_run.write_home(cli, home)
    fake, port, _ = agent_run.start_fake(work, [])
    try:
        spec = json.load(open(os.path.join(agent_run.SRC, "examples",
                                           "provider-failover.connector.json")))
        spec.pop("$schema", None)
        url = f"http://127.0.0.1:{port}"
        spec["models"] = {
            "primary": {"provider": "claude",
                        "env": agent_run.model_env("claude", url + "/s529", home, "p")},
            "fallback": {"provider": "gemini",
                         "env": agent_run.model_env("gemini", url + "/s503", home, "f")},
            "emergency": {"provider": "opencode",
                          "env": agent_run.model_env("opencode", url + "/ok", home, "e")},
        }
        path = os.path.join(work, "spec.connector.json")
        json.dump(spec, open(path, "w"), indent=1)
        env = dict(os.environ, HOME=home, TMPDIR=os.path.join(home, "tmp"))
        os.makedirs(env["TMPDIR"], exist_ok=True)
        env["PATH"] = os.path.join(os.path.abspath(args.tools), "node_modules", ".bin") \
            + os.pathsep + env["PATH"]
        run_dir = os.path.join(work, "run")
        proj = os.path.join(work, "project")
        os.makedirs(proj)
        r = subprocess.run([args.connectorc, "run", path, "--run-dir", run_dir, "--quiet"],
                           cwd=proj, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        print(f"exit {r.returncode}")
        for line in open(os.path.join(run_dir, "events.jsonl")):
            e = json.loads(line)
            if e.get("event") == "attempt-end":
                print(f"{e['binding']}: {e['outcome']}")
        answer = open(os.path.join(run_dir, "sessions", "work", "1", "output.md")).read() \
            if os.path.exists(os.path.join(run_dir, "sessions", "work", "1", "output.md")) else None
        print("answer exact" if answer == agent_run.ANSWER else f"answer WRONG {answer!r}")
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait()


if __name__ == "__main__":
    main()
