"""The real Claude Code as the host of `connectorc mcp` (issue 21): against
the fake Anthropic API (test/fakellm/fake_llm.py --tool-call), whose answer
to the first request is a call of connectorc's `run` tool, Claude Code
(-p, --mcp-config) starts connectorc mcp, calls the tool, and gets the run's
id back, which the fake's last answer repeats. The run, a sim workflow, then
goes on in the daemon to its end.

    claude_scenario.py CONNECTORC TOOLS PROJECT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

connectorc, tools, project = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
fakellm = os.path.join(here, "..", "..", "..", "fakellm")
work = os.path.join(project, "..", os.path.basename(project) + ".work")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
# A runtime directory of the scenario's own: its daemon, stopped at the end.
runtime_dir = tempfile.mkdtemp(prefix="cc-mcpc-", dir="/tmp")
env = dict(os.environ, XDG_RUNTIME_DIR=runtime_dir)

port_file = os.path.join(work, "port")
log = os.path.join(work, "fake.jsonl")
tool_input = {"path": "sim.connector.json", "simulate": True}
fake = subprocess.Popen(
    [sys.executable, os.path.join(fakellm, "fake_llm.py"), "--port-file", port_file,
     "--log", log, "--lifetime", "300",
     "--tool-call", "mcp__connectorc__run=" + json.dumps(tool_input)])
try:
    deadline = time.time() + 30
    while not (os.path.exists(port_file) and open(port_file).read().strip()):
        if time.time() > deadline:
            sys.exit("the fake LLM did not start")
        time.sleep(0.05)
    port = open(port_file).read().strip()
    config = os.path.join(work, "mcp.json")
    with open(config, "w") as f:
        json.dump({"mcpServers": {"connectorc": {
            "command": connectorc, "args": ["mcp"],
            "env": {"XDG_RUNTIME_DIR": runtime_dir}}}}, f)
    # Claude Code's environment as test/fakellm/clienv.sh makes it.
    setup = ("FAKE_URL=http://127.0.0.1:%s/ok CLI_HOME=%s; . %s; env -0"
             % (port, os.path.join(work, "home"), os.path.join(fakellm, "clienv.sh")))
    os.makedirs(os.path.join(work, "home"))
    out = subprocess.run(["sh", "-c", setup], capture_output=True, env=env, check=True).stdout
    cli_env = dict(kv.split("=", 1) for kv in out.decode().split("\0") if "=" in kv)
    claude = os.path.join(tools, "node_modules", ".bin", "claude")
    p = subprocess.run(
        [claude, "-p", "--output-format", "json", "--mcp-config", config,
         "--allowedTools", "mcp__connectorc__run"],
        input=b"Run sim.connector.json with the sim agent.", cwd=project,
        env=cli_env, capture_output=True, timeout=180)
    print("claude exit:", p.returncode)
    result = json.loads(p.stdout.decode() or "{}")
    print("claude result:", result.get("subtype"), result.get("num_turns"), "turns")
    text = result.get("result", "")
    answered = json.loads(text.split("TOOL-RESULT: ", 1)[1]) if "TOOL-RESULT: " in text else {}
    run_id = answered.get("id", "")
    print("tool answered: id=%s run_dir in project: %s" % (
        run_id.rsplit("-", 1)[0], answered.get("run_dir", "").startswith(project)))
    requests = [json.loads(line) for line in open(log)]
    print("requests offering connectorc's tools:",
          sum(1 for r in requests if r.get("tools")) > 0)
    # The run goes on in the daemon, to its end.
    for _ in range(600):
        st = subprocess.run([connectorc, "status", answered.get("run_dir", "-")],
                            capture_output=True, text=True, env=env)
        if st.returncode == 0 and "succeeded (" in st.stdout.splitlines()[0]:
            break
        time.sleep(0.1)
    print("run:", st.stdout.splitlines()[0].split(" (")[0] if st.stdout else st.stderr)
finally:
    fake.terminate()
    fake.wait()
    subprocess.run([connectorc, "daemon", "--stop"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(runtime_dir, ignore_errors=True)
