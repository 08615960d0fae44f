"""Runs a real sandbox (bwrap --unshare-net) around `connectorc sandbox-net`
and egress_client.py, with `connectorc egress-proxy` and three HTTP servers
on the host's loopback, and prints what happened with the ports replaced by
their names (A allowed, B running but refused, C running, not forwarded,
D allowed with nothing listening).

usage: egress_check.py CONNECTORC
"""
import http.server
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading

connectorc = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
client = os.path.join(here, "egress_client.py")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/stream":
            # 4 MiB in 64 KiB writes, ended by closing (HTTP/1.0): a long
            # streamed answer.
            self.send_response(200)
            self.end_headers()
            block = bytes(range(256)) * 256
            for _ in range(64):
                self.wfile.write(block)
                self.wfile.flush()
            return
        body = f"hello from {self.server.name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


servers = {}
for name in "ABC":
    s = Server(("127.0.0.1", 0), Handler)
    s.name = name
    threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[name] = s.server_address[1]
A, B, C = (str(servers[n]) for n in "ABC")
# D: allowed, but nothing listens there (bound, never listening, so that no
# other test takes it meanwhile).
closed = socket.socket()
closed.bind(("127.0.0.1", 0))
servers["D"] = closed.getsockname()[1]
D = str(servers["D"])


def names(text):
    for n, p in servers.items():
        text = re.sub(rf"\b{p}\b", n, text)
    return text


# A private directory for the sockets, as the runtime makes one.
private = tempfile.mkdtemp(prefix="cc-egress-")
sock, sock2 = os.path.join(private, "p.sock"), os.path.join(private, "q.sock")
proxy = subprocess.Popen(
    [connectorc, "egress-proxy",
     f"--listen={sock}=127.0.0.1:{A},localhost:{A},127.0.0.1:{D}",
     f"--listen={sock2}=127.0.0.1:{B}"],
    stdout=subprocess.PIPE, text=True)
assert proxy.stdout.readline() == "listening\n"
print("socket mode:", oct(os.stat(sock).st_mode & 0o777),
      "dir mode:", oct(os.stat(private).st_mode & 0o777))


# The build and this directory stay visible in the sandbox's private /tmp
# (a checkout may live under /tmp).
visible = [os.path.dirname(os.path.abspath(connectorc)), here]


def sandbox(*args):
    keep = [w for d in visible for w in ("--ro-bind", d, d)]
    return ["bwrap", "--unshare-net", "--unshare-pid", "--die-with-parent",
            "--new-session", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc", "--tmpfs", "/tmp", "--bind", private, private,
            *keep, "--", connectorc, "sandbox-net"] + list(args)


def run(label, argv, env=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                       env=env)
    print(f"== {label}: exit {r.returncode}")
    for line in (r.stdout + r.stderr).splitlines():
        print(names(line))
    sys.stdout.flush()


# Set, so that sandbox-net leaves them: the client reaches the host's
# loopback through the proxy too.
env = dict(os.environ, NO_PROXY="", no_proxy="", EGRESS_CURL="1")
run("sandbox", sandbox("--socket", sock, f"--forward={A}:127.0.0.1:{A}",
                       f"--forward={B}:127.0.0.1:{B}", "--",
                       sys.executable, client, A, B, C, D), env)

# A second listener of the same proxy, with its own allowlist.
probe = ("import http.client, os, sys\n"
         "h, p = os.environ['HTTP_PROXY'].rsplit('/', 1)[1].split(':')\n"
         "for port in sys.argv[1:]:\n"
         "    c = http.client.HTTPConnection(h, int(p), timeout=10)\n"
         "    c.set_tunnel('127.0.0.1', int(port))\n"
         "    try:\n"
         "        c.request('GET', '/hello')\n"
         "        print(port, c.getresponse().read().decode().strip())\n"
         "    except OSError as e:\n"
         "        print(port, e)\n")
run("second listener", sandbox("--socket", sock2, "--", sys.executable, "-c",
                               probe, A, B))

# Fail closed: no socket, a port that cannot be bound, a program that
# cannot run; the agent (which would write a file) never starts.
marker = os.path.join(private, "agent-ran")
agent = ["/bin/sh", "-c", f"touch {marker}"]
run("missing socket", sandbox("--socket", os.path.join(private, "none.sock"),
                              "--", *agent))
# (Port A inside the sandbox's own namespace: free there, taken twice.)
run("port taken", sandbox("--socket", sock, f"--proxy-port={A}",
                          f"--forward={A}:127.0.0.1:1", "--", *agent))
run("no such program", sandbox("--socket", sock, "--", "/nonexistent/agent"))
print("agent ran:", os.path.exists(marker))

# The agent's status, and a signal passed on to it.
run("exit status", sandbox("--socket", sock, "--", "/bin/sh", "-c", "exit 7"))
run("killed", sandbox("--socket", sock, "--", "/bin/sh", "-c", "kill -9 $$"))
waiter = subprocess.Popen(
    [connectorc, "sandbox-net", "--socket", sock, "--", sys.executable, "-c",
     "import signal, sys, time\n"
     "signal.signal(signal.SIGTERM, lambda *a: sys.exit(42))\n"
     "print('waiting', flush=True)\n"
     "time.sleep(60)\n"],
    stdout=subprocess.PIPE, text=True)
assert waiter.stdout.readline() == "waiting\n"
waiter.send_signal(signal.SIGTERM)
print("sigterm passed on: exit", waiter.wait(timeout=30))

# Hostile clients straight on the socket: each gets a status line (or
# nothing), and the proxy goes on serving.
def raw(data, label):
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(10)
    c.connect(sock)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    got = b""
    try:
        while True:
            more = c.recv(65536)
            if not more:
                break
            got += more
    except OSError as e:
        got += f"[{type(e).__name__}]".encode()
    c.close()
    print(f"raw {label}:", got.split(b"\r\n")[0].decode(errors="replace"))


raw(bytes(range(256)) * 4 + b"\r\n\r\n", "binary")
raw(b"GET http://x/ HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n", "huge head")
raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "origin-form")
raw(b"CONNECT 127.0.0.1:" + A.encode() + b" HTTP/1.1\r\n", "half a head")
raw(b"", "nothing")
run("still serving", sandbox("--socket", sock, "--", "curl", "-sS", "-p",
                             f"http://127.0.0.1:{A}/hello"), env)

proxy.send_signal(signal.SIGTERM)
out, _ = proxy.communicate(timeout=30)
print("== proxy reports")
for line in sorted(out.splitlines()):
    print(names(line))
print("proxy exit", proxy.returncode, "socket removed", not os.path.exists(sock))
shutil.rmtree(private)
