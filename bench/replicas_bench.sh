#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Several `anchor serve` replicas on PostgreSQL against one process on SQLite, same machine, same
# run, same load client (bench/anchor-load), all on 127.0.0.1, every commit durable (SQLite
# fsyncs; PostgreSQL with fsync and synchronous_commit on, its own throwaway cluster):
#   1. enrollments/s (EST simpleenroll with a token, keep-alive) and OCSP responses/s (plain
#      HTTP, one nonce-less request) for: SQLite, one process; PostgreSQL, one replica;
#      PostgreSQL, two replicas (the same load split over both, run at once);
#   2. CPU per enrollment of anchor serve (all replicas) and of PostgreSQL (the postmaster and
#      every backend), from /proc, over the enrollment run; and what one PostgreSQL primary would
#      carry, extrapolated from its CPU per enrollment.
# Usage: bench/replicas_bench.sh [BUILD_DIR]   Prints a Markdown report. QUICK=10 divides the
# counts by 10 (to check the script, not to measure).
set -euo pipefail
BUILD=$(realpath "${1:-build}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/bench/lib.sh"
LOAD="$BUILD/bench/anchor-load"
TICK=$(getconf CLK_TCK)
N_ENROLL=$((2000 / ${QUICK:-1}))
N_OCSP=$((20000 / ${QUICK:-1}))
CONC=16

# PostgreSQL: a cluster of its own, durable, outside $WORK (as root it runs as `postgres`).
PG=$(mktemp -u /tmp/anchor-bench-pg.XXXXXX)
(cd / && PG_FSYNC=on bash "$HERE/tests/postgres/cluster.sh" start "$PG" > /dev/null)
trap '(cd / && bash "$HERE/tests/postgres/cluster.sh" stop "$PG"); cleanup' EXIT
PG_MASTER=$(head -1 "$PG/data/postmaster.pid")
pg_ticks() {  # CPU ticks of the postmaster and all its children
  local total=0 p
  for p in $PG_MASTER $(ps -o pid= --ppid "$PG_MASTER"); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(cpu_ticks "$p")))
  done
  echo "$total"
}

rate() { sed -n 's/.*rate=\([0-9.]*\).*/\1/p' "$1"; }
p99() { sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' "$1"; }
ticks_of() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }

# serve_home NAME STORE-ARGS...: a CA home in $WORK/NAME; serve_replica NAME: one more serve of
# it (plain HTTP for OCSP), its PID in SPID and its ports in SPORT, SHTTP.
make_home() {
  local name=$1; shift
  ANCHOR_HOME="$WORK/$name" "$ANCHOR" init --name "bench-$name" "$@" -q
  sed -i 's/^threads = .*/threads = 0/' "$WORK/$name/anchor.toml"
}
serve_replica() {
  local name=$1 log
  SPORT=$(free_port); SHTTP=$(free_port); log="$WORK/$name-$SPORT.log"
  ANCHOR_HOME="$WORK/$name" "$ANCHOR" serve --listen "127.0.0.1:$SPORT" \
    --http-listen "127.0.0.1:$SHTTP" > "$log" 2>&1 &
  SPID=$!; PIDS+=($SPID); wait_port "$SPORT" "$log"
}

