#!/usr/bin/env bash
# The suite on a busy machine: from fresh clones of HEAD, the unit, differential, system and fuzz
# tests ROUNDS times in a row (default 3), beside one `yes` per core, while a second clone runs the
# system tests over and over. A test that passes only on a quiet machine fails here.
#   bash scripts/test-under-load.sh [ROUNDS]
# Prints each round's counts; exits 1 if any round failed. Logs stay in the printed directory.
set -euo pipefail
rounds=${1:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "test-under-load.sh: ROUNDS must be a whole number of at least 1, not \"$rounds\"" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/my_init-load.XXXXXX)
# As a clone in /work would be: the restricted tests run the executable as nobody, who must reach it.
chmod 755 "$work"
echo "clones and logs in $work"

background=()
stop_background() {
  for pid in "${background[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
}
trap stop_background EXIT

for copy in suite other; do
  git clone -q "$repo" "$work/$copy"
  (cd "$work/$copy" && npm ci --no-audit --no-fund >"$work/$copy-npm.log" 2>&1 && npm run build >"$work/$copy-build.log" 2>&1)
done

set -m # Each background job in a process group of its own, so that stopping it stops its tests too.
for _ in $(seq "$(nproc)"); do
  yes >/dev/null &
  background+=($!)
done
(cd "$work/other" && while :; do node_modules/.bin/node --test --test-concurrency=2 'test/system/**/*.test.ts' >>"$work/other.log" 2>&1 || true; done) &
background+=($!)
set +m

failed=0
for round in $(seq "$rounds"); do
  log="$work/round-$round.log"
  status=0
  (cd "$work/suite" && node_modules/.bin/node --test --test-concurrency=2 test/unit.test.ts 'test/differential/**/*.test.ts' \
    'test/system/**/*.test.ts' 'test/fuzz/**/*.test.ts') >"$log" 2>&1 || status=$?
  counts=$(grep -E '^ℹ (tests|pass|fail|cancelled|skipped) ' "$log" | tr -d 'ℹ' | tr '\n' ' ')
  echo "round $round: exit $status;$counts(load average $(cut -d' ' -f1-3 /proc/loadavg))"
  [ "$status" -eq 0 ] || { failed=1; grep -E '^✖' "$log" | head -20; }
done
exit "$failed"
