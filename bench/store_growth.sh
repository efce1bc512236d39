#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The store's cost as it grows: one CA home (SQLite, WAL, synchronous=FULL, on the disk under
# ${TMPDIR:-/tmp}), measured empty and then filled by bench/anchor-fill to each size of SIZES
# (default 10,000, 100,000 and 1,000,000 certificates, 10% of each step's new ones revoked: 100,000
# revocations at 1M). At each size, with a fresh `anchor serve` (2 threads, one per core):
#   - EST enrollments/s (anchor-load enroll, ENROLL_N with one-time tokens, concurrency 8,
#     HTTPS keep-alive) and their p50/p99;
#   - OCSP latency, keep-alive, one client: nonce-less GETs for SAMPLE serials drawn at random from
#     the whole store (answered from the cache after a warm-up pass), and POSTs with a nonce for
#     the same serials (never cached: a store lookup and a signature each);
#   - `anchor list --expiring-within 7` (the local CLI), wall time and rows;
#   - the revocation feed: GET /api/v1/revocations?since=<last-100> (100 events), one page of
#     10,000 from since=0, and a new broker's walk of the whole feed from 0;
#   - the CRL: in process (anchor-fill crl: the store query and ca::Authority::BuildCrl), `anchor
#     crl` wall time, GET /crl first (built) and second (cached), its size;
#   - anchor serve's RSS: idle after start, after the enrollments (and its peak), after the CRL;
#   - the load average before and after (the machine may be shared).
# Usage: bench/store_growth.sh [BUILD_DIR]   Writes $CSV (default ./store_growth.csv, in the
# directory it was started from) and prints a Markdown table. Environment: SIZES, ENROLL_N (500),
# SAMPLE (100), FILL_THREADS (2). QUICK=1 means SIZES="1000 5000 20000" ENROLL_N=100.
# Plot with bench/plot_store_growth.sh CSV.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
CSV=$(realpath -m "${CSV:-store_growth.csv}")
if [ -n "${QUICK:-}" ]; then
  SIZES=${SIZES:-1000 5000 20000}; ENROLL_N=${ENROLL_N:-100}
fi
SIZES=${SIZES:-10000 100000 1000000}
ENROLL_N=${ENROLL_N:-500}
SAMPLE=${SAMPLE:-100}
FILL_THREADS=${FILL_THREADS:-2}
source "$HERE/bench/lib.sh"
LOAD="$BUILD/bench/anchor-load"
FILL="$BUILD/bench/anchor-fill"
loadavg() { cut -d' ' -f1 /proc/loadavg; }
kv() { sed -n "s/.*[ ^]$1=\([0-9.]*\).*/\1/p" "$2" | head -1; }  # kv KEY FILE: KEY=value
rss() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }  # rss PID VmRSS|VmHWM, KiB
now_ms() { date +%s%3N; }

"$ANCHOR" init --name bench -q
DB="$ANCHOR_HOME/anchor.db"
cat > walk.py <<'PY'
# walk.py PORT CA: a new broker's walk of the whole revocation feed from 0, pages of 10,000, one
# kept-alive connection; prints "seconds events".
import http.client, json, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
conn = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ctx)
t, cursor, events, more = time.monotonic(), 0, 0, True
while more:
    conn.request("GET", f"/api/v1/revocations?since={cursor}&limit=10000")
    page = json.loads(conn.getresponse().read())
    cursor, more, events = page["cursor"], page["more"], events + len(page["revocations"])
print(f"{time.monotonic() - t:.3f} {events}")
PY

COLS="certs,revoked,fill_seconds,fill_rate,revoke_rate,db_mib,serve_start_ms,enroll_rate,enroll_p50_ms,enroll_p99_ms"
COLS+=",ocsp_cached_rate,ocsp_cached_p50_us,ocsp_cached_p99_us,ocsp_nonce_rate,ocsp_nonce_p50_us,ocsp_nonce_p99_us"
COLS+=",list_rows,list_ms,feed100_p50_ms,feed_page_rows,feed_page_p50_ms,feed_walk_ms"
COLS+=",crl_entries,crl_query_ms,crl_build_ms,crl_cli_ms,crl_get_first_ms,crl_get_cached_ms,crl_bytes"
COLS+=",rss_idle_kib,rss_enroll_kib,hwm_enroll_kib,rss_crl_kib,load_before,load_after"
echo "$COLS" > "$CSV"

