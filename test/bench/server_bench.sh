#!/usr/bin/env bash
# `connectorc serve` benchmark (issue 21, "Performance"): GET /api/v1/runs
# with 100 runs and 1,000 tasks held (p50/p99, beside a constant document's),
# and the time from a journal record to its server-sent event. Figures only,
# for docs/benchmarks.md; nothing is asserted.
# Usage: test/bench/server_bench.sh [BUILD_DIR] [RUNS] [TASKS] [LIVE] [REQUESTS] [SSE_TASKS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
exec python3 "$here/server_bench.py" "$build/bin/connectorc" "${2:-100}" \
  "${3:-10}" "${4:-10}" "${5:-500}" "${6:-100}"
