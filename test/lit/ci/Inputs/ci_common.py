"""Helpers shared by the CI backends' lit tests (test/lit/ci)."""
import os
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


def examples(examples_dir):
    return sorted(os.path.join(examples_dir, f) for f in os.listdir(examples_dir)
                  if f.endswith(".connector.json"))


def name_of(spec):
    return os.path.basename(spec)[: -len(".connector.json")]
