#!/usr/bin/env python3
"""A real sshd on a loopback port for connectorc's SSH tests.

  sshd.py start DIR       host and user keys, sshd_config, sshd, and a client
                          DIR/ssh_config with the hosts `fixture` (this sshd),
                          `wrongkey` (this sshd, but known_hosts holds another
                          key), `closed` (a port nobody listens on: held,
                          bound and not listening, by a process of DIR's
                          until `stop`, so that nothing else takes it) and
                          `nobwrap` (this sshd on a second port, where every
                          command runs as usual but /usr/bin/bwrap fails as
                          it does without user namespaces)
  sshd.py start-netns DIR a second "host" (after `start`, or doing it first):
                          a network namespace joined to this one by a veth
                          pair in a private /30 (10.231.X.Y, chosen from a hash
                          of DIR), a second sshd with its own host key inside
                          it on the namespace side's address, and the host
                          `netns` in DIR/ssh_config
  sshd.py netns-names DIR the namespace's and the two veth ends' names, one a
                          line (derived from DIR; for checking none is left)
  sshd.py run DIR CMD...  CMD with XDG_RUNTIME_DIR a short private directory
                          (connectorc's shared-connection sockets go there)
  sshd.py masters DIR     for each socket in connectorc's control directory,
                          whether `ssh -O check` finds its master running
  sshd.py stop DIR        ends the shared connections and sshd, and for
                          start-netns every process in the namespace, the
                          veth pair and the namespace (idempotent)
  sshd.py can-run         exit 0 when sshd accepts a generated configuration
  sshd.py can-netns       exit 0 when start-netns (its sshd answering across
                          the veth pair from inside the namespace) and stop's
                          clean-up really work here (tried in a temporary
                          directory, then removed)

OpenSSH reads ~/.ssh from the password database, not $HOME, so the client
side is entirely in DIR/ssh_config, which a machine entry names.
"""
import fcntl
import getpass
import hashlib
import ipaddress
import json
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


# The port of the host `closed`. A port free now may be anyone's a moment
# later (another test's server, another copy of this suite's sshd): a small
# process keeps it bound, never listening, so a connection to it is refused
# until `stop` ends the process. It also ends by itself once DIR/closed.pid
# is gone (the test's directory removed) or after two hours.
HOLD = r'''
import os, socket, sys, time
pidfile = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
with open(pidfile + ".new", "w") as f:
    f.write("%d\n" % os.getpid())
os.rename(pidfile + ".new", pidfile)
print(s.getsockname()[1], flush=True)
sys.stdout.close()
deadline = time.monotonic() + 2 * 3600
while os.path.exists(pidfile) and time.monotonic() < deadline:
    time.sleep(1)
'''


def hold_closed_port(d):
    pidfile = os.path.join(d, "closed.pid")
    proc = subprocess.Popen([sys.executable, "-c", HOLD, pidfile],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    line = proc.stdout.readline()
    proc.stdout.close()
    if not line.strip().isdigit():
        sys.exit("cannot hold a closed port (exit %s)" % proc.poll())
    return int(line)


def release_closed_port(d):
    pidfile = os.path.join(d, "closed.pid")
    try:
        with open(pidfile) as f:
            pid = int(f.read())
        os.remove(pidfile)
    except (OSError, ValueError):
        return
    # Only that holder: its command line names its pid file.
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if pidfile.encode() not in f.read().split(b"\0"):
                return
        os.kill(pid, signal.SIGTERM)
    except (OSError, ProcessLookupError):
        pass


def listening_inodes(port):
    """The inodes of this namespace's TCP sockets listening on PORT."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f[9])
    return inodes


def socket_inodes(pid):
    inodes = set()
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return inodes
    for fd in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    return inodes


def wait_listening(proc, ports):
    """Whether sshd (PROC) came to listen on every one of PORTS itself. A
    free port can be taken by another process between free_port() and
    sshd's bind: then sshd either exits (no port bound) or runs without it,
    and False says to try again with other ports; a connection would
    otherwise reach someone else's server."""
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        own = socket_inodes(proc.pid)
        if all(listening_inodes(p) & own for p in ports):
            return True
        time.sleep(0.05)
    return False


def keygen(path):
    subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path],
                   check=True, stdin=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return " ".join(f.read().split()[:2])


