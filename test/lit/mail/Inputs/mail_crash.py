#!/usr/bin/env python3
"""Mail delivery under SIGKILL: no message lost, duplicated or half-written.

senders: 50 concurrent `connectorc mail send` processes to one recipient,
each with its own body, while a killer SIGKILLs random senders at random
moments. Afterwards every sender that exited 0 has its message exactly once
in new/, every file of new/ and cur/ is a whole message whose body is one of
the bodies sent, and no body is there twice.

mesh: `connectorc run --simulate` on a mesh of sim agents (each greets every
other mailbox), with random agents SIGKILLed as they run and then the runtime
itself SIGKILLed at a random moment. Afterwards the same invariants hold over
every mailbox, and every agent whose answer was recorded has each of its
greetings delivered exactly once.

Random choices come from one seed, printed first (--seed repeats a run).
Exits 1 and says why when an invariant does not hold.
"""
import argparse
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg)


def make_mailbox(root, name):
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(root, name, sub), exist_ok=True)


def parse(path):
    """(headers, body) of a message file, or None when it is not one."""
    with open(path, "rb") as f:
        data = f.read()
    head, sep, body = data.partition(b"\n\n")
    if not sep:
        return None
    headers = {}
    for line in head.split(b"\n"):
        key, colon, value = line.partition(b": ")
        if not colon:
            return None
        headers[key.decode()] = value.decode()
    if set(headers) != {"From", "To", "Subject", "Date"}:
        return None
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", headers["Date"]):
        return None
    return headers, body


