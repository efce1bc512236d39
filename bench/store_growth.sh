#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The store's cost as it grows: one CA home (SQLite, WAL, synchronous=FULL, on the disk under
# ${TMPDIR:-/tmp}), measured empty and then filled by bench/anchor-fill to each size of SIZES
# (default 10,000, 100,000 and 1,000,000 certificates, 10% of each step's new ones revoked: 100,000
# revocations at 1M). At each size, with a fresh `anchor serve` (2 threads, one per core) on it and
# another on a control CA home whose store stays empty, measured in turn (ROUNDS each, medians),
# so that every ratio compares two servers under the same load of the shared machine:
#   - EST enrollments/s (anchor-load enroll, ENROLL_N one-time tokens, concurrency 8, HTTPS
#     keep-alive), p50/p99;
#   - OCSP, keep-alive, one client: nonce-less GETs for SAMPLE serials drawn at random from the
#     whole store (answered from the cache after a warm-up pass), and POSTs with a nonce for the
#     same serials (never cached: a store lookup and a signature each); rate, p50/p99;
# and on the filled store only:
#   - `anchor list --expiring-within 7` (the local CLI), wall time and rows;
#   - the revocation feed: GET /api/v1/revocations?since=<last-100> (100 events), one page of
#     10,000 from since=0, and a new broker's walk of the whole feed from 0;
#   - the CRL: in process (anchor-fill crl: the store query, and ca::Authority::BuildCrl), `anchor
#     crl` wall time, GET /crl first (built) and second (cached), its size;
#   - anchor serve's RSS: idle after start, after the enrollments (and its peak), after the CRL;
#   - the load average before and after (the machine may be shared).
# Then EXPLAIN QUERY PLAN of the store's queries and the size of each table and index go to
# $CSV.plans.txt.
# Usage: bench/store_growth.sh [BUILD_DIR]   Writes $CSV (default ./store_growth.csv, in the
# directory it was started from) and prints a Markdown table. Environment: SIZES, ENROLL_N (300),
# ROUNDS (3), SAMPLE (100), FILL_THREADS (2), KEEP=DIR (keep the filled CA home there). QUICK=1: SIZES="1000 5000 20000" ENROLL_N=100
# ROUNDS=1 (to check the script). Plot with bench/plot_store_growth.sh CSV.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
CSV=$(realpath -m "${CSV:-store_growth.csv}")
if [ -n "${QUICK:-}" ]; then
  SIZES=${SIZES:-1000 5000 20000}; ENROLL_N=${ENROLL_N:-100}; ROUNDS=${ROUNDS:-1}
fi
SIZES=${SIZES:-10000 100000 1000000}
ENROLL_N=${ENROLL_N:-300}
SAMPLE=${SAMPLE:-100}
ROUNDS=${ROUNDS:-3}
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

COLS="certs,revoked,fill_seconds,fill_rate,revoke_rate,db_mib,serve_start_ms"
COLS+=",enroll_rate,enroll_p50_ms,enroll_p99_ms,enroll_rate_ctrl,enroll_p50_ms_ctrl"
COLS+=",ocsp_cached_rate,ocsp_cached_p50_us,ocsp_cached_p99_us,ocsp_cached_rate_ctrl,ocsp_cached_p50_us_ctrl"
COLS+=",ocsp_nonce_rate,ocsp_nonce_p50_us,ocsp_nonce_p99_us,ocsp_nonce_rate_ctrl,ocsp_nonce_p50_us_ctrl"
COLS+=",list_rows,list_ms,feed100_p50_ms,feed_page_rows,feed_page_p50_ms,feed_walk_ms"
COLS+=",crl_entries,crl_query_ms,crl_build_ms,crl_cli_ms,crl_get_first_ms,crl_get_cached_ms,crl_bytes"
COLS+=",rss_idle_kib,rss_enroll_kib,hwm_enroll_kib,rss_crl_kib,load_before,load_after"
# Paired ratios, the median over the rounds of (store / control) for rates and (control / store)
# for median latencies: > 1 means the filled store did better in that round.
COLS+=",enroll_ratio,enroll_p50_ratio,ocsp_cached_ratio,ocsp_cached_p50_ratio,ocsp_nonce_ratio,ocsp_nonce_p50_ratio"
echo "$COLS" > "$CSV"

