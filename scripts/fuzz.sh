#!/usr/bin/env bash
# Fuzzing: runs the targets in tests/it/fuzz (proptest properties with structure-aware
# generators: the /tlm parser, restore's line reader, the interactivity endpoint) for a while
# each, with fresh random seeds batch after batch, and prints cases run and failures found.
# Usage: scripts/fuzz.sh [target...]   targets: parse restore interactions (default: all)
#   MINUTES=10     how long each target runs
#   PARALLEL=1     run the targets at once (one core each is plenty) instead of in turn
# Built optimised into target/fuzz with debug assertions and overflow checks kept, so an
# overflow is a finding too. Logs: target/fuzz/logs/<target>.log. Exits 1 if any target
# found a failure; each distinct failure is printed shrunk, to become a fixed test.
# `cargo test` runs the same properties briefly (PROPTEST_CASES sets how many cases).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${MINUTES:-10}
targets=("$@")
((${#targets[@]})) || targets=(parse restore interactions)
for t in "${targets[@]}"; do
    [[ $t =~ ^(parse|restore|interactions)$ ]] || { echo "unknown target $t" >&2; exit 2; }
done
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/fuzz}
export CARGO_PROFILE_DEV_OPT_LEVEL=2 CARGO_PROFILE_DEV_DEBUG=line-tables-only
export TWOHATS_FUZZ_SECONDS=$((minutes * 60))
logs=$CARGO_TARGET_DIR/logs
mkdir -p "$logs"
# One build; every run uses that binary, whatever changes in the tree meanwhile.
binary=$(cargo test --test it --no-run 2>&1 | tee /dev/stderr |
    sed -n 's/^ *Executable .*(\(.*\/it-[0-9a-f]*\))$/\1/p' | tail -1)
[[ -x $binary ]] || { echo "no test binary found" >&2; exit 1; }

run() {
    local t=$1 started status=0
    started=$(date +%s)
    echo "fuzz $t: $minutes min, log $logs/$t.log"
    "$binary" -q "fuzz::$t::" --nocapture --test-threads=1 >"$logs/$t.log" 2>&1 || status=$?
    echo "fuzz $t: exit $status after $(($(date +%s) - started)) s"
    return "$status"
}

failed=0
if [[ ${PARALLEL:-0} == 1 ]]; then
    pids=()
    for t in "${targets[@]}"; do run "$t" & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
else
    for t in "${targets[@]}"; do run "$t" || failed=1; done
fi
echo
for t in "${targets[@]}"; do
    grep -E "^fuzz $t(: .* cases in |: outcomes|/[a-z_]+: found)" "$logs/$t.log" ||
        echo "fuzz $t: no report (see $logs/$t.log)"
done
exit "$failed"
