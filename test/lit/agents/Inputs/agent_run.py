#!/usr/bin/env python3
"""Runs `connectorc run` with a real agent CLI against the fake LLM service.

    agent_run.py --cli claude --connectorc BIN --tools DIR/.tools --work DIR
                 --conditions ok,s429,s529,... [--prompt-file F] [--extra-env K=V]
                 [--spec-only]

For each condition C it makes a model alias `C` for the CLI's built-in registry
entry whose only change is the environment that points the CLI at the fake
(`http://127.0.0.1:PORT/C`) with a fake key, the way a user points a CLI at a
gateway; `refused` points at a closed port. One parallel phase has a worker per
condition; every worker but `ok`'s fails over to `ok`. The CLI runs with a
private HOME. Then it prints, per worker, the outcome of each attempt and
whether the answer file holds exactly the fake's answer; and, per request the
fake logged for a marker, whether a text part arrived byte-exact (sha256).
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
FAKE = os.path.join(SRC, "test", "fakellm", "fake_llm.py")
ANSWER = "FAKE-ANSWER-OK"


# Sockets bound and never listened on, held until this script ends.
HELD = []


def closed_port():
    """A port where connections are refused for as long as this script runs:
    bound here and never listened on. (A port merely free when chosen could
    be another process's server by the time the CLI connects.)"""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    HELD.append(s)
    return s.getsockname()[1]


def model_env(cli, url, home, cond):
    """The environment (and config files) that point CLI at URL."""
    if cli == "claude":
        return {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "sk-ant-fake"}
    if cli == "codex":
        # OPENAI_BASE_URL alone does not redirect Codex 0.171: a provider entry
        # in a CODEX_HOME of this alias's own.
        codex_home = os.path.join(home, "codex-" + cond)
        os.makedirs(codex_home, exist_ok=True)
        with open(os.path.join(codex_home, "config.toml"), "w") as f:
            f.write('model_provider = "gateway"\n'
                    'check_for_update_on_startup = false\n'
                    '[analytics]\nenabled = false\n'
                    '[model_providers.gateway]\nname = "gateway"\n'
                    f'base_url = "{url}/v1"\nenv_key = "OPENAI_API_KEY"\n'
                    'wire_api = "responses"\n')
        return {"CODEX_HOME": codex_home, "OPENAI_API_KEY": "sk-fake"}
    if cli == "gemini":
        return {"GOOGLE_GEMINI_BASE_URL": url, "GEMINI_API_KEY": "fake-key"}
    if cli == "qwen":
        return {"OPENAI_BASE_URL": url + "/v1", "OPENAI_API_KEY": "sk-fake"}
    if cli == "opencode":
        # Its config reads the gateway's address from this variable
        # ({env:...}); the rest keeps it offline (no plugin or model-list
        # downloads).
        return {"CONNECTOR_TEST_OPENCODE_URL": url, "OPENCODE_PURE": "1",
                "OPENCODE_DISABLE_MODELS_FETCH": "1",
                "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
                "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
                "OPENCODE_DISABLE_SHARE": "1"}
    raise SystemExit("unknown cli " + cli)


def write_home(cli, home):
    """The user's own one-time set-up of the CLI (not per model)."""
    os.makedirs(home, exist_ok=True)
    if cli == "qwen":
        os.makedirs(os.path.join(home, ".qwen"), exist_ok=True)
        with open(os.path.join(home, ".qwen", "settings.json"), "w") as f:
            json.dump({"security": {"auth": {"selectedType": "openai"}},
                       "model": {"name": "qwen3-coder-plus"},
                       "general": {"enableAutoUpdate": False},
                       "privacy": {"usageStatisticsEnabled": False},
                       "telemetry": {"enabled": False}}, f)
    if cli == "opencode":
        d = os.path.join(home, ".config", "opencode")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "opencode.json"), "w") as f:
            json.dump({"model": "gateway/coder", "small_model": "gateway/coder",
                       "autoupdate": False, "share": "disabled",
                       "provider": {"gateway": {
                           "npm": "@ai-sdk/openai-compatible", "name": "Gateway",
                           "options": {"baseURL": "{env:CONNECTOR_TEST_OPENCODE_URL}/v1",
                                       "apiKey": "sk-fake", "timeout": 10000},
                           "models": {"coder": {"name": "Coder",
                                                "cost": {"input": 3, "output": 15}}}}}}, f)
    if cli == "gemini":
        os.makedirs(os.path.join(home, ".gemini"), exist_ok=True)
        with open(os.path.join(home, ".gemini", "settings.json"), "w") as f:
            json.dump({"security": {"auth": {"selectedType": "gemini-api-key"}},
                       "general": {"enableAutoUpdate": False,
                                   "enableAutoUpdateNotification": False},
                       "privacy": {"usageStatisticsEnabled": False},
                       "telemetry": {"enabled": False}}, f)


