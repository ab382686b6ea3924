#!/usr/bin/env bash
# Load test: signed `/slack/commands` against `twohats serve` (HTTP mode, temp data dir) with wrk.
# Usage: scripts/loadtest.sh [text] [seconds] [connections]   e.g. scripts/loadtest.sh "checkin 60" 10 32
# With DRAIN=N (e.g. DRAIN=10000 scripts/loadtest.sh), the store is first seeded with N users
# whose summaries are due (examples/seed_due.rs) and the Web API is a fake Slack on loopback
# that accepts every message: the run measures commands while the outbox drains N DMs.
# `TWOHATS_SEED_BIN` (optional) seeds with another build of examples/seed_due (with
# `TWOHATS_BIN`, nothing is built: see start-serve.sh).
# Prints wrk's req/s, latency percentiles and non-2xx count, then the server's peak RSS (VmHWM)
# and how many writes shared each fsync (from /metrics).
# Signatures are computed up front for 1,000 users with a fresh timestamp: valid for Slack's
# 300 s window, so keep runs short.
set -euo pipefail
cd "$(dirname "$0")/.."
text=${1:-checkin 60}
seconds=${2:-10}
connections=${3:-32}
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
drain=${DRAIN:-0}
if ((drain > 0)); then
    build_extra="--example seed_due"
    before_serve() {
        "${TWOHATS_SEED_BIN:-./target/release/examples/seed_due}" --data-dir "$work/db" --users "$drain"
        local fake_port
        fake_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        python3 scripts/fake-slack.py "$fake_port" &
        slack_api=http://127.0.0.1:$fake_port/api
    }
fi
outbox() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^twohats_outbox_depth/ {print $2}'; }
source scripts/start-serve.sh

python3 - "$secret" "$text" > "$work/requests.lua" <<'PY'
import hashlib, hmac, sys, time, urllib.parse
secret, text = sys.argv[1], sys.argv[2]
ts = str(int(time.time()))
print("local requests = {}")
for i in range(1000):
    body = urllib.parse.urlencode({"team_id": "T0LOAD", "user_id": f"U0LOAD{i:04}", "command": "/tlm",
                                   "text": text, "trigger_id": "1.2.3"})
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    print(f'requests[{i + 1}] = wrk.format("POST", "/slack/commands", '
          f'{{["Content-Type"] = "application/x-www-form-urlencoded", '
          f'["X-Slack-Request-Timestamp"] = "{ts}", ["X-Slack-Signature"] = "{sig}"}}, "{body}")')
print("""
local n = 0
request = function()
  n = n % #requests + 1
  return requests[n]
end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end""")
PY
# Warm-up: each user's first command starts a background profile lookup (against a closed
# port here); let those finish before measuring.
wrk -t2 -c8 -d2s -s "$work/requests.lua" "http://127.0.0.1:$port" >/dev/null
sleep 2
((drain > 0)) && echo "outbox before: $(outbox) messages"
wrk -t2 -c"$connections" -d"${seconds}s" -s "$work/requests.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Non-2xx|p50|requests in|Socket errors"
((drain > 0)) && echo "outbox after: $(outbox) messages"
echo "peak: $(grep VmHWM /proc/$pid/status | tr -s ' \t' ' ')"
curl -s "http://127.0.0.1:$port/metrics" | awk '/^twohats_store_flushes_total/ {f=$2} /^twohats_store_durable_waits_total/ {w=$2}
    END { if (f > 0) printf "fsyncs: %d for %d durable writes (%.1f writes per fsync)\n", f, w, w / f }'
