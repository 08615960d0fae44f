"""A run killed (SIGKILL) while its interactive task's agent works on the
prompt; `run --resume` continues that conversation with the CLI's own resume
(here the sim standing for Claude Code, `--resume ID`), not a fresh one.

Usage: resume_scenario.py CONNECTORC SPEC RUN_DIR
"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

connectorc, spec, run_dir = sys.argv[1:4]
env = dict(os.environ, CI="1")
first = subprocess.Popen([connectorc, "run", spec, "--simulate", "--simulate-fail",
                          "claude=hang", "--run-dir", run_dir, "--quiet"], env=env,
                         stderr=subprocess.DEVNULL)
# The prompt has reached the agent (its transcript has it); it hangs there.
end = time.monotonic() + 60
while time.monotonic() < end:
    found = glob.glob(os.path.join(run_dir, "sim-transcripts", "*.jsonl"))
    if found and '"type":"user"' in open(found[0]).read():
        break
    time.sleep(0.05)
else:
    sys.exit("the prompt never reached the agent")
first.send_signal(signal.SIGKILL)
first.wait()
# The agent's terminal went with the run: nothing of it is left.
conv = os.path.basename(found[0])[:-len(".jsonl")]
end = time.monotonic() + 10
while time.monotonic() < end and conv in subprocess.run(
        ["ps", "-eo", "args"], capture_output=True, text=True).stdout:
    time.sleep(0.05)
print("agents left after the kill:", int(conv in subprocess.run(
    ["ps", "-eo", "args"], capture_output=True, text=True).stdout))
second = subprocess.run([connectorc, "run", "--resume", "--run-dir", run_dir, "--quiet"],
                        env=env, capture_output=True, text=True, timeout=60)
print("resume:", second.returncode)
starts = [json.loads(l) for l in open(os.path.join(run_dir, "events.jsonl"))
          if '"attempt-start"' in l]
print("attempts:", len(starts))
print("same conversation:", len({s.get("conversation") for s in starts}) == 1,
      "resumed:", starts[-1].get("resumed"))