measure() {  # measure CERTS REVOKED FILL_SECONDS FILL_RATE REVOKE_RATE LOAD_BEFORE
  local certs=$1 revoked=$2 fill_s=$3 fill_rate=$4 revoke_rate=$5 load_before=$6
  local port hport pid t0 started
  port=$(free_port); hport=$(free_port)
  t0=$(now_ms)
  "$ANCHOR" serve --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$hport" > serve.log 2>&1 &
  pid=$!; PIDS+=($pid)
  for _ in $(seq 1 600); do grep -q "listening on" serve.log && break; sleep 0.05; done
  wait_port "$port" serve.log
  started=$(( $(now_ms) - t0 ))
  sleep 1
  local rss_idle; rss_idle=$(rss "$pid" VmRSS)
  local base="https://localhost:$port"

  # Enrollment (tokens are made before the clock starts).
  "$LOAD" enroll --url "$base" --ca "$ANCHOR_HOME/root.crt" --admin-cert "$ANCHOR_HOME/admin.crt" \
    --admin-key "$ANCHOR_HOME/admin.key" --target anchor --n "$ENROLL_N" --concurrency 8 > enroll.out
  local rss_enroll hwm; rss_enroll=$(rss "$pid" VmRSS); hwm=$(rss "$pid" VmHWM)

  # OCSP: SAMPLE valid serials drawn from the whole store (sqlite3 CLI, read-only).
  rm -rf req; mkdir req
  sqlite3 "file:$DB?mode=ro" "SELECT serial FROM certificates WHERE status = 'valid' AND profile = 'device' ORDER BY random() LIMIT $SAMPLE" > sample.txt
  local i=0 s
  while read -r s; do
    openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -serial "0x$s" -no_nonce -reqout "req/c$i.der" >/dev/null 2>&1 || true
    openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -serial "0x$s" -reqout "req/n$i.der" >/dev/null 2>&1 || true
    i=$((i + 1))
  done < sample.txt
  "$LOAD" ocsp --get --url "http://127.0.0.1:$hport/ocsp" --request req/c*.der --n "$SAMPLE" --concurrency 1 > /dev/null
  "$LOAD" ocsp --get --url "http://127.0.0.1:$hport/ocsp" --request req/c*.der --n $((SAMPLE * 30)) --concurrency 1 > ocsp_cached.out
  "$LOAD" ocsp --url "http://127.0.0.1:$hport/ocsp" --request req/n*.der --n $((SAMPLE * 10)) --concurrency 1 > ocsp_nonce.out

  # anchor list --expiring-within 7 (local, straight from the store).
  local list_ms list_rows
  t0=$(now_ms); "$ANCHOR" list --expiring-within 7 --json > list.json; list_ms=$(( $(now_ms) - t0 ))
  list_rows=$(python3 -c 'import json; print(len(json.load(open("list.json"))))')

  # The revocation feed.
  local last; last=$(sqlite3 "file:$DB?mode=ro" "SELECT coalesce(max(seq), 0) FROM revocations")
  "$LOAD" get --url "$base/api/v1/revocations?since=$(( last > 100 ? last - 100 : 0 ))&limit=10000" \
    --ca "$ANCHOR_HOME/root.crt" --n 200 --concurrency 1 > feed100.out
  "$LOAD" get --url "$base/api/v1/revocations?since=0&limit=10000" --ca "$ANCHOR_HOME/root.crt" \
    --n 20 --concurrency 1 > feedpage.out
  local page_rows; page_rows=$(( last < 10000 ? last : 10000 ))
  local walk; walk=$(python3 walk.py "$port" "$ANCHOR_HOME/root.crt")

  # The CRL.
  "$FILL" crl --home "$ANCHOR_HOME" > crl.out
  local crl_cli; t0=$(now_ms); "$ANCHOR" crl --out crl.der > /dev/null
  crl_cli=$(( $(now_ms) - t0 ))
  local first cached
  first=$(curl -s -o crl_get.der -w '%{time_total}' "http://127.0.0.1:$hport/crl")
  cached=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$hport/crl")
  local rss_crl; rss_crl=$(rss "$pid" VmRSS)
  kill "$pid"; wait "$pid" 2>/dev/null || true

  local db_mib; db_mib=$(( ($(stat -c %s "$DB") + $(stat -c %s "$DB-wal" 2>/dev/null || echo 0)) / 1048576 ))
  local load_after; load_after=$(loadavg)
  local row
  row="$certs,$revoked,$fill_s,$fill_rate,$revoke_rate,$db_mib,$started"
  row+=",$(kv rate enroll.out),$(python3 -c "print($(kv p50_us enroll.out)/1000)"),$(python3 -c "print($(kv p99_us enroll.out)/1000)")"
  row+=",$(kv rate ocsp_cached.out),$(kv p50_us ocsp_cached.out),$(kv p99_us ocsp_cached.out)"
  row+=",$(kv rate ocsp_nonce.out),$(kv p50_us ocsp_nonce.out),$(kv p99_us ocsp_nonce.out)"
  row+=",$list_rows,$list_ms,$(python3 -c "print($(kv p50_us feed100.out)/1000)"),$page_rows"
  row+=",$(python3 -c "print($(kv p50_us feedpage.out)/1000)"),$(python3 -c "print(round(${walk% *}*1000))")"
  row+=",$(kv entries crl.out),$(kv query_ms crl.out),$(kv build_ms crl.out),$crl_cli"
  row+=",$(python3 -c "print(round($first*1000))"),$(python3 -c "print(round($cached*1000,1))"),$(stat -c %s crl.der)"
  row+=",$rss_idle,$rss_enroll,$hwm,$rss_crl,$load_before,$load_after"
  echo "$row" >> "$CSV"
  echo "measured at $certs certificates: $row" >&2
}

