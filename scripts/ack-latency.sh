#!/usr/bin/env bash
# Measures the ack latency of signed `/tlm` slash commands over HTTP on loopback:
# builds release, starts `twohats serve` (HTTP mode, temp data dir), runs examples/loadgen.
# Usage: scripts/ack-latency.sh [requests] [concurrency] [text]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
concurrency=${2:-8}
text=${3:-checkin 60}
cargo build --release --bin twohats --example loadgen >/dev/null 2>&1
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
secret=load-test-secret
# The Web API points at a closed loopback port: the only outbound call a command makes is a
# background profile lookup for a new user, which fails quietly and never touches the ack.
SLACK_BOT_TOKEN=xoxb-load SLACK_SIGNING_SECRET=$secret SLACK_API_URL=http://127.0.0.1:9/api \
TWOHATS_LISTEN=127.0.0.1:$port TWOHATS_DATA_DIR=$data/db RUST_LOG=off \
    ./target/release/twohats serve &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
sleep 1
echo "idle $(grep VmRSS /proc/$pid/status)"
# Warm-up: each user's first command starts a background profile lookup (here against a
# closed port, retried, then dropped); let those finish before measuring.
./target/release/examples/loadgen --url "http://127.0.0.1:$port" --secret $secret \
    --requests 200 --concurrency "$concurrency" --text "$text" >/dev/null
sleep 2
./target/release/examples/loadgen --url "http://127.0.0.1:$port" --secret $secret \
    --requests "$requests" --concurrency "$concurrency" --text "$text"
echo "peak $(grep VmHWM /proc/$pid/status)"