# enroll_run NAME OUT URL...: N_ENROLL enrollments split evenly over the URLs, all at once;
# prints "rate serve_us_per_enroll pg_us_per_enroll p99_ms" for the combined run.
enroll_run() {
  local name=$1 out=$2; shift 2
  local urls=("$@") k=${#@} i pids=() t0 t1 s0 s1 p0 p1
  s0=$(ticks_of "${SERVE_PIDS[@]}"); p0=$(pg_ticks); t0=$(date +%s%N)
  for i in "${!urls[@]}"; do
    "$LOAD" enroll --url "${urls[$i]}" --ca "$WORK/$name/root.crt" \
      --admin-cert "$WORK/$name/admin.crt" --admin-key "$WORK/$name/admin.key" \
      --n $((N_ENROLL / k)) --concurrency $((CONC / k)) > "$out.$i" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || { cat "$out".*; exit 1; }; done
  t1=$(date +%s%N)
  s1=$(ticks_of "${SERVE_PIDS[@]}"); p1=$(pg_ticks)
  python3 - "$t0" "$t1" "$N_ENROLL" "$((s1 - s0))" "$((p1 - p0))" "$TICK" "$out" "$k" <<'PY'
import sys, re
t0, t1, n, s, p, tick, out, k = sys.argv[1:]
sec = (int(t1) - int(t0)) / 1e9
# The load clients prepare tokens and keys before their clock starts: the rate is the sum of
# their own rates (each measured over its requests alone), not n over the wall time above.
rates = [float(re.search(r"rate=([0-9.]+)", open(f"{out}.{i}").read()).group(1)) for i in range(int(k))]
p99 = max(int(re.search(r"p99_us=([0-9]+)", open(f"{out}.{i}").read()).group(1)) for i in range(int(k)))
per = lambda ticks: ticks / int(tick) / int(n) * 1e6
print(f"{sum(rates):.0f} {per(int(s)):.0f} {per(int(p)):.0f} {p99/1000:.1f}")
PY
}

# ocsp_run OUT REQ HTTP-PORT...: N_OCSP OCSP requests split over the plain-HTTP ports, at once.
ocsp_run() {
  local out=$1 req=$2; shift 2
  local ports=("$@") k=${#@} i pids=()
  for i in "${!ports[@]}"; do
    "$LOAD" ocsp --url "http://127.0.0.1:${ports[$i]}/ocsp" --request "$req" \
      --n $((N_OCSP / k)) --concurrency $((CONC / k)) > "$out.$i" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || { cat "$out".*; exit 1; }; done
  python3 - "$out" "$k" <<'PY'
import sys, re
out, k = sys.argv[1], int(sys.argv[2])
print(f"{sum(float(re.search(r'rate=([0-9.]+)', open(f'{out}.{i}').read()).group(1)) for i in range(k)):.0f}")
PY
}

ocsp_request() {  # ocsp_request NAME: a request for one certificate of home NAME, in NAME.req
  ANCHOR_HOME="$WORK/$1" "$ANCHOR" issue --cn ocsp-probe --profile device --cert "$1.crt" \
    --key "$1.key" -q
  openssl ocsp -issuer "$WORK/$1/intermediate.crt" -cert "$1.crt" -no_nonce -reqout "$1.req" \
    > /dev/null
}

declare -A RATE CPU_S CPU_P P99 OCSP
# SQLite, one process.
make_home sqlite
ocsp_request sqlite
serve_replica sqlite; SERVE_PIDS=("$SPID"); H1=$SHTTP
read -r RATE[sqlite] CPU_S[sqlite] CPU_P[sqlite] P99[sqlite] < <(enroll_run sqlite e-sqlite "https://localhost:$SPORT")
OCSP[sqlite]=$(ocsp_run o-sqlite sqlite.req "$H1")
kill "$SPID"; wait "$SPID" || true

# PostgreSQL: one replica, then two, on the same database.
make_home pg --store "postgresql://anchor@/postgres?host=$PG"
ocsp_request pg
serve_replica pg; SERVE_PIDS=("$SPID"); U1="https://localhost:$SPORT"; H1=$SHTTP
read -r RATE[pg1] CPU_S[pg1] CPU_P[pg1] P99[pg1] < <(enroll_run pg e-pg1 "$U1")
OCSP[pg1]=$(ocsp_run o-pg1 pg.req "$H1")
serve_replica pg; SERVE_PIDS+=("$SPID"); U2="https://localhost:$SPORT"; H2=$SHTTP
read -r RATE[pg2] CPU_S[pg2] CPU_P[pg2] P99[pg2] < <(enroll_run pg e-pg2 "$U1" "$U2")
OCSP[pg2]=$(ocsp_run o-pg2 pg.req "$H1" "$H2")

echo "## anchor serve replicas on PostgreSQL vs one process on SQLite"
echo
echo "$(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end; $N_ENROLL enrollments"
echo "(concurrency $CONC in all, split over the replicas), $N_OCSP OCSP requests; every commit durable."
echo
echo "| store | replicas | enrollments/s | p99 | serve CPU per enrollment | PostgreSQL CPU per enrollment | OCSP/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row() { echo "| $1 | $2 | ${RATE[$3]} | ${P99[$3]} ms | ${CPU_S[$3]} µs | $4 | ${OCSP[$3]} |"; }
row SQLite 1 sqlite "–"
row PostgreSQL 1 pg1 "${CPU_P[pg1]} µs"
row PostgreSQL 2 pg2 "${CPU_P[pg2]} µs"
echo
python3 - "${RATE[sqlite]}" "${RATE[pg1]}" "${RATE[pg2]}" "${CPU_P[pg2]}" <<'PY'
import sys
sqlite, pg1, pg2, pg_us = map(float, sys.argv[1:])
print(f"Ratios: PostgreSQL 1 replica / SQLite = {pg1/sqlite:.2f}; 2 replicas / 1 replica = {pg2/pg1:.2f}.")
if pg_us > 0:
    per_core = 1e6 / pg_us
    print(f"One PostgreSQL core carries about {per_core:.0f} enrollments/s at {pg_us:.0f} µs each; a "
          f"16-core primary about {16*per_core:.0f}/s by CPU alone, before the writers' lock "
          "(one transaction at a time per commit) and the WAL's fsync bound it.")
PY