# Empty (the CA's own certificates), then each size.
measure "$("$FILL" grow --home "$ANCHOR_HOME" --to 0 | sed -n 's/.*count=\([0-9]*\).*/\1/p')" 0 0 0 0 "$(loadavg)"
for size in $SIZES; do
  lb=$(loadavg)
  "$FILL" grow --home "$ANCHOR_HOME" --to "$size" --revoke-fraction 0.1 --threads "$FILL_THREADS" > fill.out
  cat fill.out >&2
  revoked=$(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM revocations")
  measure "$(kv count fill.out)" "$revoked" "$(kv seconds fill.out)" "$(kv rate fill.out)" \
    "$(kv revoke_rate fill.out)" "$lb"
done

# The Markdown summary.
python3 - "$CSV" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
e = rows[0]
def f(v, nd=0):
    v = float(v); return f"{v:,.{nd}f}"
print("| certificates (revoked) | enroll/s (× empty) | OCSP cached p50/p99 µs | OCSP nonce p50/p99 µs (× empty) "
      "| list --expiring-within 7: rows, ms | feed: last 100, page of 10k, whole walk (ms) "
      "| CRL: entries, build ms, KiB | serve RSS MiB: idle, enroll, after CRL |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    print(f"| {f(r['certs'])} ({f(r['revoked'])}) "
          f"| {f(r['enroll_rate'])} ({float(r['enroll_rate']) / float(e['enroll_rate']):.2f}) "
          f"| {f(r['ocsp_cached_p50_us'])} / {f(r['ocsp_cached_p99_us'])} "
          f"| {f(r['ocsp_nonce_p50_us'])} / {f(r['ocsp_nonce_p99_us'])} ({float(r['ocsp_nonce_rate']) / float(e['ocsp_nonce_rate']):.2f}) "
          f"| {f(r['list_rows'])}, {f(r['list_ms'])} "
          f"| {r['feed100_p50_ms']}, {r['feed_page_p50_ms']}, {f(r['feed_walk_ms'])} "
          f"| {f(r['crl_entries'])}, {r['crl_build_ms']}, {float(r['crl_bytes']) / 1024:,.0f} "
          f"| {float(r['rss_idle_kib']) / 1024:.1f}, {float(r['rss_enroll_kib']) / 1024:.1f}, {float(r['rss_crl_kib']) / 1024:.1f} |")
PY
echo
echo "CSV: $CSV"
