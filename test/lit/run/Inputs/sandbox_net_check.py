"""A sandboxed probe agent tries the network (issue 19's escape tests):
its provider's base URL on the host's loopback is reached (through a
sandbox-net forward and the egress proxy); a host the rules do not name, an
allowed host on another port and another loopback service of the host are
not; names do not resolve. Prints what each try did, then the journal's
network-denied events, for FileCheck.

usage: sandbox_net_check.py CONNECTORC WORKDIR
"""
import json
import os
import socket
import subprocess
import sys
import threading

connectorc, work = sys.argv[1], os.path.abspath(sys.argv[2])
project = os.path.join(work, "project")
os.makedirs(project)
subprocess.run(["git", "init", "-q", "-b", "main", project], check=True)


def serve(banner):
    """A TCP server on the host's loopback that says BANNER to each client."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def loop():
        while True:
            c, _ = s.accept()
            c.sendall(banner.encode() + b"\n")
            c.close()
    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]


allowed = serve("provider says hello")
other = serve("the host's other service")

probe = os.path.join(work, "probe.py")
with open(probe, "w") as f:
    f.write(r'''#!/usr/bin/env python3
import os, socket, sys
def banner(host, port):
    try:
        with socket.create_connection((host, port), timeout=5) as c:
            return "ok: " + c.recv(100).decode().strip()
    except OSError as e:
        return "failed: " + (e.strerror or str(e))
def via_proxy(target):
    proxy = os.environ.get("HTTPS_PROXY", "")
    if not proxy.startswith("http://127.0.0.1:"):
        return "no proxy"
    port = int(proxy.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
        return c.recv(100).decode().split("\r\n")[0]
url = os.environ["PROBE_URL"]
port = int(url.rsplit(":", 1)[1])
print("provider:", banner("127.0.0.1", port))
print("other loopback service:", banner("127.0.0.1", int(os.environ["OTHER_PORT"])))
print("proxy, a host not allowed:", via_proxy("example.com:443"))
print("proxy, the provider on another port:", via_proxy("127.0.0.1:%s" % os.environ["OTHER_PORT"]))
try:
    socket.getaddrinfo("example.com", 443)
    print("dns: resolved")
except OSError:
    print("dns: failed")
''')
os.chmod(probe, 0o755)

registry = {"registry": "1", "providers": {"netprobe": {
    "description": "a probe of the sandbox's network", "executable": probe,
    "args": [], "prompt_via": "stdin", "default_model": "p", "env": [],
    "sandbox": {"state": [], "env": ["PROBE_URL"], "endpoints": []},
    "failures": [],
    "models": {"p": {"input_per_mtok": 0, "output_per_mtok": 0, "tier": "fast"}}}}}
with open(os.path.join(work, "providers.json"), "w") as f:
    json.dump(registry, f)
spec = {"connector": "2.0", "name": "net",
        "models": {"m": "netprobe"},
        "pipeline": {"phases": [{"name": "look", "model": "m", "prompt": "x",
                                 "session": {"sandbox": True,
                                             "env_pass": ["OTHER_PORT"]}}]}}
with open(os.path.join(project, "spec.json"), "w") as f:
    json.dump(spec, f)
env = dict(os.environ)
env["PROBE_URL"] = "http://127.0.0.1:%d" % allowed
env["OTHER_PORT"] = str(other)
run = os.path.join(work, "run")
r = subprocess.run([connectorc, "run", "--quiet", "--providers",
                    os.path.join(work, "providers.json"), "--run-dir", run,
                    "spec.json"], cwd=project, env=env,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
print("exit", r.returncode)
if r.returncode:
    print(r.stdout)
print(open(os.path.join(run, "scratchpad", "look", "1.md")).read().strip())
for line in open(os.path.join(run, "events.jsonl")):
    e = json.loads(line)
    if e.get("event") == "network-denied":
        print("denied %s:%s (%s)" % (e["host"], e["port"], e["reason"]))
