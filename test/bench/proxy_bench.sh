#!/usr/bin/env bash
# Sandbox network benchmark (issue 19, "Performance"); a benchmark, not a test.
#  1. A long streamed download (MIB MiB, one HTTP/1.0 answer ended by close)
#     from a server on the host's loopback, read by curl: directly on the
#     host, against inside a sandbox (bwrap --unshare-net) through
#     `connectorc sandbox-net` and `connectorc egress-proxy` — both the
#     agent's proxy port (CONNECT, as HTTPS_PROXY clients do) and a
#     --forward port. Goal: >= 90 % of direct throughput.
#  2. Starting a session: bwrap + `connectorc sandbox-net` + /bin/true,
#     against bwrap + /bin/true with the same namespaces. Goal: <= 20 ms
#     added.
# Loopback is far faster than any provider's API, so (1) is the worst case:
# every byte costs two more copies through each of the two relays.
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
import os, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

connectorc, runs, mib, starts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
block = b"x" * (1 << 20)

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
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
        try:
            for _ in range(mib):
                conn.sendall(block)
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

kinds = {
    "direct": curl + [url],
    "proxy (CONNECT)": net + ["--", *curl, "-p", url],
    "proxy (--forward)": net + [f"--forward={port}:127.0.0.1:{port}", "--", *curl, "--noproxy", "*", url],
}
speeds = {k: [] for k in kinds}
ratios = {k: [] for k in kinds}
for _ in range(runs):
    got = {k: download(argv) for k, argv in kinds.items()}
    for k in kinds:
        speeds[k].append(got[k])
        ratios[k].append(got[k] / got["direct"])

def started(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, check=True)
    return (time.perf_counter() - t0) * 1000

plain_ms, net_ms, added = [], [], []
for _ in range(starts):
    a = started(bwrap + ["/bin/true"])
    b = started(net + ["--", "/bin/true"])
    plain_ms.append(a)
    net_ms.append(b)
    added.append(b - a)

proxy.terminate()
proxy.wait()
shutil.rmtree(private)

med = statistics.median
print(f"download {mib} MiB, runs={runs} (medians; ratio per round)")
for k in kinds:
    r = "" if k == "direct" else f"  ({med(ratios[k]) * 100:.0f} % of direct, range {min(ratios[k]) * 100:.0f}-{max(ratios[k]) * 100:.0f} %)"
    print(f"{k:20s} {med(speeds[k]):8.0f} MiB/s{r}")
print(f"session start, {starts} rounds (medians)")
print(f"{'bwrap':20s} {med(plain_ms):8.1f} ms")
print(f"{'bwrap + sandbox-net':20s} {med(net_ms):8.1f} ms  (+{med(added):.1f} ms, range {min(added):+.1f} to {max(added):+.1f})")
PY