def messages(root, box):
    """Every message file of a mailbox's new/ and cur/: (path, parsed)."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(root, box, sub)
        for name in sorted(os.listdir(d)):
            if sub == "cur" and not name.endswith(":2,S"):
                fail("%s/%s: a file in cur/ without the ':2,S' flag" % (box, name))
            out.append((os.path.join(d, name), parse(os.path.join(d, name))))
    return out


def leftovers(root, box):
    return len(os.listdir(os.path.join(root, box, "tmp")))


def senders(connectorc, work, rnd, count):
    root = os.path.join(work, "mail")
    make_mailbox(root, "inbox")
    bodies, procs = {}, []
    for i in range(count):
        name = "s%02d" % i
        # Up to ~400 KB, so that a kill can land while it is written.
        body = ("%s says %d\n" % (name, rnd.randrange(1 << 30))).encode()
        body += rnd.randbytes(rnd.randrange(1, 200000)).hex().encode() + b"\n"
        bodies[name] = body
        path = os.path.join(work, name + ".body")
        with open(path, "wb") as f:
            f.write(body)
    # The kill schedule: about half the senders, at random moments.
    victims = {name: rnd.uniform(0.0, 0.08) for name in bodies if rnd.random() < 0.5}
    for name in bodies:
        argv = [connectorc, "mail", "send", "--mail-dir", root, "--as", name,
                "--to", "inbox", "--subject", "crash " + name,
                os.path.join(work, name + ".body")]
        procs.append((name, subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE),
                      time.monotonic()))
    schedule = sorted((start + victims[name], p) for name, p, start in procs
                      if name in victims)
    for when, p in schedule:
        delay = when - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
    status = {}
    for name, p, _ in procs:
        _, err = p.communicate()
        status[name] = p.returncode
        if p.returncode not in (0, -signal.SIGKILL):
            fail("%s exited %d: %s" % (name, p.returncode, err.decode().strip()))
    seen = {}
    for path, parsed in messages(root, "inbox"):
        if parsed is None:
            fail("%s is not a whole message" % path)
            continue
        headers, body = parsed
        sender = headers["From"]
        if headers["To"] != "inbox" or bodies.get(sender) != body:
            fail("%s: its body is not the one %s sent" % (path, sender))
            continue
        seen[sender] = seen.get(sender, 0) + 1
    for name, n in seen.items():
        if n > 1:
            fail("%s's message is there %d times" % (name, n))
    for name, rc in status.items():
        if rc == 0 and seen.get(name, 0) != 1:
            fail("%s exited 0 but its message is there %d times" % (name, seen.get(name, 0)))
    # Reading takes each message once and leaves them whole.
    read = subprocess.run([connectorc, "mail", "read", "--mail-dir", root, "--as", "inbox"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = read.stdout.count(b"\nTo: inbox\n")
    if (seen and read.returncode != 0) or got != sum(seen.values()):
        fail("mail read printed %d messages (exit %d), %d were there"
             % (got, read.returncode, sum(seen.values())))
    if os.listdir(os.path.join(root, "inbox", "new")):
        fail("mail read left messages in new/")
    killed = sum(1 for rc in status.values() if rc == -signal.SIGKILL)
    print("senders: %d sent, %d killed, %d delivered, %d left in tmp/"
          % (count, killed, sum(seen.values()), leftovers(root, "inbox")))


def run_processes(run_dir):
    """PIDs of this run's agents (their environment names its mail root)."""
    marker = ("CONNECTOR_MAIL_DIR=" + os.path.join(run_dir, "mail")).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                if marker in f.read().split(b"\0"):
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def mesh(connectorc, work, rnd, count):
    os.makedirs(work)
    agents = ["agent%02d" % i for i in range(count)]
    spec = os.path.join(work, "mesh.connector.json")
    with open(spec, "w") as f:
        f.write('{"connector": "2.0", "name": "crashmesh", '
                '"models": {"m": "claude"}, "mesh": {"agents": [%s], '
                '"prompt": "Greet the others."}}'
                % ", ".join('{"name": "%s", "model": "m", "prompt": "p"}' % a
                            for a in agents))
    run_dir = os.path.join(work, "run")
    runtime = subprocess.Popen([connectorc, "run", "--simulate", "--quiet", spec,
                                "--run-dir", run_dir],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The mailboxes are made just before the first agent starts; a
    # simulated mesh of ten then runs for a few tenths of a second.
    root = os.path.join(run_dir, "mail")
    deadline = time.monotonic() + 30
    while runtime.poll() is None and not os.path.isdir(root) and time.monotonic() < deadline:
        time.sleep(0.002)
    kill_runtime_at = time.monotonic() + rnd.uniform(0.0, 0.4)
    killed_agents, judged = 0, set()
    while runtime.poll() is None and time.monotonic() < kill_runtime_at:
        for pid in run_processes(run_dir):
            if pid in judged:
                continue
            judged.add(pid)
            if rnd.random() < 0.3:
                time.sleep(rnd.uniform(0, 0.01))
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed_agents += 1
                except ProcessLookupError:
                    pass
        time.sleep(0.002)
    runtime_killed = runtime.poll() is None
    if runtime_killed:
        runtime.send_signal(signal.SIGKILL)
    runtime.wait()
    # The sessions lose their terminal and end; wait for the last of them.
    deadline = time.monotonic() + 20
    while run_processes(run_dir) and time.monotonic() < deadline:
        time.sleep(0.02)
    if run_processes(run_dir):
        fail("agents of the killed run still live: %s" % run_processes(run_dir))
    boxes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d, "new")))
    if boxes != agents:
        fail("mailboxes %s, agents %s" % (boxes, agents))
    pairs, total, left = {}, 0, 0
    for box in boxes:
        left += leftovers(root, box)
        for path, parsed in messages(root, box):
            total += 1
            if parsed is None:
                fail("%s is not a whole message" % path)
                continue
            headers, body = parsed
            sender = headers["From"]
            expected = re.fullmatch(r"%s \(\S+/%s\) says hello\.\n" % (sender, sender),
                                    body.decode(errors="replace"))
            if headers["To"] != box or sender == box or sender not in agents or not expected:
                fail("%s: not a greeting %s sent to %s" % (path, sender, box))
                continue
            pairs[(sender, box)] = pairs.get((sender, box), 0) + 1
    for (sender, box), n in pairs.items():
        if n > 1:
            fail("%s's greeting to %s is there %d times" % (sender, box, n))
    # An answer is recorded (scratchpad/<stage>/<agent>.md) once its agent
    # has exited 0, after its greetings.
    answered = [a for a in agents
                if glob.glob(os.path.join(run_dir, "scratchpad", "*", a + ".md"))]
    for a in answered:
        for box in agents:
            if box != a and pairs.get((a, box), 0) != 1:
                fail("%s answered, but its greeting to %s is there %d times"
                     % (a, box, pairs.get((a, box), 0)))
    print("mesh: %d agents, %d killed, runtime %s, %d answered, %d messages, %d left in tmp/"
          % (count, killed_agents, "killed" if runtime_killed else "finished",
             len(answered), total, left))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("connectorc")
    ap.add_argument("work")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--senders", type=int, default=50)
    ap.add_argument("--agents", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2,
                    help="how many times to do each part, each time anew")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    print("seed: %d (repeat with --seed %d)" % (seed, seed))
    sys.stdout.flush()
    rnd = random.Random(seed)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    for r in range(args.rounds):
        work = os.path.join(args.work, "senders-%d" % r)
        os.makedirs(work)
        senders(args.connectorc, work, rnd, args.senders)
        mesh(args.connectorc, os.path.join(args.work, "mesh-%d" % r), rnd, args.agents)
    if FAILURES:
        print("%d invariant(s) broken" % len(FAILURES))
        return 1
    print("all invariants hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
