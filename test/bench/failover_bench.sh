#!/usr/bin/env bash
# How fast connectorc fails over from a real CLI whose provider is down:
# per CLI (the pinned binaries in .tools, against test/fakellm/fake_llm.py),
# the time from the start of a task whose provider answers 529 or 503 or
# refuses connections to the start of its next candidate, beside a successful
# turn's time on the same CLI and machine (the ratio is what to compare).
# Goal (issue 18): <= 10 s for every CLI. One task at a time (--jobs 1), so
# that the CLIs do not compete for the cores.
#
#   test/bench/failover_bench.sh [BUILD_DIR] [CLIS...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$repo/build}" && pwd)"
shift || true
clis=("$@")
if [ ${#clis[@]} -eq 0 ]; then clis=(claude codex gemini qwen opencode); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%-9s %-9s %10s %12s %7s\n' cli condition "next (s)" "success (s)" ratio
for cli in "${clis[@]}"; do
  out="$work/$cli.txt"
  python3 "$repo/test/lit/agents/Inputs/agent_run.py" --cli "$cli" \
    --connectorc "$build/bin/connectorc" --tools "$repo/.tools" \
    --work "$work/$cli" --conditions ok,s529,s503,refused --jobs 1 >"$out"
  ok=$(sed -n 's/^  ok successful attempt: \([0-9.]*\) s$/\1/p' "$out")
  for c in s529 s503 refused; do
    next=$(sed -n "s/^  $c time to next candidate: \([0-9.]*\) s\$/\1/p" "$out")
    kind=$(sed -n "s/^$c: \([a-z-]*\) ->.*/\1/p" "$out")
    printf '%-9s %-9s %10s %12s %7s  %s\n' "$cli" "$c" "${next:-?}" "${ok:-?}" \
      "$(python3 -c "print('%.1fx' % ($next / $ok))" 2>/dev/null || echo ?)" "${kind:-?}"
  done
done
