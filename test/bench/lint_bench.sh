#!/usr/bin/env bash
# Lint benchmark: connectorc lint vs. ajv-cli vs. a bare RapidJSON parse, side by side, on
# one generated ~10 MB connector.json. Prints ratios (the machine is shared and noisy:
# compare within one run, not across runs). Usage: test/bench/lint_bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
runs=${2:-5}
out=$here/out
mkdir -p "$out"

spec=$out/large.connector.json
[ -f "$spec" ] || python3 "$here/gen_large_spec.py" "$spec"

# ajv-cli, installed locally for the benchmark only (npm registry).
if [ ! -x "$out/node_modules/.bin/ajv" ]; then
  npm install --prefix "$out" --no-audit --no-fund --silent ajv-cli@5 ajv-formats@2 >/dev/null
fi

# The bare parse: RapidJSON, iterative, no positions, no validation.
bare=$out/bare_parse
if [ ! -x "$bare" ] || [ "$here/bare_parse.cpp" -nt "$bare" ]; then
  c++ -O2 -std=c++20 -o "$bare" "$here/bare_parse.cpp"
fi

schema=$root/frontend/schema/connector.schema.json
tiny=$root/examples/team.connector.json
python3 - "$runs" "$build/bin/connectorc" "$out/node_modules/.bin/ajv" "$bare" "$spec" "$schema" "$tiny" <<'PY'
import statistics, subprocess, sys, time
runs, connectorc, ajv, bare, spec, schema, tiny = int(sys.argv[1]), *sys.argv[2:]
ajv_cmd = [ajv, "validate", "--spec=draft7", "--strict=false", "-s", schema, "-d"]
cmds = {
    "connectorc lint": [connectorc, "lint", spec],
    "ajv validate": ajv_cmd + [spec],
    "bare RapidJSON parse": [bare, spec],
    # ajv's floor: node starting, and ajv on a 1 KB spec (start-up, schema
    # compilation). Goal 1 needs lint under a tenth of ajv's whole time.
    "node -e 0": ["node", "-e", "0"],
    "ajv validate, tiny spec": ajv_cmd + [tiny],
}
times = {k: [] for k in cmds}
for _ in range(runs):              # interleaved, so load hits every command alike
    for name, cmd in cmds.items():
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times[name].append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"{name} failed ({r.returncode}): {r.stderr.decode()[:500]}")
med = {k: statistics.median(v) for k, v in times.items()}
import os
print(f"spec: {os.path.getsize(spec) / 1e6:.1f} MB, {runs} runs each, medians")
for k, v in med.items():
    print(f"  {k:22s} {v * 1000:8.1f} ms")
print(f"ajv / lint            {med['ajv validate'] / med['connectorc lint']:6.1f}x  (goal >= 10)")
print(f"lint / bare parse     {med['connectorc lint'] / med['bare RapidJSON parse']:6.1f}x  (goal <= 3)")
print(f"ajv / bare parse      {med['ajv validate'] / med['bare RapidJSON parse']:6.1f}x  (what a lint as fast as the bare parse would give)")
print(f"ajv on the tiny spec is {med['ajv validate, tiny spec'] / med['ajv validate']:.0%} of ajv on the large one")
PY
