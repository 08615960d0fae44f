#!/usr/bin/env bash
# Remote tasks benchmark (issue 8, "Performance"); a benchmark, not a test.
# 50 trivial tasks (/bin/echo as a custom provider) on one machine reached
# over ssh (a real sshd on a loopback port, test/lit/ssh/Inputs/sshd.py):
# with connection sharing (the default: one ControlMaster per machine),
# without it (--no-ssh-sharing: a handshake per ssh), and the same tasks run
# here. Runs are interleaved (the machine is shared and noisy: compare within
# a run) and medians are reported, with the ratios between them.
# Usage: test/bench/remote_bench.sh [BUILD_DIR] [RUNS] [TASKS] [JOBS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${2:-3}
tasks=${3:-50}
jobs=${4:-8}
sshd=$root/test/lit/ssh/Inputs/sshd.py
out=$(mktemp -d)
trap 'python3 "$sshd" stop "$out/sshd" >/dev/null 2>&1 || true; rm -rf "$out"' EXIT
python3 "$sshd" start "$out/sshd"
mkdir "$out/remote"
cd "$out"
# The remote side logs in as a user whose login shell is plain sh: root's
# shell here sources a .bashrc (pyenv) that takes seconds per session and
# would be measured instead of connectorc and ssh.
user=
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null; then
  user=cc-remote-bench
  id "$user" >/dev/null 2>&1 || useradd --system --shell /bin/sh --home-dir "$out/remote" "$user"
  usermod -p '*' "$user" # no password, not locked: sshd lets a key in
  chmod 755 "$out" "$out/sshd"
  chmod 644 "$out/sshd/authorized_keys"
  chown "$user" "$out/remote"
  trap 'python3 "$sshd" stop "$out/sshd" >/dev/null 2>&1 || true; userdel "$user" 2>/dev/null || true; rm -rf "$out"' EXIT
fi
python3 - "$tasks" "$out" "$user" <<'PY'
import json, sys
n, out, user = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def spec(machine):
    phase = {"name": "w", "model": "echo", "prompt": "p", "parallel": True,
             "workers": n}
    s = {"connector": "2.0", "name": "remote",
         "models": {"echo": {"provider": "custom", "command": ["/bin/echo", "ok"]}},
         "pipeline": {"phases": [phase]}}
    if machine:
        phase["machine"] = "server"
        s["machines"] = {"server": {"host": "fixture",
                                    "ssh_config": out + "/sshd/ssh_config",
                                    "workdir": out + "/remote"}}
        if user:
            s["machines"]["server"]["user"] = user
    return s
json.dump(spec(True), open(out + "/remote.json", "w"))
json.dump(spec(False), open(out + "/local.json", "w"))
PY
now() { date +%s.%N; }
run() { # KIND: one timed run, seconds on stdout
  local flags=() spec=remote.json
  case $1 in
  local) spec=local.json ;;
  unshared) flags=(--no-ssh-sharing) ;;
  esac
  rm -rf "$out/run"
  local t0 t1
  t0=$(now)
  python3 "$sshd" run "$out/sshd" "$build/bin/connectorc" run "$spec" \
    --run-dir "$out/run" --jobs "$jobs" --quiet "${flags[@]}" >/dev/null
  t1=$(now)
  # Every task ran where it should.
  python3 - "$out/run/summary.json" "$1" "$tasks" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
want = "local" if sys.argv[2] == "local" else "server"
assert s["status"] == "succeeded", s["status"]
assert len(s["tasks"]) == int(sys.argv[3])
assert all(t["machine"] == want for t in s["tasks"]), want
PY
  # A shared connection outlives the run (ControlPersist): end it, so each
  # shared run pays its one handshake.
  python3 "$sshd" masters "$out/sshd" >/dev/null 2>&1 || true
  for s in "$(cat "$out/sshd/xdg")"/connectorc-ssh/*; do
    [ -S "$s" ] && ssh -F "$out/sshd/ssh_config" -S "$s" -O exit fixture 2>/dev/null || true
  done
  echo "$t1 - $t0" | bc
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: > local.t; : > shared.t; : > unshared.t
for i in $(seq "$runs"); do
  run local >> local.t
  run shared >> shared.t
  run unshared >> unshared.t
done
l=$(median < local.t); s=$(median < shared.t); u=$(median < unshared.t)
echo "tasks=$tasks jobs=$jobs runs=$runs (medians, seconds)"
printf 'local            %8.3f\n' "$l"
printf 'remote, shared   %8.3f  (%.1fx local)\n' "$s" "$(echo "$s / $l" | bc -l)"
printf 'remote, unshared %8.3f  (%.1fx local, %.2fx shared)\n' "$u" \
  "$(echo "$u / $l" | bc -l)" "$(echo "$u / $s" | bc -l)"
