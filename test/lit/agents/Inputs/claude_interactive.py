#!/usr/bin/env python3
"""Runs a workflow whose task is `"interactive": true` on the real Claude Code
(its full-screen interface) against the fake LLM service.

    claude_interactive.py CONNECTORC TOOLS WORK [--sandbox] [--kill-and-resume]
                          [--one-shot]

WORK becomes a git repository with the spec; Claude Code gets a private HOME
in which it has been used before (onboarding done, as a user's has: its
first-run onboarding needs api.anthropic.com), and the environment points it at
the fake with a key. Prints the run's exit status, whether the answer file is
exactly the fake's answer, the screens connectorc passed, and where the
conversation is. With --kill-and-resume the first run's requests hang (the
fake's `hang`); once the prompt reached the API the run is killed (SIGKILL) and
`run --resume` continues, with the fake answering: the task's conversation is
continued (`claude --resume ID`), not started afresh. With --one-shot the task
is not interactive (`claude -p`, which connectorc gives `--session-id ID`).
"""
import glob
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
FAKE = os.path.join(SRC, "test", "fakellm", "fake_llm.py")
ANSWER = "FAKE-INTERACTIVE-ANSWER"

connectorc, tools, work = sys.argv[1:4]
sandbox = "--sandbox" in sys.argv[4:]
kill_and_resume = "--kill-and-resume" in sys.argv[4:]
one_shot = "--one-shot" in sys.argv[4:]
home = os.path.join(work, "home")
proj = os.path.join(work, "proj")
os.makedirs(home)
os.makedirs(proj)
with open(os.path.join(home, ".claude.json"), "w") as f:
    json.dump({"hasCompletedOnboarding": True}, f)
subprocess.run(["git", "init", "-q", proj], check=True)
subprocess.run(["git", "-C", proj, "-c", "user.name=t", "-c", "user.email=t@t",
                "commit", "-q", "--allow-empty", "-m", "init"], check=True)
session = {"worktree": "talk-{worker}"}
if sandbox:
    session["sandbox"] = True
spec = {"connector": "2.0", "name": "chat",
        "pipeline": {"phases": [{"name": "talk", "model": "sonnet",
                                 "prompt": "Say hello.", "interactive": not one_shot,
                                 "timeout": "2m", "session": session}]}}
with open(os.path.join(proj, "spec.connector.json"), "w") as f:
    json.dump(spec, f)

port_file = os.path.join(work, "port")
fake = subprocess.Popen([sys.executable, FAKE, "--port-file", port_file, "--log",
                         os.path.join(work, "fake.jsonl"), "--answer", ANSWER,
                         "--lifetime", "300"])
try:
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        time.sleep(0.05)
    port = open(port_file).read().strip()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update({
        "HOME": home, "CI": "1", **({"CONNECTOR_BWRAP": os.environ["CONNECTOR_BWRAP"]} if "CONNECTOR_BWRAP" in os.environ else {}),
        "PATH": os.path.join(tools, "node_modules", ".bin") + ":" + env.get("PATH", ""),
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:%s/ok" % port,
        "ANTHROPIC_API_KEY": "sk-ant-api03-fake-key",
        "CLAUDE_CODE_MAX_RETRIES": "0", "API_TIMEOUT_MS": "30000",
        "DISABLE_AUTOUPDATER": "1", "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    })
    run_dir = os.path.join(work, "run")
    prompt_sha = hashlib.sha256(b"Say hello.").hexdigest()

    def prompts_sent():
        n = 0
        if os.path.exists(os.path.join(work, "fake.jsonl")):
            for line in open(os.path.join(work, "fake.jsonl")):
                n += sum(t.get("sha256") == prompt_sha
                         for t in json.loads(line).get("texts", []))
        return n
    if kill_and_resume:
        first = subprocess.Popen(
            [connectorc, "run", "spec.connector.json", "--run-dir", run_dir, "--quiet"],
            cwd=proj, env=dict(env, ANTHROPIC_BASE_URL="http://127.0.0.1:%s/hang" % port),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 120
        while time.monotonic() < end and not prompts_sent():
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)
        first.wait()
        print("first run killed with the prompt sent:", prompts_sent() > 0)
        cmd = [connectorc, "run", "--resume", "--run-dir", run_dir, "--quiet"]
    else:
        cmd = [connectorc, "run", "spec.connector.json", "--run-dir", run_dir, "--quiet"]
    p = subprocess.run(cmd, cwd=proj, env=env, capture_output=True, text=True,
                       timeout=240)
    print("exit", p.returncode)
    if p.returncode:
        sys.stdout.write(p.stderr)
    answer = open(os.path.join(run_dir, "scratchpad", "talk", "1.md")).read()
    print("answer exact:", "yes" if answer.strip() == ANSWER else "no: %r" % answer[:300])
    conv = None
    for line in open(os.path.join(run_dir, "events.jsonl")):
        e = json.loads(line)
        if e.get("event") == "attempt-start":
            print("binding:", e.get("binding"))
            if conv is not None:
                print("same conversation:", e.get("conversation") == conv,
                      "resumed:", e.get("resumed"))
            conv = e.get("conversation")
        if e.get("event") == "attempt-end":
            print("outcome:", e.get("outcome"), "session id is the conversation:",
                  e.get("session_id") == conv)
    found = glob.glob(os.path.join(home, ".claude", "projects", "*", conv + ".jsonl"))
    print("claude's transcript of the conversation:", "yes" if found else "no")
    screen = open(os.path.join(run_dir, "sessions", "talk", "1", "transcript.log"),
                  encoding="utf-8", errors="replace").read()
    # The screen's text: Claude Code moves the cursor between words.
    flat = re.sub(r"\s", "", re.sub(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07]*\x07|.)", "", screen))
    for what in ("Yes, I trust this folder", "Do you want to use this API key"):
        if not one_shot:
            print("screen shown:", what, re.sub(r"\s", "", what) in flat)
    # The prompt reached the API as typed (the fake logs texts' hashes). The
    # fake writes its record after the answer's stream, which may be after the
    # run ended on a loaded machine: wait for it (bounded; nothing is timed).
    end = time.monotonic() + 20
    while time.monotonic() < end and not prompts_sent():
        time.sleep(0.05)
    print("requests with the prompt:", "some" if prompts_sent() else "none")
finally:
    fake.terminate()
    fake.wait()