def start_fake(work, extra):
    port_file = os.path.join(work, "fake.port")
    log = os.path.join(work, "fake.jsonl")
    p = subprocess.Popen([sys.executable, FAKE, "--port-file", port_file,
                          "--log", log, "--answer", ANSWER, "--lifetime", "600"]
                         + extra, stdout=subprocess.DEVNULL)
    for _ in range(400):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return p, int(open(port_file).read()), log
        time.sleep(0.05)
    p.kill()
    raise SystemExit("the fake LLM service did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--connectorc", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--conditions", default="ok")
    ap.add_argument("--prompt-file")
    ap.add_argument("--extra-env", action="append", default=[])
    ap.add_argument("--timeout", default="120s")
    ap.add_argument("--budget", type=float)
    ap.add_argument("--jobs", default="8")
    ap.add_argument("--expect-suffix", default="",
                    help="what the CLI is known to append to a prompt (\\n escapes)")
    ap.add_argument("--sequential", action="store_true",
                    help="one phase per condition, in order (budget tests)")
    ap.add_argument("--sandbox",
                    help="the phases' session.sandbox (JSON); they then work in "
                         "worktrees of a git repository made of the project, and "
                         "the report says what each agent left in its worktree")
    args = ap.parse_args()

    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    home = os.path.join(work, "home")
    write_home(args.cli, home)
    fake, port, log = start_fake(work, [])
    try:
        conds = args.conditions.split(",")
        models, workers = {}, []
        prompt = open(args.prompt_file, "rb").read().decode() if args.prompt_file else None
        for c in conds:
            url = (f"http://127.0.0.1:{closed_port()}/refused" if c == "refused"
                   else f"http://127.0.0.1:{port}/{c}")
            env = model_env(args.cli, url, home, c)
            for kv in args.extra_env:
                k, v = kv.split("=", 1)
                env[k] = v
            models["m_" + c] = {"provider": args.cli, "env": env}
            w = {"name": c, "model": "m_" + c,
                 "prompt": prompt if prompt is not None else f"MARK-{c} Say hello."}
            if c != "ok":
                w["failover"] = ["m_ok"]
            workers.append(w)
        if "ok" not in conds:
            models["m_ok"] = {"provider": args.cli,
                              "env": model_env(args.cli, f"http://127.0.0.1:{port}/ok", home, "ok")}
        if args.sequential:
            # A small estimate, so that the budget passes lint and only what
            # the CLI reports spending can exceed it.
            phases = [{"name": w["name"], "model": w["model"], "prompt": w["prompt"],
                       "estimate": {"input_tokens": 10, "output_tokens": 10}}
                      for w in workers]
        else:
            phases = [{"name": "turn", "parallel": True, "workers": workers}]
        if args.sandbox:
            for ph in phases:
                ph["session"] = {"sandbox": json.loads(args.sandbox),
                                 "worktree": "w-{worker}"}
        spec = {"connector": "2.0", "name": "real-" + args.cli, "models": models,
                "pipeline": {"phases": phases}}
        if args.budget is not None:
            spec["budget"] = {"usd": args.budget}
        spec_path = os.path.join(work, "spec.connector.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f, indent=1)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ANTHROPIC_", "OPENAI_", "GEMINI_", "GOOGLE_",
                                    "CODEX_", "CLAUDE_"))}
        env["HOME"] = home
        env["PATH"] = os.path.join(os.path.abspath(args.tools), "node_modules", ".bin") + os.pathsep + env["PATH"]
        env["TMPDIR"] = os.path.join(home, "tmp")
        os.makedirs(env["TMPDIR"], exist_ok=True)
        run_dir = os.path.join(work, "run")
        proj = os.path.join(work, "project")
        os.makedirs(proj)
        if args.sandbox:
            # The project is the spec's directory: a repository for worktrees.
            os.replace(spec_path, os.path.join(proj, "spec.connector.json"))
            spec_path = os.path.join(proj, "spec.connector.json")
            subprocess.run(["git", "init", "-q", "-b", "main", proj], check=True)
            with open(os.path.join(proj, "README.md"), "w") as f:
                f.write("a project\n")
            subprocess.run(["git", "-C", proj, "-c", "user.name=t", "-c",
                            "user.email=t@t", "add", "-A"], check=True)
            subprocess.run(["git", "-C", proj, "-c", "user.name=t", "-c",
                            "user.email=t@t", "commit", "-q", "-m", "init"],
                           check=True)
        r = subprocess.run([args.connectorc, "run", spec_path, "--run-dir", run_dir,
                            "--quiet", "--jobs", args.jobs, "--timeout", args.timeout],
                           cwd=proj, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace")
        print(f"exit {r.returncode}")
        if not os.path.exists(os.path.join(run_dir, "events.jsonl")):
            print(r.stdout)
            return
        report(run_dir, conds, log, prompt, args.sequential,
               args.expect_suffix.encode().decode("unicode_escape"))
        if args.sandbox:
            summary = json.load(open(os.path.join(run_dir, "summary.json")))
            print(f"summary sandbox: {summary.get('sandbox')}")
            denied = [l for l in open(os.path.join(run_dir, "events.jsonl"))
                      if '"event":"network-denied"' in l]
            print(f"network denied: {len(denied)}")
            for l in denied:
                print("  " + l.strip()[:300])
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait()


def stamp(event):
    """An event's time in seconds (its ISO-8601 UTC "time")."""
    from datetime import datetime
    return datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def report(run_dir, conds, log, prompt, sequential, suffix):
    events = [json.loads(l) for l in open(os.path.join(run_dir, "events.jsonl"))
              if l.strip()]
    for c in conds:
        task = c + "/1" if sequential else "turn/" + c
        tries = [e for e in events if e.get("event") == "attempt-end" and e.get("task") == task]
        outs = " -> ".join(f"{e['outcome']}" for e in tries)
        done = [e for e in events if e.get("event") == "task-done" and e.get("task") == task]
        status = done[-1]["status"] if done else "?"
        ans_path = os.path.join(run_dir, "sessions", task, "output.md")
        answer = open(ans_path, errors="replace").read() if os.path.exists(ans_path) else None
        exact = "exact" if answer == ANSWER else f"WRONG {answer!r:.200}"
        if status != "succeeded":
            exact = "none"
        usage = ""
        if tries and tries[-1].get("usage"):
            u = tries[-1]["usage"]
            usage = " usage in=%g out=%g" % (u.get("input_tokens", -1), u.get("output_tokens", -1))
            if "actual_usd" in tries[-1]:
                usage += " usd=%.6f" % tries[-1]["actual_usd"]
        if tries and tries[-1].get("session_id"):
            usage += " session=yes"
        print(f"{c}: {outs} [{status}] answer={exact}{usage}")
        # For test/bench/failover_bench.sh: the first attempt's start to the
        # next one's (the failover), and a whole successful attempt.
        starts = [stamp(e) for e in events
                  if e.get("event") == "attempt-start" and e.get("task") == task]
        if len(starts) >= 2:
            print(f"  {c} time to next candidate: {starts[1] - starts[0]:.2f} s")
        if tries and tries[-1]["outcome"] == "success":
            print(f"  {c} successful attempt: {tries[-1]['duration_s']:.2f} s")
        for e in tries:
            if e["outcome"] != "success":
                print(f"  {c} detail: {e.get('detail', '')[:160]}")
                print(f"  {c} seconds: {e.get('duration_s')}")
    summary = json.load(open(os.path.join(run_dir, "summary.json")))
    for name, p in sorted(summary.get("providers", {}).items()):
        print(f"summary provider {name}: attempts={p['attempts']} "
              f"estimated={p['estimated_cost_usd']:.6f} actual={p.get('actual_cost_usd', 'none')}")
    if "budget" in summary:
        print(f"summary budget: {summary['budget']}")
    md = open(os.path.join(run_dir, "summary.md")).read()
    print("summary.md: " + next(l for l in md.splitlines() if l.startswith("Estimated cost")))
    for e in events:
        if e.get("event") == "budget-spent":
            print(f"budget-spent {e['spent_usd']:.6f} of {e['budget_usd']}")
    if prompt is not None:
        want = hashlib.sha256((prompt + suffix).encode()).hexdigest()
        got = any(t["sha256"] == want
                  for l in open(log) if l.strip()
                  for t in json.loads(l).get("texts", []))
        print(f"prompt ({len(prompt.encode())} bytes) arrived byte-exact: {'yes' if got else 'no'}")


if __name__ == "__main__":
    main()
