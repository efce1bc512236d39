#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# OCSP at the HTTP limit: `anchor serve` answering a cached (nonce-less) OCSP GET against nginx
# serving the very same DER bytes as a static file, the honest ceiling for a cached answer.
#   - the request: GET /ocsp/<URL-encoded base64 of a nonce-less request> for one certificate;
#   - the bytes: fetched once from anchor, written to a file, and served by nginx for the same
#     URL path with Content-Type application/ocsp-response (checked byte for byte);
#   - the same client (bench/anchor-load ocsp --get), plain HTTP (anchor --http-listen) and
#     HTTPS (TLS 1.3, anchor's server certificate for both), keep-alive and a new connection per
#     request (no resumption), concurrency 1 and 8;
#   - the same number of workers: anchor --threads W, nginx worker_processes W (W=1: one process,
#     master_process off);
#   - responses/s, and server CPU per response: utime+stime from /proc/PID/stat (nginx: the master
#     and its workers) before and after, divided by the responses.
# Rounds alternate between the servers; each cell is the median of ROUNDS (default 5), and the
# client's median latency is given too (on a shared machine, the rate of a short run swings with
# other processes; the CPU per response and the median latency much less).
# Usage: bench/ocsp_vs_nginx.sh [BUILD_DIR]   Prints a Markdown report. Environment: WORKERS
# (default 1), ROUNDS (5), QUICK=10 divides the request counts by 10 (to check the script).
set -euo pipefail
BUILD=$(realpath "${1:-build}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/bench/lib.sh"
LOAD="$BUILD/bench/anchor-load"
WORKERS=${WORKERS:-1}
ROUNDS=${ROUNDS:-5}
QUICK=${QUICK:-1}
TICK=$(getconf CLK_TCK)
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# cpu_tree PID: utime+stime (ticks) of PID and of its child processes (nginx's workers).
cpu_tree() {
  local total=0 p
  for p in $1 $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(cpu_ticks "$p")))
  done
  echo "$total"
}

echo "# OCSP: anchor serve vs nginx serving the same DER as a static file"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, workers per server: $WORKERS, rounds: $ROUNDS, load average at start: $(loadavg)"
echo

"$ANCHOR" init --name bench -q
"$ANCHOR" issue --cn ocsp-probe --profile client --cert probe.crt --key probe.key -q
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert probe.crt -no_nonce -reqout req.der \
  -url http://127.0.0.1:1/ >/dev/null 2>&1 || true
[ -s req.der ] || { echo "no OCSP request made" >&2; exit 1; }
B64=$(python3 -c 'import base64,sys,urllib.parse; print(urllib.parse.quote(base64.b64encode(open("req.der","rb").read()).decode(), safe=""))')

APORT=$(free_port); HPORT=$(free_port)
"$ANCHOR" serve --listen "127.0.0.1:$APORT" --http-listen "127.0.0.1:$HPORT" --threads "$WORKERS" \
  > anchor.log 2>&1 &
APID=$!; PIDS+=($APID); wait_port "$APORT" anchor.log; wait_port "$HPORT" anchor.log

# The bytes anchor answers (its cache keeps them until a revocation or half their validity).
curl -sf -o resp.der "http://127.0.0.1:$HPORT/ocsp/$B64"
openssl ocsp -respin resp.der -issuer "$ANCHOR_HOME/intermediate.crt" -VAfile "$ANCHOR_HOME/intermediate.crt" \
  -cert probe.crt -no_nonce 2>&1 | grep -q "probe.crt: good" || { echo "anchor's answer is not good" >&2; exit 1; }

NPORT=$(free_port); NSPORT=$(free_port)
mkdir -p nginx/logs nginx/tmp nginx/www
cp resp.der nginx/www/resp.der
if [ "$WORKERS" -eq 1 ]; then master="master_process off;"; else master="master_process on;"; fi
# keepalive_requests: nginx closes a kept-alive connection after 1,000 requests by default;
# anchor does not, so nginx gets the same. access_log off: anchor logs only answers >= 400.
cat > nginx/nginx.conf <<CONF
daemon off;
$master
worker_processes $WORKERS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp;
  scgi_temp_path $WORK/nginx/tmp;
  types { }
  default_type application/ocsp-response;
  server {
    listen 127.0.0.1:$NPORT;
    listen 127.0.0.1:$NSPORT ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $ANCHOR_HOME/server.crt;
    ssl_certificate_key $ANCHOR_HOME/server.key;
    root $WORK/nginx/www;
    # Every GET /ocsp/<anything> is the one pre-signed answer, as for a static OCSP mirror.
    location /ocsp/ { try_files /resp.der =404; }
  }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2> nginx/stderr &
