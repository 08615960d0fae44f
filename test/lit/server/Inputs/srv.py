"""Helpers for the server's tests: start `connectorc serve` in a private
runtime and config directory, call it, speak WebSocket (RFC 6455, client side,
enough for the tests: no extensions, no fragmentation of what it sends)."""
import atexit
import base64
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time


class Server:
    def __init__(self, connectorc, project, extra=(), env=None):
        self.runtime = tempfile.mkdtemp(prefix="cc-srv-")
        os.chmod(self.runtime, 0o700)
        self.config = os.path.join(project, ".cfg")
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.runtime,
                        XDG_CONFIG_HOME=self.config, **(env or {}))
        self.proc = subprocess.Popen(
            [connectorc, "serve", "--listen", "127.0.0.1:0", "--print-url"]
            + list(extra), cwd=project, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        m = re.match(r"http://127\.0\.0\.1:(\d+)/\?token=([0-9a-f]+)$", self.url)
        if not m:
            raise RuntimeError("no URL: %r %r" % (self.url, self.proc.stderr.read()))
        # A scenario that fails half-way leaves no server behind.
        atexit.register(self.stop)
        self.port = int(m.group(1))
        self.token = m.group(2)
        self.host = "127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None, token=True,
                raw_body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {}
        if token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None:
            raw_body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        c.request(method, path, body=raw_body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = data
        return r.status, dict(r.getheaders()), doc

    def wait(self, pred, what, seconds=60):
        end = time.time() + seconds
        while time.time() < end:
            v = pred()
            if v:
                return v
            time.sleep(0.1)
        raise RuntimeError("timed out waiting for " + what)

    def stop(self):
        if self.proc.returncode is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.runtime, ignore_errors=True)
        return self.proc.returncode


class WebSocket:
    """A client connection; raises on a failed handshake (with its status)."""

    def __init__(self, port, path, headers=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port,
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1])
        self.head = head.decode(errors="replace")

    def send(self, data, binary=True):
        if isinstance(data, str):
            data = data.encode()
        op = 2 if binary else 1
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | op, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | op, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | op, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(hdr + mask + masked)

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """(opcode, payload) of the next whole message; pings answered."""
        data, first = b"", None
        while True:
            b0, b1 = self._need(2)
            op, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._need(8))[0]
            payload = self._need(n)
            if op == 9:  # ping
                self._control(10, payload)
                continue
            if op in (1, 2, 8):
                first = op
            data += payload
            if b0 & 0x80:
                return first, data

    def _control(self, op, payload):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(struct.pack("!BB", 0x80 | op, 0x80 | len(payload)) + mask + masked)

    def close(self):
        try:
            self._control(8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def sse(port, path, token, on_open=None, until=None, seconds=60):
    """Reads server-sent events until `until(event)` is true; returns them."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: "
                  "Bearer %s\r\nAccept: text/event-stream\r\n\r\n"
                  % (path, port, token)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(4096)
    head, _, buf = buf.partition(b"\r\n\r\n")
    events = []
    if on_open:
        on_open(head.decode())
    end = time.time() + seconds
    while time.time() < end:
        while b"\n\n" in buf:
            block, _, buf = buf.partition(b"\n\n")
            data = [l[6:] for l in block.decode().split("\n") if l.startswith("data: ")]
            if data:
                events.append(json.loads("\n".join(data)))
                if until and until(events[-1]):
                    sock.close()
                    return head.decode(), events
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    sock.close()
    return head.decode(), events


def raw(port, data, seconds=30):
    """Sends \p data as it is and returns what comes back until the server
    closes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=seconds)
    sock.sendall(data)
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    sock.close()
    return out.decode(errors="replace")
