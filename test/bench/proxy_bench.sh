#!/usr/bin/env bash
# Sandbox network benchmark (issue 19, "Performance"); a benchmark, not a test.
#  1. A long streamed download (MIB MiB, one HTTP/1.0 answer ended by close)
#     from a server on the host's loopback, read by curl: directly on the
#     host, against inside a sandbox (bwrap --unshare-net) through
#     `connectorc sandbox-net` and `connectorc egress-proxy` — both the
#     agent's proxy port (CONNECT, as HTTPS_PROXY clients do) and a
#     --forward port. Goal: >= 90 % of direct throughput. The same with the
#     server sending at most 64 MiB/s (a fast link, far above any streamed
#     answer), directly and through CONNECT.
#  2. Starting a session: bwrap + `connectorc sandbox-net` + /bin/true,
#     against bwrap + /bin/true with the same namespaces. Goal: <= 20 ms
#     added. For scale, bwrap + `connectorc --version`: what starting the
#     binary costs at all.
#  3. A paced event stream (500 small events 2 ms apart, as a model streams
#     an answer): the delay from each event's sending to its receipt,
#     directly and through --forward.
# Loopback is far faster than any provider's API, so (1) is the worst case:
# every byte passes two more processes (sandbox-net and the proxy), each
# with a socket and a pipe (splice(2)) on the way.
# Runs are interleaved (the machine is shared and noisy) and each ratio is
# taken per round, between runs back to back; medians are reported.
# Usage: test/bench/proxy_bench.sh [BUILD_DIR] [RUNS] [MIB] [STARTS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${2:-5}
mib=${3:-1024}
starts=${4:-30}
exec python3 - "$build/bin/connectorc" "$runs" "$mib" "$starts" <<'PY'
import atexit, os, resource, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

connectorc, runs, mib, starts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
block = b"x" * (1 << 20)
events = 500
rate = 64  # MiB/s, for /paced

def serve(listener):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()

def answer(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(4096)
            if not more:
                return
            data += more
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
        try:
            if data.startswith(b"GET /sse"):
                # Small events, each stamped with the time it was sent.
                for _ in range(events):
                    conn.sendall(b"data: %d\n\n" % time.monotonic_ns())
                    time.sleep(0.002)
                return
            # /paced: at most `rate` MiB/s, as a fast link would bring it.
            paced = data.startswith(b"GET /paced")
            t0 = time.monotonic()
            for i in range(mib):
                conn.sendall(block)
                if paced:
                    time.sleep(max(0, t0 + (i + 1) / rate - time.monotonic()))
        except OSError:
            pass

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
port = listener.getsockname()[1]
threading.Thread(target=serve, args=(listener,), daemon=True).start()

private = tempfile.mkdtemp(prefix="cc-proxy-bench-")
sock = os.path.join(private, "p.sock")
proxy = subprocess.Popen([connectorc, "egress-proxy", f"--listen={sock}=127.0.0.1:{port}"],
                         stdout=subprocess.PIPE, text=True)
atexit.register(lambda: (proxy.terminate(), proxy.wait(), shutil.rmtree(private)))
assert proxy.stdout.readline() == "listening\n"

ns = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
      "--die-with-parent", "--new-session", "--ro-bind", "/", "/", "--dev", "/dev",
      "--proc", "/proc", "--tmpfs", "/tmp", "--bind", private, private]
bwrap = [shutil.which("bwrap")] + ns + ["--"]
net = bwrap + [connectorc, "sandbox-net", "--socket", sock]
url = f"http://127.0.0.1:{port}/stream"
curl = ["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download} %{speed_download}"]

# Set (empty), so that sandbox-net leaves them: curl then sends even a
# loopback URL to the proxy.
env = dict(os.environ, NO_PROXY="", no_proxy="")

def download(argv):
    out = subprocess.run(argv, capture_output=True, text=True, check=True,
                         env=env).stdout.split()
    assert int(out[0]) == mib << 20, out
    return float(out[1]) / (1 << 20)  # MiB/s