# What the "nobwrap" host runs instead of each command: a host whose bwrap
# cannot make its namespaces (as on a kernel without unprivileged user
# namespaces), every other command as usual.
NOBWRAP = """#!/bin/sh
case $SSH_ORIGINAL_COMMAND in
*/usr/bin/bwrap*)
  echo 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2
  exit 1 ;;
esac
exec /bin/sh -c "$SSH_ORIGINAL_COMMAND"
"""


def write_sshd_config(d, port, address="127.0.0.1", name="sshd", nobwrap=None):
    lines = [
        "ListenAddress " + address,
        "Port %d" % port,
        "HostKey %s/%s" % (d, "host_key" if name == "sshd" else name + "_host_key"),
        "AuthorizedKeysFile %s/authorized_keys" % d,
        "PidFile %s/%s.pid" % (d, name),
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        # Debian's bash reads ~/.bashrc for a command sshd runs when SHLVL
        # says it is the first shell. This machine's root .bashrc starts
        # pyenv, 0.6 s a command: most of the ssh tests' time. What the tests
        # check does not depend on the user's rc file.
        # HOME: the sessions' home is DIR/home, not the user's: what a remote
        # command reads or writes under ~ (a machine's workdir "~", git's
        # ~/.gitconfig) is this test's own.
        "SetEnv SHLVL=1 HOME=%s/home" % d,
    ]
    if os.geteuid() == 0:
        lines.append("PermitRootLogin prohibit-password")
    if nobwrap:
        script = os.path.join(d, "nobwrap.sh")
        with open(script, "w") as f:
            f.write(NOBWRAP)
        os.chmod(script, 0o755)
        lines[2:2] = ["Port %d" % nobwrap]
        lines += ["Match LocalPort %d" % nobwrap, "  ForceCommand " + script]
    with open(os.path.join(d, name + "_config"), "w") as f:
        f.write("\n".join(lines) + "\n")


def client_common(d):
    return [
        "  User %s" % getpass.getuser(),
        "  IdentityFile %s/user_key" % d,
        "  IdentitiesOnly yes",
        "  UserKnownHostsFile %s/known_hosts" % d,
        "  GlobalKnownHostsFile %s/known_hosts" % d,
        "  StrictHostKeyChecking yes",
    ]


def write_client_config(d, port, closed, nobwrap):
    common = ["  HostName 127.0.0.1"] + client_common(d)
    hosts = [("fixture", port, "cc-fixture"), ("wrongkey", port, "cc-wrong"),
             ("closed", closed, "cc-fixture"), ("nobwrap", nobwrap, "cc-fixture")]
    out = []
    for name, p, alias in hosts:
        out += ["Host " + name, "  Port %d" % p, "  HostKeyAlias " + alias] + common
    with open(os.path.join(d, "ssh_config"), "w") as f:
        f.write("\n".join(out) + "\n")


def wait_accepting(proc, port, log, address="127.0.0.1"):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit("sshd exited (%d):\n%s" % (proc.returncode, open(log).read()))
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("sshd does not accept on %s port %d" % (address, port))


