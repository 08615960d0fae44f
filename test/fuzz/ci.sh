#!/usr/bin/env bash
# CI's fuzzing step (docs/fuzzing.md): builds every libFuzzer target in its own
# build directory (clang, CONNECTORC_FUZZ=ON, only the fuzz targets) and runs
# each for a short time on its seed corpus. The seeds are run first, so one
# that crashes fails at once; then each fuzzes for FUZZ_SECONDS (12). Any
# crash, sanitizer report, leak, timeout or out-of-memory fails the step, and
# the input that caused it is printed (base64) for reproducing it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
seconds="${FUZZ_SECONDS:-12}"
targets=(frontend plan registry mail answer control mcp http)

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCONNECTORC_FUZZ=ON >/dev/null
cmake --build "$build" -j2 --target connectorc_fuzz

# A scratch directory: the frontend resolves relative team and prompt files
# against the current directory, and libFuzzer writes what it finds there.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$t/found" "$t/artifacts"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/")
  if [ -f "$repo/test/fuzz/$t.dict" ]; then
    args+=(-dict="$repo/test/fuzz/$t.dict")
  fi
  echo "fuzz: $t for ${seconds}s on test/fuzz/corpus/$t"
  if ! "$build/bin/connectorc_fuzz_$t" "${args[@]}" "$t/found" \
      "$repo/test/fuzz/corpus/$t" >"$t/log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$t/log"
    for a in "$t"/artifacts/*; do
      [ -f "$a" ] || continue
      echo "fuzz: $t: input $(basename "$a") (base64):"
      base64 "$a"
    done
  else
    grep -E '^(stat::number_of_executed_units|#[0-9]+ *DONE)' "$t/log" || true
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran clean"
