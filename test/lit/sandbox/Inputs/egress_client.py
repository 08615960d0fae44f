"""The agent's side of egress.test: runs inside the sandbox (under
`connectorc sandbox-net`) and prints what each connection attempt did.

usage: egress_client.py A B C D   (the host's loopback ports: A allowed, B
refused by the proxy, C not forwarded at all, D allowed but closed)
"""
import http.client
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

A, B, C, D = sys.argv[1:5]
proxy = os.environ.get("HTTP_PROXY", "")
print("proxy env:", proxy, os.environ.get("HTTPS_PROXY") == proxy,
      os.environ.get("http_proxy") == proxy)
proxy_host, proxy_port = proxy.rsplit("/", 1)[1].split(":")


def attempt(label, fn):
    try:
        print(f"{label}: {fn()}")
    except Exception as e:  # noqa: BLE001 - every failure is an outcome
        print(f"{label}: failed: {type(e).__name__}: {e}")
    sys.stdout.flush()


def via_http_proxy(url):
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": proxy}))
    try:
        with opener.open(url, timeout=10) as r:
            return f"{r.status} {r.read().decode().strip()}"
    except urllib.error.HTTPError as e:
        return f"{e.code} {e.read().decode().strip()}"


def via_connect(host, port, path="/hello"):
    c = http.client.HTTPConnection(proxy_host, int(proxy_port), timeout=10)
    c.set_tunnel(host, int(port))
    c.request("GET", path)
    r = c.getresponse()
    return f"{r.status} {r.read().decode().strip()}"


def direct(port, path="/hello"):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    return f"{r.status} {r.read().decode().strip()}"


def half_closed_stream(port):
    # A long answer to a client that shut its sending half down first.
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    s.sendall(b"GET /stream HTTP/1.0\r\nHost: x\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    ok = body == bytes(range(256)) * 16384
    return f"{head.split(b' ')[1].decode()} {len(body)} bytes, intact {ok}"


def stream_via_connect(port):
    c = http.client.HTTPConnection(proxy_host, int(proxy_port), timeout=10)
    c.set_tunnel("127.0.0.1", int(port))
    c.request("GET", "/stream")
    r = c.getresponse()
    body = r.read()
    ok = body == bytes(range(256)) * 16384
    return f"{r.status} {len(body)} bytes, intact {ok}"


def dns(name):
    socket.getaddrinfo(name, 443)
    return "resolved"


def curl(*args):
    env = {k: v for k, v in os.environ.items()
           if k.lower() != "no_proxy"}
    r = subprocess.run(["curl", "-sS", "--max-time", "10", "-w",
                        " %{http_code}"] + list(args),
                       capture_output=True, text=True, env=env)
    return " ".join((r.stdout + " " + r.stderr).split())


attempt(f"http proxy 127.0.0.1:{A}",
        lambda: via_http_proxy(f"http://127.0.0.1:{A}/hello"))
attempt(f"http proxy 127.0.0.1:{B}",
        lambda: via_http_proxy(f"http://127.0.0.1:{B}/hello"))
attempt(f"connect 127.0.0.1:{A}", lambda: via_connect("127.0.0.1", A))
attempt(f"connect localhost:{A}", lambda: via_connect("localhost", A))
attempt(f"connect 127.0.0.1:{B}", lambda: via_connect("127.0.0.1", B))
attempt("connect example.com:443", lambda: via_connect("example.com", 443))
attempt(f"connect 127.0.0.1:{D}", lambda: via_connect("127.0.0.1", D))
attempt(f"forward {A}", lambda: direct(A))
attempt(f"forward {B}", lambda: direct(B))
attempt(f"direct {C}", lambda: direct(C))
attempt(f"stream via forward {A}", lambda: half_closed_stream(A))
attempt(f"stream via connect {A}", lambda: stream_via_connect(A))
attempt("dns example.com", lambda: dns("example.com"))
if os.environ.get("EGRESS_CURL"):  # egress_check.py sets it
    attempt(f"curl http proxy {A}",
            lambda: curl(f"http://127.0.0.1:{A}/hello"))
    attempt(f"curl proxytunnel {A}",
            lambda: curl("-p", f"http://127.0.0.1:{A}/hello"))
    attempt(f"curl http proxy {B}",
            lambda: curl(f"http://127.0.0.1:{B}/hello"))
