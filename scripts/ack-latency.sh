#!/usr/bin/env bash
# Measures the ack latency of signed `/tlm` slash commands over HTTP on loopback:
# builds release, starts `twohats serve` (HTTP mode, temp data dir), runs examples/loadgen.
# Usage: scripts/ack-latency.sh [requests] [concurrency] [text]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
concurrency=${2:-8}
text=${3:-checkin 60}
build_extra="--example loadgen"
source scripts/start-serve.sh
# Warm-up: each user's first command starts a background profile lookup (here against a
# closed port, retried, then dropped); let those finish before measuring.
./target/release/examples/loadgen --url "http://127.0.0.1:$port" --secret $secret \
    --requests 200 --concurrency "$concurrency" --text "$text" >/dev/null
sleep 2
./target/release/examples/loadgen --url "http://127.0.0.1:$port" --secret $secret \
    --requests "$requests" --concurrency "$concurrency" --text "$text"
echo "peak $(grep VmHWM /proc/$pid/status)"
