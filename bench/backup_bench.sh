#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor backup` and `anchor restore` on a store of N certificates (default 100,000, filled by
# bench/anchor-fill with 1% of them revoked), on the disk under ${TMPDIR:-/tmp}: the time and
# size of a backup without and with keys, with `anchor serve` idle on the home and again while it
# answers an enrollment storm (anchor-load, 16 clients), the time of a restore (checks included:
# SQLite integrity, the content digest, the audit chain, the count), and a plain `cp` of the
# home for comparison; and the time of a /metrics scrape on that store (--metrics-listen: the
# counts by status are read from the store at each scrape). Usage: bench/backup_bench.sh [BUILD_DIR]; environment N, REVOKE (0.01).
set -euo pipefail
BUILD=$(realpath "${1:-build}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000}
REVOKE=${REVOKE:-0.01}
source "$HERE/bench/lib.sh"
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$ANCHOR" init --name backup-bench -q
t0=$(date +%s)
"$BUILD/bench/anchor-fill" grow --home "$ANCHOR_HOME" --to "$N" --revoke-fraction "$REVOKE"
echo "filled to $N in $(( $(date +%s) - t0 )) s; store $(du -b "$ANCHOR_HOME"/anchor.db* | awk '{s+=$1} END {print s}') bytes (db + wal)"
MPORT=$(free_port)
"$ANCHOR" serve --listen 127.0.0.1:0 --metrics-listen "127.0.0.1:$MPORT" > "$WORK/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
CA_URL="https://localhost:$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log" | head -1)"
for i in 1 2 3; do
  echo "/metrics scrape $i: $(curl -sS -o metrics.txt -w '%{time_total}' "http://127.0.0.1:$MPORT/metrics") s, $(grep '^anchor_certificates{' metrics.txt | tr '\n' ' ')"
done
# The keys stay as init wrote them (anchor-fill reads them); this only encrypts them in backups.
export ANCHOR_PASSPHRASE=bench-passphrase
backup() {  # backup LABEL ARGS...: wall time, and anchor backup's own line
  local label=$1 t0 t1; shift
  t0=$(date +%s.%N); "$ANCHOR" backup "$@" > backup.out 2>/dev/null; t1=$(date +%s.%N)
  echo "$label: $(echo "$t1 - $t0" | bc) s wall; $(cat backup.out)"
}
backup "backup, no keys, serve idle" --out b1.backup
backup "backup, with keys, serve idle" --out b2.backup --with-keys
"$BUILD/bench/anchor-load" enroll --url "$CA_URL" --ca "$ANCHOR_HOME/root.crt" \
  --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
  --n 3000 --concurrency 16 > storm.out &
LOAD=$!
PIDS+=($LOAD)
sleep 1
backup "backup, with keys, during a storm" --out b3.backup --with-keys
wait "$LOAD"
echo "the storm: $(cat storm.out)"
echo "restore (checks included): $(secs "$ANCHOR" restore b2.backup --home "$WORK/restored") s"
echo "plain cp -a of the home:   $(secs cp -a "$ANCHOR_HOME" "$WORK/copied") s"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
