#!/usr/bin/env bash
# Attach benchmark (issue 20, "Performance"): one run of 100 parallel echo
# agents (--jobs 100) in a private runtime directory, and side by side in it:
# keystroke-to-echo latency through `connectorc attach` against a direct PTY
# running the same agent (p50/p99 and what attach adds at p99; goal <= 2 ms),
# the time from an attach request to the whole redraw frame (goal <= 10 ms),
# and the run process's RSS (goal <= 64 MB). Figures only, for
# docs/benchmarks.md; nothing is asserted.
# Usage: test/bench/attach_bench.sh [BUILD_DIR] [SESSIONS] [KEYS] [ATTACHES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
exec python3 "$here/attach_bench.py" "$build/bin/connectorc" "${2:-100}" \
  "${3:-500}" "${4:-50}"