NPID=$!; PIDS+=($NPID); wait_port "$NPORT" nginx/stderr; wait_port "$NSPORT" nginx/stderr

# Same bytes, same type, from both, over both transports.
for url in "http://127.0.0.1:$NPORT" "https://localhost:$NSPORT" "https://localhost:$APORT"; do
  curl -sf --cacert "$ANCHOR_HOME/root.crt" -D hdr -o got.der "$url/ocsp/$B64"
  cmp -s got.der resp.der || { echo "$url answers other bytes" >&2; exit 1; }
  grep -qi '^content-type: application/ocsp-response' hdr || { echo "$url: wrong type" >&2; exit 1; }
done

# run SERVER_PID URL N [flags]: prints "rate cpu_us_per_response p50_us" of one anchor-load run.
run() {
  local pid=$1 url=$2 n=$3; shift 3
  local before after
  before=$(cpu_tree "$pid")
  "$LOAD" ocsp --get --url "$url" --request req.der --ca "$ANCHOR_HOME/root.crt" --n "$n" "$@" > run.out
  after=$(cpu_tree "$pid")
  python3 - "$before" "$after" "$TICK" "$n" <<'PY'
import re, sys
b, a, tick, n = map(int, sys.argv[1:])
out = open("run.out").read()
rate = float(re.search(r"rate=([0-9.]+)", out).group(1))
p50 = float(re.search(r"p50_us=([0-9.]+)", out).group(1))
print(f"{rate:.1f} {(a - b) * 1e6 / tick / n:.1f} {p50:.0f}")
PY
}
median() { python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }

echo "Cells: responses/s (median of $ROUNDS rounds); in brackets the server's CPU µs per response"
echo "and the client's median latency µs (medians over the rounds)."
echo
echo "| transport | connection | concurrency | anchor | nginx (static file) | anchor / nginx rate | anchor / nginx CPU per response | anchor / nginx p50 |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
for transport in http https; do
  for fresh in "" --fresh; do
    for c in 1 8; do
      if [ -z "$fresh" ]; then n=20000; elif [ $transport = http ]; then n=5000; else n=1500; fi
      n=$((n / QUICK))
      if [ $transport = http ]; then
        aurl="http://127.0.0.1:$HPORT/ocsp"; nurl="http://127.0.0.1:$NPORT/ocsp"
      else
        aurl="https://localhost:$APORT/ocsp"; nurl="https://localhost:$NSPORT/ocsp"
      fi
      ar=(); ac=(); al=(); nr=(); nc=(); nl=()
      for _ in $(seq 1 "$ROUNDS"); do
        out=$(run "$APID" "$aurl" "$n" --concurrency "$c" $fresh); read -r r cpu lat <<< "$out"
        ar+=("$r"); ac+=("$cpu"); al+=("$lat")
        out=$(run "$NPID" "$nurl" "$n" --concurrency "$c" $fresh); read -r r cpu lat <<< "$out"
        nr+=("$r"); nc+=("$cpu"); nl+=("$lat")
      done
      a=$(median "${ar[@]}"); acpu=$(median "${ac[@]}"); alat=$(median "${al[@]}")
      ng=$(median "${nr[@]}"); ncpu=$(median "${nc[@]}"); nlat=$(median "${nl[@]}")
      mode=$([ -z "$fresh" ] && echo "keep-alive" || echo "new each")
      python3 - "$transport" "$mode" "$c" "$a" "$acpu" "$alat" "$ng" "$ncpu" "$nlat" "${ar[*]}" "${nr[*]}" "${ac[*]}" "${nc[*]}" <<'PY'
import sys
t, mode, c, a, acpu, alat, n, ncpu, nlat, ar, nr, ac, nc = sys.argv[1:]
a, acpu, alat, n, ncpu, nlat = map(float, (a, acpu, alat, n, ncpu, nlat))
print(f"| {t.upper()} | {mode} | {c} | {a:,.0f} ({acpu:.0f}; {alat:.0f}) | {n:,.0f} ({ncpu:.0f}; {nlat:.0f}) "
      f"| {a / n:.2f} | {acpu / ncpu if ncpu else float('nan'):.2f} | {alat / nlat:.2f} |")
print(f"rounds {t} {mode} c={c}: rate anchor {ar}; nginx {nr}; cpu anchor {ac}; nginx {nc}", file=sys.stderr)
PY
    done
  done
done
echo
# anchor's answer must not have changed under the load (the cache served every response).
curl -sf -o after.der "http://127.0.0.1:$HPORT/ocsp/$B64"
cmp -s after.der resp.der && same="the same bytes" || same="a newly signed answer"
echo "Response: $(stat -c %s resp.der) bytes of DER; after the run anchor answered $same."
echo "Load average at the end: $(loadavg)."
