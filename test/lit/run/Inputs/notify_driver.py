#!/usr/bin/env python3
"""Runs a command beside a local webhook (and a fake notify-send).

  notify_driver.py [--refuse | --silent] [--tls CERT KEY] [--status N]
                   [--requests FILE]
                   [--notify-send LOG] [--subst IN OUT]... -- COMMAND...

A webhook server listens on 127.0.0.1, port 0 (or, with --refuse, a socket
is bound there and never listens: connections are refused; with --silent,
it listens and never accepts: requests get no answer; with --tls, it
speaks https with that certificate and key). Each --subst
copies IN to OUT with @PORT@ replaced by its port. Each request the server
gets is appended to --requests as two lines: "POST <path and query>" and
the body; it answers --status (200). With --notify-send, a fake notify-send
first on PATH appends its argv (one argument a line, then "--end--") to LOG.
The command's exit status is this script's.
"""
import argparse
import http.server
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading


def serve(args):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with open(args.requests, "ab") as f:
                f.write(b"POST " + self.path.encode() + b"\n" + body + b"\n")
            self.send_response(args.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*args.tls)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--refuse", action="store_true")
    p.add_argument("--silent", action="store_true")
    p.add_argument("--tls", nargs=2)
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--requests", default=os.devnull)
    p.add_argument("--notify-send")
    p.add_argument("--subst", nargs=2, action="append", default=[])
    p.add_argument("command", nargs="+")
    args = p.parse_args()
    if args.refuse or args.silent:
        held = socket.socket()
        held.bind(("127.0.0.1", 0))
        if args.silent:
            held.listen(8)
        port = held.getsockname()[1]
    else:
        server, port = serve(args)
    for src, dst in args.subst:
        with open(src) as f:
            text = f.read().replace("@PORT@", str(port))
        os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
        with open(dst, "w") as f:
            f.write(text)
    env = dict(os.environ)
    if args.notify_send:
        bindir = os.path.join(os.path.dirname(os.path.abspath(args.notify_send)),
                              "fake-bin")
        os.makedirs(bindir, exist_ok=True)
        fake = os.path.join(bindir, "notify-send")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\nfor a in "$@"; do printf "%%s\\n" "$a"; done '
                    '>> "%s"\necho --end-- >> "%s"\n'
                    % (args.notify_send, args.notify_send))
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        env["PATH"] = bindir + os.pathsep + env["PATH"]
    sys.exit(subprocess.call(args.command, env=env))


if __name__ == "__main__":
    main()
