#!/usr/bin/env bash
# Runs the built test binaries under libfaketime at instants where date bugs hide: a Monday
# just after midnight, Friday's summary minute, Sunday just before midnight (a new ISO week
# on one side, Berlin already in it on the other), both 2027 DST switches in Europe, and New
# Year's Eve. Each instant also runs under a different machine zone (TZ), which no outcome
# may depend on either. Every run must be green.
#
#   scripts/any-date.sh                      # every instant below
#   scripts/any-date.sh "2027-03-28 00:59:00"  # just these (UTC, as faketime reads them)
#
# The clock is moved by an offset computed just before each binary starts, so it reads the
# instant then and runs on; child processes (the `serve` and `console` the integration tests
# start) inherit the same offset, so they share the test's clock. (An absolute `@…` would be
# read in the local TZ and restart in every child.) Needs the Debian package `faketime`; it
# is installed when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

INSTANTS=(
    "2027-03-22 00:30:00" # a Monday, 00:30 UTC
    "2027-03-26 16:00:30" # a Friday, just after the default summary time
    "2026-11-29 23:50:00" # a Sunday, 23:50 UTC
    "2027-03-28 00:59:00" # a minute before Europe's spring-forward
    "2027-10-31 01:30:00" # inside the repeated hour of Europe's fall-back
    "2027-12-31 23:59:30" # New Year's Eve, 30 s to go
)
ZONES=(UTC Europe/Berlin America/Los_Angeles Asia/Kolkata Pacific/Chatham America/St_Johns)
if [ "$#" -gt 0 ]; then
    INSTANTS=("$@")
fi

libfaketime() {
    find /usr/lib /usr/lib64 /usr/local/lib -name 'libfaketime.so.1' -path '*faketime*' 2>/dev/null |
        grep -v MT | head -n 1
}
LIB="$(libfaketime)"
if [ -z "$LIB" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing faketime (Debian package)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
        LIB="$(libfaketime)"
    fi
fi
if [ -z "$LIB" ]; then
    echo "libfaketime not found: install the Debian package faketime" >&2
    exit 1
fi

# Build once with the real clock (cargo and make dislike a clock that jumps), then run the
# binaries themselves under the faked one.
mapfile -t BINARIES < <(
    cargo test --no-run --message-format=json 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])
'
)
if [ "${#BINARIES[@]}" -eq 0 ]; then
    echo "no test binaries were built" >&2
    exit 1
fi

failed=0
i=0
for instant in "${INSTANTS[@]}"; do
    zone="${ZONES[$((i % ${#ZONES[@]}))]}"
    i=$((i + 1))
    echo "== tests at $instant UTC, TZ=$zone"
    for bin in "${BINARIES[@]}"; do
        offset=$(($(date -u -d "$instant UTC" +%s) - $(date -u +%s)))
        if ! env LD_PRELOAD="$LIB" FAKETIME="$(printf '%+d' "$offset")" TZ="$zone" \
            "$bin" --quiet; then
            echo "!! $(basename "$bin") failed at $instant UTC (TZ=$zone)" >&2
            failed=1
        fi
    done
done
exit "$failed"
