"""`connectorc serve` benchmark (issue 21, "Performance"): in a private
runtime and config directory and a scratch project,
  - GET /api/v1/runs with RUNS finished runs of TASKS tasks each held in the
    project (copies of one simulated run) and LIVE live runs (an agent that
    waits for input in each): p50/p99 over REQUESTS requests on one
    keep-alive connection, beside GET /api/v1/openapi.json (a constant
    document: the server's own cost per request) as the ratio;
  - the time from a journal record (its "time", written when it is
    committed) to its server-sent event in a client, over a simulated run of
    SSE_TASKS tasks.
Figures only, for docs/benchmarks.md; nothing is asserted.
Usage: server_bench.py CONNECTORC [RUNS] [TASKS] [LIVE] [REQUESTS] [SSE_TASKS]"""
import datetime
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lit", "server", "Inputs"))
from srv import Server  # noqa: E402

connectorc = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 100
TASKS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
LIVE = int(sys.argv[4]) if len(sys.argv) > 4 else 10
REQUESTS = int(sys.argv[5]) if len(sys.argv) > 5 else 500
SSE_TASKS = int(sys.argv[6]) if len(sys.argv) > 6 else 100

project = tempfile.mkdtemp(prefix="cc-srv-bench-")
subprocess.run(["git", "init", "-q", "."], cwd=project, check=True)
workers = ", ".join('{"model": "m", "prompt": "p%d"}' % i for i in range(TASKS))
open(os.path.join(project, "many.connector.json"), "w").write(
    '{"connector": "2.0", "name": "many", "models": {"m": "claude"}, '
    '"pipeline": {"phases": [{"name": "w", "parallel": true, "workers": [%s]}]}}' % workers)
sse_workers = ", ".join('{"model": "m", "prompt": "p%d"}' % i for i in range(SSE_TASKS))
open(os.path.join(project, "sse.connector.json"), "w").write(
    '{"connector": "2.0", "name": "sse", "models": {"m": "claude"}, '
    '"pipeline": {"phases": [{"name": "w", "parallel": true, "workers": [%s]}]}}' % sse_workers)
asker = os.path.join(project, "asker.py")
open(asker, "w").write('import sys\nsys.stdout.write("Continue? (y/n) ")\nsys.stdout.flush()\nsys.stdin.readline()\n')
open(os.path.join(project, "live.connector.json"), "w").write(
    '{"connector": "2.0", "name": "live", "models": {"a": {"provider": "custom", '
    '"command": ["python3", "%s"]}}, "pipeline": {"phases": [{"name": "ask", '
    '"model": "a", "prompt": "p"}]}}' % asker)

s = Server(connectorc, project)


def wait_end(run):
    while True:
        st, _, d = s.request("GET", "/api/v1/runs/" + run)
        if st == 200 and not d["run"]["live"] and d["run"].get("status") not in (None, "starting", "running"):
            return d
        time.sleep(0.2)


# One finished run, copied: RUNS runs of TASKS tasks in the project.
st, _, d = s.request("POST", "/api/v1/runs", {"spec_path": "many.connector.json", "simulate": True, "jobs": 16})
first = d["id"]
wait_end(first)
runs_dir = os.path.join(project, ".connector", "runs")
for i in range(1, RUNS):
    shutil.copytree(os.path.join(runs_dir, first), os.path.join(runs_dir, "%s-copy%03d" % (first, i)))
live = []
for _ in range(LIVE):
    st, _, d = s.request("POST", "/api/v1/runs", {"spec_path": "live.connector.json"})
    live.append(d["id"])


def all_waiting():
    st, _, d = s.request("GET", "/api/v1/runs")
    states = {r["id"]: r for r in d["runs"]}
    return all(states.get(r, {}).get("live") for r in live)


while not all_waiting():
    time.sleep(0.2)
st, _, d = s.request("GET", "/api/v1/runs")
held = len(d["runs"])
tasks = sum(r.get("tasks_total", 0) for r in d["runs"])


def timed(path, n):
    c = http.client.HTTPConnection("127.0.0.1", s.port)
    h = {"Authorization": "Bearer " + s.token}
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        c.request("GET", path, headers=h)
        r = c.getresponse()
        r.read()
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status == 200
    c.close()
    out.sort()
    return out[len(out) // 2], out[int(len(out) * 0.99) - 1], statistics.mean(out)


timed("/api/v1/runs", 20)  # warm: the reports are cached by journal
base = timed("/api/v1/openapi.json", REQUESTS)
runs = timed("/api/v1/runs", REQUESTS)
print("held: %d runs (%d live), %d tasks" % (held, LIVE, tasks))
print("GET /api/v1/openapi.json: p50 %.2f ms, p99 %.2f ms" % base[:2])
print("GET /api/v1/runs:         p50 %.2f ms, p99 %.2f ms (p50 %.1fx openapi.json's)"
      % (runs[0], runs[1], runs[0] / base[0]))

# SSE: a simulated run's events, arrival against the record's time.
arrivals = []
done = threading.Event()


def follow():
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n"
                  % (s.host, s.token)).encode())
    buf = b""
    while not done.is_set():
        chunk = sock.recv(65536)
        if not chunk:
            break
        now = time.time()
        buf += chunk
        while b"\n\n" in buf:
            block, _, buf = buf.partition(b"\n\n")
            for line in block.decode(errors="replace").split("\n"):
                if line.startswith("data: "):
                    e = json.loads(line[6:])
                    arrivals.append((now, e))
                    if e.get("event") == "run-end" and e.get("run", "").startswith("sse-"):
                        done.set()
    sock.close()


t = threading.Thread(target=follow)
t.start()
time.sleep(0.5)
s.request("POST", "/api/v1/runs", {"spec_path": "sse.connector.json", "simulate": True, "jobs": 16})
done.wait(300)
lat = []
for now, e in arrivals:
    if not e.get("run", "").startswith("sse-") or "time" not in e:
        continue
    at = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    lat.append((now - at) * 1000)
lat.sort()
if lat:
    print("journal record to SSE event: %d events, p50 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1], lat[-1]))
for r in live:
    s.request("POST", "/api/v1/runs/%s/stop" % r)
time.sleep(1)
s.stop()
shutil.rmtree(project, ignore_errors=True)
shutil.rmtree(s.runtime, ignore_errors=True)