paced = url.replace("/stream", "/paced")
kinds = {
    "direct": curl + [url],
    "proxy (CONNECT)": net + ["--", *curl, "-p", url],
    "proxy (--forward)": net + [f"--forward={port}:127.0.0.1:{port}", "--", *curl, "--noproxy", "*", url],
    "paced direct": curl + [paced],
    "paced proxy": net + ["--", *curl, "-p", paced],
}
speeds = {k: [] for k in kinds}
ratios = {k: [] for k in kinds}
for _ in range(runs):
    got = {k: download(argv) for k, argv in kinds.items()}
    for k in kinds:
        speeds[k].append(got[k])
        ratios[k].append(got[k] / got["paced direct" if k.startswith("paced") else "direct"])

# A paced event stream (an answer as a model streams it): how much later
# each event arrives than it was sent, directly and through --forward.
sse_client = """
import socket, statistics, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"GET /sse HTTP/1.0\\r\\n\\r\\n")
f = s.makefile("rb")
lat = []
for line in f:
    if line.startswith(b"data: "):
        lat.append((time.monotonic_ns() - int(line[6:])) / 1000)
lat.sort()
print(statistics.median(lat), lat[int(len(lat) * 0.99)], len(lat))
"""

def sse(argv):
    out = subprocess.run(argv + [sys.executable, "-c", sse_client, str(port)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert int(out[2]) == events, out
    return float(out[0]), float(out[1])

sse_direct, sse_proxy = [], []
for _ in range(runs):
    sse_direct.append(sse([]))
    sse_proxy.append(sse(net + [f"--forward={port}:127.0.0.1:{port}", "--"]))

cpu = {}  # kind -> CPU ms (user + system) per start, of direct children
# only (bwrap's pid namespace keeps its own from being counted)

def started(argv, kind):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000
    cpu.setdefault(kind, []).append(used)
    return (t1 - t0) * 1000

plain_ms, exe_ms, net_ms, added = [], [], [], []
for _ in range(starts):
    a = started(bwrap + ["/bin/true"], "bwrap")
    v = started(bwrap + [connectorc, "--version"], "version")
    b = started(net + ["--", "/bin/true"], "net")
    started(["/bin/true"], "true")
    started([connectorc, "sandbox-net", "--socket", sock, "--", "/bin/true"], "bare")
    plain_ms.append(a)
    exe_ms.append(v)
    net_ms.append(b)
    added.append(b - a)

med = statistics.median
print(f"download {mib} MiB, runs={runs} (medians; ratio per round; 'paced': the server sends at most {rate} MiB/s)")
for k in kinds:
    r = "" if k.endswith("direct") else f"  ({med(ratios[k]) * 100:.0f} % of direct, range {min(ratios[k]) * 100:.0f}-{max(ratios[k]) * 100:.0f} %)"
    print(f"{k:20s} {med(speeds[k]):8.0f} MiB/s{r}")
print(f"paced event stream, {events} events 2 ms apart, runs={runs}: delay from send to receipt (medians of runs)")
print(f"{'direct':20s} median {med([m for m, _ in sse_direct]):6.0f} us  p99 {med([p for _, p in sse_direct]):6.0f} us")
print(f"{'proxy (--forward)':20s} median {med([m for m, _ in sse_proxy]):6.0f} us  p99 {med([p for _, p in sse_proxy]):6.0f} us")
print(f"session start, {starts} rounds (medians)")
print(f"{'bwrap':28s} {med(plain_ms):6.1f} ms")
print(f"{'bwrap + connectorc --version':28s} {med(exe_ms):6.1f} ms  (the binary's own start)")
print(f"{'bwrap + sandbox-net':28s} {med(net_ms):6.1f} ms  (+{med(added):.1f} ms, range {min(added):+.1f} to {max(added):+.1f})")
print(f"CPU time without bwrap: /bin/true {med(cpu['true']):.1f} ms, sandbox-net + /bin/true {med(cpu['bare']):.1f} ms")
PY