# The control: a second CA home whose store stays (nearly) empty, measured in turn with the full
# one at every size, so that each ratio compares two servers under the same load on the shared
# machine (its store only gains the control's own enrollments).
CTRL="$WORK/ctrl"
ANCHOR_HOME="$CTRL" "$ANCHOR" init --name control -q

# serve HOME NAME: starts `anchor serve` for HOME; sets <NAME>_PID, _PORT, _HPORT, _START_MS.
serve() {
  local home=$1 name=$2 port hport t0 pid
  port=$(free_port); hport=$(free_port)
  t0=$(now_ms)
  ANCHOR_HOME="$home" "$ANCHOR" serve --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$hport" \
    > "$name.log" 2>&1 &
  pid=$!; PIDS+=($pid)
  for _ in $(seq 1 600); do grep -q "listening on" "$name.log" && break; sleep 0.05; done
  wait_port "$port" "$name.log"
  printf -v "${name}_PID" %s "$pid"; printf -v "${name}_PORT" %s "$port"
  printf -v "${name}_HPORT" %s "$hport"; printf -v "${name}_START_MS" %s $(( $(now_ms) - t0 ))
}
# requests HOME DIR: nonce-less (DIR/c*.der) and nonce (DIR/n*.der) OCSP requests for SAMPLE valid
# device certificates drawn at random from HOME's whole store (sqlite3, read-only).
requests() {
  local home=$1 dir=$2 i=0 s
  rm -rf "$dir"; mkdir "$dir"
  sqlite3 "file:$home/anchor.db?mode=ro" "SELECT serial FROM certificates WHERE status = 'valid' AND profile = 'device' ORDER BY random() LIMIT $SAMPLE" > "$dir.txt"
  while read -r s; do
    openssl ocsp -issuer "$home/intermediate.crt" -serial "0x$s" -no_nonce -reqout "$dir/c$i.der" >/dev/null 2>&1 || true
    openssl ocsp -issuer "$home/intermediate.crt" -serial "0x$s" -reqout "$dir/n$i.der" >/dev/null 2>&1 || true
    i=$((i + 1))
  done < "$dir.txt"
}
enroll() {  # enroll HOME PORT OUT
  "$LOAD" enroll --url "https://localhost:$2" --ca "$1/root.crt" --admin-cert "$1/admin.crt" \
    --admin-key "$1/admin.key" --target anchor --n "$ENROLL_N" --concurrency 8 > "$3"
}
ocsp_runs() {  # ocsp_runs HPORT DIR TAG: warm the cache, then cached GETs and nonce POSTs
  "$LOAD" ocsp --get --url "http://127.0.0.1:$1/ocsp" --request "$2"/c*.der --n "$SAMPLE" --concurrency 1 > /dev/null
  "$LOAD" ocsp --get --url "http://127.0.0.1:$1/ocsp" --request "$2"/c*.der --n $((SAMPLE * 30)) --concurrency 1 > "cached_$3"
  "$LOAD" ocsp --url "http://127.0.0.1:$1/ocsp" --request "$2"/n*.der --n $((SAMPLE * 10)) --concurrency 1 > "nonce_$3"
}
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:] if x))' "$@"; }
paired() {  # paired KEY BIG_PREFIX CTL_PREFIX INVERT: the median over rounds of big/ctl (ctl/big)
  local key=$1 big=$2 ctl=$3 inv=$4 r vals=()
  for r in $(seq 1 "$ROUNDS"); do
    vals+=("$(python3 -c "import sys; b, c = float(sys.argv[1]), float(sys.argv[2]); print(c / b if sys.argv[3] == '1' else b / c)" \
      "$(kv "$key" "${big}_$r")" "$(kv "$key" "${ctl}_$r")" "$inv")")
  done
  python3 -c 'import statistics,sys; print(round(statistics.median(map(float, sys.argv[1:])), 3))' "${vals[@]}"
}
med_kv() {  # med_kv KEY FILE...: the median of KEY over the files
  local key=$1 f vals=(); shift
  for f in "$@"; do vals+=("$(kv "$key" "$f")"); done
  median "${vals[@]}"
}

