# SPDX-License-Identifier: Apache-2.0
# Shared by the benchmark scripts: source it after setting BUILD. It makes a scratch directory
# ($WORK, entered, with ANCHOR_HOME=$WORK/ca) that goes on exit together with every process
# started into PIDS, and gives the helpers below.
set -euo pipefail
ANCHOR="$BUILD/apps/anchor"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anchor-$(basename "$0" .sh).XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export ANCHOR_HOME="$WORK/ca"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port PORT LOG: until something listens on PORT, else show LOG and stop
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "port $1 never opened; $2 says:" >&2; cat "$2" >&2; exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks

# start_anchor_serve: `anchor serve` on an ephemeral port of 127.0.0.1; sets CA_URL.
start_anchor_serve() {
  "$ANCHOR" serve --listen 127.0.0.1:0 > "$WORK/serve.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
  CA_URL="https://localhost:$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log" | head -1)"
}
