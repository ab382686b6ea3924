#!/usr/bin/env bash
# Start-up time with a store of N users: seeds one (examples/seed_due.rs, N users with D
# earlier days of check-ins each and nothing due, cached under target/bench-data/), then
# starts `twohats serve` on a copy R times and prints the time from exec to the first 200 on
# /healthz and on /readyz, and the RSS once healthy. Usage: scripts/startup.sh [users] [days] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-10000}
days=${2:-27}
runs=${3:-5}
cargo build --release --bin twohats --example seed_due >/dev/null 2>&1
seeded=target/bench-data/startup-v2-${users}x${days}
if [ ! -d "$seeded" ]; then
    ./target/release/examples/seed_due --data-dir "$seeded.tmp" --users "$users" --days "$days" --not-due
    mv "$seeded.tmp" "$seeded"
fi
# sled writes a snapshot when it opens a store and replays the log written since. With
# RESTART=1 the store is opened once more first, as a restart after an earlier start would
# find it; without, every row is replayed, as on the first start after a long uptime.
restarted=
if [ "${RESTART:-0}" = 1 ]; then
    restarted=$(mktemp -d)/db
    cp -r "$seeded" "$restarted"
    ./target/release/examples/seed_due --data-dir "$restarted" --users 0 >/dev/null
    seeded=$restarted
fi
echo "store: $users users, $((days + 1)) days of check-ins each, $(du -sh "$seeded" | cut -f1) on disk"
work=$(mktemp -d)
trap 'rm -rf "$work" ${restarted:+"${restarted%/db}"}' EXIT
python3 - "$seeded" "$work" "$runs" <<'PY'
import os, shutil, socket, statistics, subprocess, sys, time
seeded, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port
def ok(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
healthy, ready = [], []
for run in range(runs):
    data = os.path.join(work, f"db{run}")
    shutil.copytree(seeded, data)  # each start recovers the same store, not the last run's
    port = free_port()
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s",
               SLACK_API_URL="http://127.0.0.1:9/api", TWOHATS_LISTEN=f"127.0.0.1:{port}",
               TWOHATS_DATA_DIR=data, RUST_LOG="off")
    started = time.perf_counter()
    proc = subprocess.Popen(["./target/release/twohats", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not ok(port, "/healthz"):
        if proc.poll() is not None:
            sys.exit("serve exited during start-up")
        time.sleep(0.001)
    healthy.append((time.perf_counter() - started) * 1000)
    while not ok(port, "/readyz"):
        time.sleep(0.001)
    ready.append((time.perf_counter() - started) * 1000)
    rss = next(l.split()[1] for l in open(f"/proc/{proc.pid}/status") if l.startswith("VmRSS"))
    proc.terminate(); proc.wait()
    shutil.rmtree(data)
    print(f"run {run}: healthy {healthy[-1]:.1f} ms, ready {ready[-1]:.1f} ms, RSS {int(rss) / 1024:.1f} MiB")
print(f"median: healthy {statistics.median(healthy):.1f} ms, ready {statistics.median(ready):.1f} ms")
PY