measure() {  # measure CERTS REVOKED FILL_SECONDS FILL_RATE REVOKE_RATE LOAD_BEFORE
  local certs=$1 revoked=$2 fill_s=$3 fill_rate=$4 revoke_rate=$5 load_before=$6 t0 r
  serve "$ANCHOR_HOME" BIG
  serve "$CTRL" CTL
  sleep 1
  local rss_idle; rss_idle=$(rss "$BIG_PID" VmRSS)
  local base="https://localhost:$BIG_PORT"

  # Enrollment, ROUNDS turns each (tokens are made before the clock starts).
  for r in $(seq 1 "$ROUNDS"); do
    enroll "$ANCHOR_HOME" "$BIG_PORT" "enroll_big_$r"
    enroll "$CTRL" "$CTL_PORT" "enroll_ctl_$r"
  done
  local rss_enroll hwm; rss_enroll=$(rss "$BIG_PID" VmRSS); hwm=$(rss "$BIG_PID" VmHWM)

  # OCSP, for serials drawn from each whole store, ROUNDS turns each.
  requests "$ANCHOR_HOME" req_big
  requests "$CTRL" req_ctl
  for r in $(seq 1 "$ROUNDS"); do
    ocsp_runs "$BIG_HPORT" req_big "big_$r"
    ocsp_runs "$CTL_HPORT" req_ctl "ctl_$r"
  done
  kill "$CTL_PID"; wait "$CTL_PID" 2>/dev/null || true

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
  local walk; walk=$(python3 walk.py "$BIG_PORT" "$ANCHOR_HOME/root.crt")

  # The CRL.
  "$FILL" crl --home "$ANCHOR_HOME" > crl.out
  local crl_cli; t0=$(now_ms); "$ANCHOR" crl --out crl.der > /dev/null 2>&1
  crl_cli=$(( $(now_ms) - t0 ))
  local first cached
  first=$(curl -s -o crl_get.der -w '%{time_total}' "http://127.0.0.1:$BIG_HPORT/crl")
  cached=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$BIG_HPORT/crl")
  local rss_crl; rss_crl=$(rss "$BIG_PID" VmRSS)
  kill "$BIG_PID"; wait "$BIG_PID" 2>/dev/null || true

  local db_mib; db_mib=$(( ($(stat -c %s "$DB") + $(stat -c %s "$DB-wal" 2>/dev/null || echo 0)) / 1048576 ))
  local load_after; load_after=$(loadavg)
  local row ms="import sys; print(round(float(sys.argv[1]) / 1000, 2))"
  row="$certs,$revoked,$fill_s,$fill_rate,$revoke_rate,$db_mib,$BIG_START_MS"
  row+=",$(med_kv rate enroll_big_*),$(python3 -c "$ms" "$(med_kv p50_us enroll_big_*)")"
  row+=",$(python3 -c "$ms" "$(med_kv p99_us enroll_big_*)"),$(med_kv rate enroll_ctl_*)"
  row+=",$(python3 -c "$ms" "$(med_kv p50_us enroll_ctl_*)")"
  row+=",$(med_kv rate cached_big_*),$(med_kv p50_us cached_big_*),$(med_kv p99_us cached_big_*),$(med_kv rate cached_ctl_*)"
  row+=",$(med_kv p50_us cached_ctl_*)"
  row+=",$(med_kv rate nonce_big_*),$(med_kv p50_us nonce_big_*),$(med_kv p99_us nonce_big_*),$(med_kv rate nonce_ctl_*)"
  row+=",$(med_kv p50_us nonce_ctl_*)"
  row+=",$list_rows,$list_ms,$(python3 -c "$ms" "$(kv p50_us feed100.out)"),$page_rows"
  row+=",$(python3 -c "$ms" "$(kv p50_us feedpage.out)"),$(python3 -c "print(round(${walk% *}*1000))")"
  row+=",$(kv entries crl.out),$(kv query_ms crl.out),$(kv build_ms crl.out),$crl_cli"
  row+=",$(python3 -c "print(round($first*1000))"),$(python3 -c "print(round($cached*1000,1))"),$(stat -c %s crl.der)"
  row+=",$rss_idle,$rss_enroll,$hwm,$rss_crl,$load_before,$load_after"
  row+=",$(paired rate enroll_big enroll_ctl 0),$(paired p50_us enroll_big enroll_ctl 1)"
  row+=",$(paired rate cached_big cached_ctl 0),$(paired p50_us cached_big cached_ctl 1)"
  row+=",$(paired rate nonce_big nonce_ctl 0),$(paired p50_us nonce_big nonce_ctl 1)"
  echo "$row" >> "$CSV"
  echo "measured at $certs certificates: $row" >&2
  for r in $(seq 1 "$ROUNDS"); do  # every round, for the record
    echo "  round $r (rate, p50 µs; store vs control): enroll $(kv rate "enroll_big_$r") $(kv p50_us "enroll_big_$r") vs $(kv rate "enroll_ctl_$r") $(kv p50_us "enroll_ctl_$r"); cached $(kv rate "cached_big_$r") $(kv p50_us "cached_big_$r") vs $(kv rate "cached_ctl_$r") $(kv p50_us "cached_ctl_$r"); nonce $(kv rate "nonce_big_$r") $(kv p50_us "nonce_big_$r") vs $(kv rate "nonce_ctl_$r") $(kv p50_us "nonce_ctl_$r")" >&2
  done
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

# How SQLite runs the measured paths' queries at the last size, and what each table and index
# holds (the SQL is sqlite_store.cc's), for when a curve is not flat.
{
  echo "store at $(sqlite3 "file:$DB?mode=ro" "SELECT count(*) FROM certificates") certificates"
  for q in "SELECT * FROM certificates WHERE serial = 'ab'" \
           "SELECT seq, serial, revoked_at, reason FROM revocations WHERE seq > 5 ORDER BY seq LIMIT 10" \
           "SELECT * FROM certificates WHERE 1=1 AND status = 'valid' AND not_after > 1 AND not_after < 2 ORDER BY created_at DESC, serial" \
           "SELECT * FROM certificates WHERE status = 'revoked' AND not_after > 1 ORDER BY serial" \
           "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1" \
           "UPDATE tokens SET used_at = 1, used_by = 'ab' WHERE hash = 'x' AND used_at IS NULL AND expires_at > 1"; do
    echo "-- $q"; sqlite3 "file:$DB?mode=ro" "EXPLAIN QUERY PLAN $q"
  done
  echo "-- pages per table and index (dbstat), MiB"
  sqlite3 "file:$DB?mode=ro" "SELECT name, round(sum(pgsize) / 1048576.0, 1) FROM dbstat GROUP BY name ORDER BY 2 DESC" 2>&1
} > "$CSV.plans.txt"

# KEEP=DIR keeps the filled CA home there (for EXPLAIN, perf, sqlite3), instead of deleting it.
if [ -n "${KEEP:-}" ]; then mv "$ANCHOR_HOME" "$KEEP"; fi

# The Markdown summary.
python3 - "$CSV" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def f(v, nd=0):
    return f"{float(v):,.{nd}f}"
def q(r, k):  # the paired ratio of the rates (median over rounds of store / control)
    return float(r[k.replace("_rate", "_ratio")])
def lat(r, k):  # of the median latencies (control / store): > 1 means the store was faster
    return float(r[k.replace("_ms", "_us").replace("_p50_us", "_p50_ratio")])
print("| certificates (revoked) | enroll/s: store, control, ratio; p50 ratio | OCSP cached GET/s: ratio; p50 ratio; p50/p99 µs "
      "| OCSP nonce POST/s: ratio; p50 ratio; p50/p99 µs | list --expiring-within 7: rows, ms "
      "| feed ms: last 100, page of 10k, walk from 0 | CRL: entries, query ms, build ms, KiB "
      "| serve RSS MiB: idle, enroll, after CRL |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    print(f"| {f(r['certs'])} ({f(r['revoked'])}) "
          f"| {f(r['enroll_rate'])}, {f(r['enroll_rate_ctrl'])}, {q(r, 'enroll_rate'):.2f}; {lat(r, 'enroll_p50_ms'):.2f} "
          f"| {q(r, 'ocsp_cached_rate'):.2f}; {lat(r, 'ocsp_cached_p50_us'):.2f}; {f(r['ocsp_cached_p50_us'])} / {f(r['ocsp_cached_p99_us'])} "
          f"| {q(r, 'ocsp_nonce_rate'):.2f}; {lat(r, 'ocsp_nonce_p50_us'):.2f}; {f(r['ocsp_nonce_p50_us'])} / {f(r['ocsp_nonce_p99_us'])} "
          f"| {f(r['list_rows'])}, {f(r['list_ms'])} "
          f"| {r['feed100_p50_ms']}, {r['feed_page_p50_ms']}, {f(r['feed_walk_ms'])} "
          f"| {f(r['crl_entries'])}, {r['crl_query_ms']}, {r['crl_build_ms']}, {float(r['crl_bytes']) / 1024:,.0f} "
          f"| {float(r['rss_idle_kib']) / 1024:.1f}, {float(r['rss_enroll_kib']) / 1024:.1f}, {float(r['rss_crl_kib']) / 1024:.1f} |")
PY
echo
echo "CSV: $CSV"