def prepare(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    host = keygen(os.path.join(d, "host_key"))
    user = keygen(os.path.join(d, "user_key"))
    other = keygen(os.path.join(d, "other_host_key"))
    with open(os.path.join(d, "authorized_keys"), "w") as f:
        f.write(user + "\n")
    os.makedirs(os.path.join(d, "home"))
    with open(os.path.join(d, "known_hosts"), "w") as f:
        f.write("cc-fixture %s\ncc-wrong %s\n" % (host, other))
    try:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    except PermissionError:
        pass


def start(d):
    d = os.path.abspath(d)
    prepare(d)
    closed = hold_closed_port(d)
    log = os.path.join(d, "sshd.log")
    for attempt in range(5):
        port, nobwrap = free_port(), free_port()
        write_sshd_config(d, port, nobwrap=nobwrap)
        write_client_config(d, port, closed, nobwrap)
        proc = subprocess.Popen([SSHD, "-D", "-f", os.path.join(d, "sshd_config"), "-E", log],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        with open(os.path.join(d, "sshd.pid.launch"), "w") as f:
            f.write("%d\n" % proc.pid)
        if wait_listening(proc, [port, nobwrap]):
            break
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
    else:
        release_closed_port(d)
        sys.exit("sshd does not listen on its ports (exit %s):\n%s"
                 % (proc.returncode, open(log).read()))
    with open(os.path.join(d, "xdg"), "w") as f:
        f.write(tempfile.mkdtemp(prefix="cc-ssh-", dir="/tmp") + "\n")


# The second "host": a network namespace and a veth pair whose names and /30
# come from a hash of DIR, so parallel tests neither share nor collide, and a
# test that died is cleaned up by the next start or stop of the same DIR.
NETNS_PREFIX = ipaddress.ip_network("10.231.0.0/16")
NETNS_PORT = 22  # nothing else listens in a fresh namespace
NETNS_LOCK = "/tmp/cc-sshd-netns.lock"


def ip_tool():
    return shutil.which("ip")


def netns_names(d):
    h = hashlib.sha256(os.path.abspath(d).encode()).hexdigest()[:8]
    ns = "cc-" + h
    return ns, ns + "-h", ns + "-n"  # interface names: at most 15 characters


def ip(*args, ns=None, check=True):
    argv = [ip_tool()] + (["-n", ns] if ns else []) + list(args)
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=20)
    if check and r.returncode != 0:
        raise OSError("%s: %s" % (" ".join(argv), r.stderr.strip() or r.returncode))
    return r.stdout


def taken_networks():
    """The host's addresses and its routes no wider than a /30."""
    addrs, routes = [], []
    for link in json.loads(ip("-j", "-4", "addr", "show") or "[]"):
        for a in link.get("addr_info", []):
            addrs.append(ipaddress.ip_address(a["local"]))
    for r in json.loads(ip("-j", "-4", "route", "show", "table", "all") or "[]"):
        try:
            net = ipaddress.ip_network(r.get("dst", "default"), strict=False)
        except ValueError:
            continue
        if net.prefixlen >= 30:
            routes.append(net)
    return addrs, routes


def pick_subnet(d):
    """A free /30 in 10.231.0.0/16, the first after one a hash of DIR names."""
    addrs, routes = taken_networks()
    subnets = 1 << (30 - NETNS_PREFIX.prefixlen)
    start = int(hashlib.sha256(os.path.abspath(d).encode()).hexdigest()[8:16], 16)
    for i in range(subnets):
        net = ipaddress.ip_network((int(NETNS_PREFIX.network_address) +
                                    4 * ((start + i) % subnets), 30))
        if not any(a in net for a in addrs) and not any(net.overlaps(r) for r in routes):
            return net
    raise OSError("no free /30 in %s" % NETNS_PREFIX)


def start_netns(d):
    d = os.path.abspath(d)
    if not os.path.exists(os.path.join(d, "ssh_config")):
        start(d)
    if not ip_tool():
        sys.exit("start-netns: no `ip` (iproute2) on PATH")
    stop_netns(d)  # what a test that died left
    ns, host_if, ns_if = netns_names(d)
    try:
        # Choosing a /30 and taking it is one step for parallel tests.
        with open(NETNS_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            net = pick_subnet(d)
            here, there = (str(a) for a in net.hosts())
            ip("netns", "add", ns)
            ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
            ip("link", "set", ns_if, "netns", ns)
            ip("addr", "add", "%s/30" % here, "dev", host_if)
            ip("link", "set", host_if, "up")
            ip("addr", "add", "%s/30" % there, "dev", ns_if, ns=ns)
            ip("link", "set", ns_if, "up", ns=ns)
            ip("link", "set", "lo", "up", ns=ns)
    except (OSError, subprocess.SubprocessError) as e:
        stop_netns(d)
        sys.exit("start-netns: %s" % e)
    key = keygen(os.path.join(d, "netns_host_key"))
    with open(os.path.join(d, "known_hosts"), "a") as f:
        f.write("cc-netns %s\n" % key)
    write_sshd_config(d, NETNS_PORT, there, "netns")
    with open(os.path.join(d, "ssh_config"), "a") as f:
        f.write("\n".join(["Host netns", "  HostName " + there,
                           "  Port %d" % NETNS_PORT, "  HostKeyAlias cc-netns"] +
                          client_common(d)) + "\n")
    log = os.path.join(d, "netns-sshd.log")
    # stop ends it with every other process in the namespace.
    proc = subprocess.Popen([ip_tool(), "netns", "exec", ns, SSHD, "-D", "-f",
                             os.path.join(d, "netns_config"), "-E", log],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    wait_accepting(proc, NETNS_PORT, log, there)


def netns_pids(ns):
    out = ip("netns", "pids", ns, check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def stop_netns(d):
    """Ends every process in DIR's namespace (the sshd and its sessions, all
    started here), then removes the veth pair and the namespace."""
    ns, host_if, _ = netns_names(d)
    have_ns = os.path.exists(os.path.join("/run/netns", ns))
    have_if = os.path.exists(os.path.join("/sys/class/net", host_if))
    if not (have_ns or have_if) or not ip_tool():
        return
    if have_ns:
        deadline = time.time() + 10
        sig = signal.SIGTERM
        while True:
            pids = netns_pids(ns)
            if not pids:
                break
            if time.time() > deadline - 5:
                sig = signal.SIGKILL
            if time.time() > deadline:
                sys.exit("stop: processes %s stay in namespace %s" % (pids, ns))
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
    if have_if:
        ip("link", "del", host_if, check=False)  # takes the namespace's end along
    if have_ns:
        ip("netns", "del", ns, check=False)


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
    release_closed_port(d)
    stop_netns(d)
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


def can_netns():
    if can_run() != 0 or not ip_tool():
        return 1
    d = tempfile.mkdtemp(prefix="cc-sshd-n-")
    ns, host_if, _ = netns_names(d)
    ok = False
    try:
        start_netns(d)
        # sshd answers across the veth pair and runs in another namespace.
        # (No login: a slow login shell on a loaded machine would make the
        # feature come and go.)
        with open(os.path.join(d, "ssh_config")) as f:
            there = f.read().split("Host netns\n  HostName ")[1].split()[0]
        with socket.create_connection((there, NETNS_PORT), timeout=20) as c:
            c.settimeout(20)
            banner = c.recv(64)
        inside = set()
        for pid in netns_pids(ns):
            try:
                inside.add(os.readlink("/proc/%d/ns/net" % pid))
            except OSError:
                pass  # the banner's connection, ending
        ok = (banner.startswith(b"SSH-") and bool(inside) and
              os.readlink("/proc/self/ns/net") not in inside)
    except (OSError, subprocess.SubprocessError, SystemExit):
        pass
    finally:
        try:
            stop(d)
        except (OSError, subprocess.SubprocessError, SystemExit):
            ok = False
        shutil.rmtree(d, ignore_errors=True)
    left = (os.path.exists(os.path.join("/run/netns", ns)) or
            os.path.exists(os.path.join("/sys/class/net", host_if)))
    return 0 if ok and not left else 1


def main(argv):
    if argv[1:2] == ["can-run"]:
        sys.exit(can_run())
    if argv[1:2] == ["can-netns"]:
        sys.exit(can_netns())
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, d = argv[1], argv[2]
    if cmd == "start":
        start(d)
    elif cmd == "start-netns":
        start_netns(d)
    elif cmd == "netns-names":
        print("\n".join(netns_names(d)))
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
