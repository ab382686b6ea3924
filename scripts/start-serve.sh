# Sourced by the load scripts: builds release and starts `twohats serve` in HTTP mode on a free
# loopback port with a temp data dir; sets `port`, `pid`, `work`, `secret`; cleans up on exit.
# The Web API points at a closed loopback port: the only outbound call a command makes is a
# background profile lookup for a new user, which fails quietly and never touches the ack.
# `build_extra` (optional) names more targets to build, e.g. `--example loadgen`.
# `TWOHATS_BIN` (optional) runs another build instead, e.g. a saved binary for an A/B run; then
# nothing is built (the tree may be mid-edit), so whatever `build_extra` names must exist.
# `before_serve` (optional, a function) runs once `work` exists, before `serve` starts, and
# may set `slack_api` (the Web API base URL) and fill the data dir `$work/db`.
[[ -n ${TWOHATS_BIN:-} ]] || cargo build --release --bin twohats ${build_extra:-} >/dev/null 2>&1
bin=${TWOHATS_BIN:-./target/release/twohats}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
secret=load-test-secret
slack_api=http://127.0.0.1:9/api
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
if declare -F before_serve >/dev/null; then before_serve; fi
SLACK_BOT_TOKEN=xoxb-load SLACK_SIGNING_SECRET=$secret SLACK_API_URL=$slack_api \
TWOHATS_LISTEN=127.0.0.1:$port TWOHATS_DATA_DIR=$work/db RUST_LOG=off \
    "$bin" serve &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
sleep 1
echo "idle: $(grep VmRSS /proc/$pid/status | tr -s ' \t' ' ')"
