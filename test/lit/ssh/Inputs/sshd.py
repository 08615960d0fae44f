#!/usr/bin/env python3
"""A real sshd on a loopback port for connectorc's SSH tests.

  sshd.py start DIR       host and user keys, sshd_config, sshd, and a client
                          DIR/ssh_config with the hosts `fixture` (this sshd),
                          `wrongkey` (this sshd, but known_hosts holds another
                          key) and `closed` (a port nobody listens on)
  sshd.py run DIR CMD...  CMD with XDG_RUNTIME_DIR a short private directory
                          (connectorc's shared-connection sockets go there)
  sshd.py masters DIR     for each socket in connectorc's control directory,
                          whether `ssh -O check` finds its master running
  sshd.py stop DIR        ends the shared connections and sshd
  sshd.py can-run         exit 0 when sshd accepts a generated configuration

OpenSSH reads ~/.ssh from the password database, not $HOME, so the client
side is entirely in DIR/ssh_config, which a machine entry names.
"""
import getpass
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

SSHD = "/usr/sbin/sshd"
SSH = "/usr/bin/ssh"
KEYGEN = "/usr/bin/ssh-keygen"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path):
    subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path],
                   check=True, stdin=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return " ".join(f.read().split()[:2])


def write_sshd_config(d, port):
    lines = [
        "ListenAddress 127.0.0.1",
        "Port %d" % port,
        "HostKey %s/host_key" % d,
        "AuthorizedKeysFile %s/authorized_keys" % d,
        "PidFile %s/sshd.pid" % d,
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
    ]
    if os.geteuid() == 0:
        lines.append("PermitRootLogin prohibit-password")
    with open(os.path.join(d, "sshd_config"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_client_config(d, port, closed):
    common = [
        "  HostName 127.0.0.1",
        "  User %s" % getpass.getuser(),
        "  IdentityFile %s/user_key" % d,
        "  IdentitiesOnly yes",
        "  UserKnownHostsFile %s/known_hosts" % d,
        "  GlobalKnownHostsFile %s/known_hosts" % d,
        "  StrictHostKeyChecking yes",
    ]
    hosts = [("fixture", port, "cc-fixture"), ("wrongkey", port, "cc-wrong"),
             ("closed", closed, "cc-fixture")]
    out = []
    for name, p, alias in hosts:
        out += ["Host " + name, "  Port %d" % p, "  HostKeyAlias " + alias] + common
    with open(os.path.join(d, "ssh_config"), "w") as f:
        f.write("\n".join(out) + "\n")


def wait_accepting(proc, port, log):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("sshd exited (%d):\n%s" % (proc.returncode, open(log).read()))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("sshd does not accept on port %d" % port)


def prepare(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    host = keygen(os.path.join(d, "host_key"))
    user = keygen(os.path.join(d, "user_key"))
    other = keygen(os.path.join(d, "other_host_key"))
    with open(os.path.join(d, "authorized_keys"), "w") as f:
        f.write(user + "\n")
    with open(os.path.join(d, "known_hosts"), "w") as f:
        f.write("cc-fixture %s\ncc-wrong %s\n" % (host, other))
    try:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    except PermissionError:
        pass


def start(d):
    d = os.path.abspath(d)
    prepare(d)
    port, closed = free_port(), free_port()
    write_sshd_config(d, port)
    write_client_config(d, port, closed)
    log = os.path.join(d, "sshd.log")
    proc = subprocess.Popen([SSHD, "-D", "-f", os.path.join(d, "sshd_config"), "-E", log],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(d, "sshd.pid.launch"), "w") as f:
        f.write("%d\n" % proc.pid)
    wait_accepting(proc, port, log)
    with open(os.path.join(d, "xdg"), "w") as f:
        f.write(tempfile.mkdtemp(prefix="cc-ssh-", dir="/tmp") + "\n")


def xdg(d):
    with open(os.path.join(d, "xdg")) as f:
        return f.read().strip()


def run(d, cmd):
    env = dict(os.environ, XDG_RUNTIME_DIR=xdg(d))
    sys.exit(subprocess.run(cmd, env=env).returncode)


def control_sockets(d):
    control = os.path.join(xdg(d), "connectorc-ssh")
    if not os.path.isdir(control):
        return []
    return [os.path.join(control, s) for s in sorted(os.listdir(control))]


def control(d, sock, op):
    return subprocess.run([SSH, "-F", os.path.join(d, "ssh_config"), "-S", sock,
                           "-O", op, "fixture"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode


def masters(d):
    for sock in control_sockets(d):
        running = control(d, sock, "check") == 0
        print("%s: %s" % ("socket" if stat.S_ISSOCK(os.lstat(sock).st_mode) else "file",
                          "master running" if running else "no master"))


def stop(d):
    control_dir = ""
    if os.path.exists(os.path.join(d, "xdg")):
        for sock in control_sockets(d):
            control(d, sock, "exit")
        control_dir = xdg(d)
    pidfile = os.path.join(d, "sshd.pid.launch")
    if os.path.exists(pidfile):
        with open(pidfile) as f:
            pid = int(f.read())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    if control_dir:
        shutil.rmtree(control_dir, ignore_errors=True)


def can_run():
    if not all(os.access(p, os.X_OK) for p in (SSHD, SSH, KEYGEN)):
        return 1
    d = tempfile.mkdtemp(prefix="cc-sshd-t-")
    try:
        prepare(d)
        write_sshd_config(d, free_port())
        r = subprocess.run([SSHD, "-t", "-f", os.path.join(d, "sshd_config")],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return r.returncode
    except (OSError, subprocess.CalledProcessError):
        return 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main(argv):
    if argv[1:2] == ["can-run"]:
        sys.exit(can_run())
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, d = argv[1], argv[2]
    if cmd == "start":
        start(d)
    elif cmd == "stop":
        stop(d)
    elif cmd == "masters":
        masters(d)
    elif cmd == "run":
        run(d, argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
