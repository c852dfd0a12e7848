#!/usr/bin/env bash
# HTTP hello under wrk: bobbin's examples/http_hello.rs beside the same
# server on tokio (benches/http_hello_tokio.rs), one after the other, each
# with 2 workers, `wrk -t1 -c64 -d5s`. Prints wrk's Requests/sec for each.
#
#   benches/http.sh            # DURATION=5 (seconds), WORKERS=2
#
# Installs nothing: if wrk is missing it says how to get it and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is not installed; install it with: apt-get install wrk" >&2
  exit 1
fi
DURATION="${DURATION:-5}"
WORKERS="${WORKERS:-2}"

cargo build --release --example http_hello
cargo build --release -p bobbin-benches --example http_hello_tokio

# Runs one server binary on a port, loads it with wrk, stops it by its PID.
run() {
  local name=$1 binary=$2 port=$3
  "$binary" "127.0.0.1:$port" >/dev/null &
  local pid=$!
  # Wait (up to 10 s) until the server accepts connections.
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
  local rps
  rps=$(wrk -t1 -c64 -d"${DURATION}s" "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  printf '%-8s %12s requests/s\n' "$name" "$rps"
}

echo "wrk -t1 -c64 -d${DURATION}s, ${WORKERS} workers each"
BOBBIN_WORKER_THREADS="$WORKERS" run bobbin target/release/examples/http_hello 18080
BENCH_WORKERS="$WORKERS" run tokio target/release/examples/http_hello_tokio 18081
