#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor serve` against its peers, same machine, same run, same load client (bench/anchor-load),
# same CA (anchor's intermediate signs for everyone), all on 127.0.0.1:
#   1. enrollments/s: anchor EST simpleenroll (token) vs `cfssl serve` /api/v1/cfssl/sign with its
#      SQLite certdb, HTTPS keep-alive and a new connection per request, concurrency 1, 8, 32;
#   2. OCSP responses/s over plain HTTP: anchor (--http-listen) vs `openssl ocsp -port` vs
#      `cfssl ocspserve` (responses pre-signed by `cfssl ocsprefresh`, dumped by `ocspdump`),
#      one nonce-less request;
#   3. full mTLS handshakes/s and server CPU per handshake: anchor (/healthz, 1 thread) vs nginx
#      (ssl_verify_client on, one process), same server certificate, TLS 1.3, same client cert;
#   4. anchor serve's resident memory idle and after the enrollment runs.
# Usage: bench/serve_bench.sh [BUILD_DIR]   Prints a Markdown report. QUICK=10 divides the
# enrollment counts by 10 (to check the script, not to measure).
set -euo pipefail
BUILD=$(realpath "${1:-build}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/bench/lib.sh"
LOAD="$BUILD/bench/anchor-load"
rate() { sed -n 's/.*rate=\([0-9.]*\).*/\1/p' "$1"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
TICK=$(getconf CLK_TCK)

"$ANCHOR" init --name bench -q
sed -i 's/^threads = .*/threads = 0/' "$ANCHOR_HOME/anchor.toml"
APORT=$(free_port); HPORT=$(free_port)
"$ANCHOR" serve --listen "127.0.0.1:$APORT" --http-listen "127.0.0.1:$HPORT" > anchor.log 2>&1 &
APID=$!; PIDS+=($APID); wait_port "$APORT" anchor.log
ABASE="https://localhost:$APORT"
idle_rss=$(ps -o rss= -p "$APID" | tr -d ' ')

# cfssl serve: anchor's intermediate as its CA, its SQLite certdb (schema of cfssl's migration
# 001), HTTPS with anchor's server certificate.
python3 - <<'PY'
import sqlite3
sqlite3.connect("certs.db").executescript("""
CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  ca_label blob, status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp,
  pem blob NOT NULL, PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  body blob NOT NULL, expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier));
""")
PY
echo '{"driver":"sqlite3","data_source":"'"$WORK"'/certs.db"}' > db.json
echo '{"signing":{"default":{"expiry":"8760h","usages":["digital signature","client auth"]}}}' > cfssl.json
CPORT=$(free_port)
cfssl serve -loglevel 2 -address 127.0.0.1 -port "$CPORT" -ca "$ANCHOR_HOME/intermediate.crt" \
  -ca-key "$ANCHOR_HOME/intermediate.key" -config cfssl.json -db-config db.json \
  -tls-cert "$ANCHOR_HOME/server.crt" -tls-key "$ANCHOR_HOME/server.key" > cfssl.log 2>&1 &
PIDS+=($!); wait_port "$CPORT" cfssl.log
CBASE="https://localhost:$CPORT"

echo "## Enrollments per second (anchor EST vs cfssl serve, same CSRs shape, same client)"
echo
echo "| transport | concurrency | anchor /s | cfssl /s | ratio |"
echo "| --- | --- | --- | --- | --- |"
for fresh in "" --fresh; do
  for c in 1 8 32; do
    n=$([ -z "$fresh" ] && echo 1000 || echo 300)
    n=$((n / ${QUICK:-1}))
    "$LOAD" enroll --url "$ABASE" --ca "$ANCHOR_HOME/root.crt" --admin-cert "$ANCHOR_HOME/admin.crt" \
      --admin-key "$ANCHOR_HOME/admin.key" --target anchor --n "$n" --concurrency "$c" $fresh > a.out
    "$LOAD" enroll --url "$CBASE" --ca "$ANCHOR_HOME/root.crt" --target cfssl --n "$n" \
      --concurrency "$c" $fresh > c.out
    mode=$([ -z "$fresh" ] && echo "HTTPS keep-alive" || echo "new TLS connection each")
    echo "| $mode | $c | $(rate a.out) | $(rate c.out) | $(ratio "$(rate a.out)" "$(rate c.out)") |"
  done
done
storm_rss=$(ps -o rss= -p "$APID" | tr -d ' ')
echo

# OCSP: one anchor certificate for anchor, one cfssl certificate for openssl and cfssl.
"$ANCHOR" issue --cn ocsp-probe --profile client --cert probe.crt --key probe.key -q
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert probe.crt -no_nonce -reqout a_req.der \
  -url http://127.0.0.1:1/ >/dev/null 2>&1 || true
cfssl_pem=$(python3 -c 'import sqlite3; print(sqlite3.connect("certs.db").execute("SELECT pem FROM certificates LIMIT 1").fetchone()[0])')
echo "$cfssl_pem" > cprobe.crt
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert cprobe.crt -no_nonce -reqout c_req.der \
  -url http://127.0.0.1:1/ >/dev/null 2>&1 || true
python3 - <<'PY'
import sqlite3, subprocess
# openssl ocsp's index.txt: every certificate cfssl issued, valid.
rows = sqlite3.connect("certs.db").execute("SELECT pem FROM certificates").fetchall()
with open("index.txt", "w") as out:
    for (pem,) in rows:
        pem = pem.decode() if isinstance(pem, bytes) else pem
        info = subprocess.run(["openssl", "x509", "-noout", "-serial", "-enddate", "-subject",
                               "-nameopt", "compat"], input=pem.encode(), capture_output=True).stdout.decode()
        f = dict(l.split("=", 1) for l in info.splitlines())
        import datetime
        end = datetime.datetime.strptime(f["notAfter"], "%b %d %H:%M:%S %Y %Z").strftime("%y%m%d%H%M%SZ")
        out.write(f"V\t{end}\t\t{f['serial']}\tunknown\t{f['subject']}\n")
PY
echo "unique_subject = no" > index.txt.attr  # the load's CSRs share subjects
OPORT=$(free_port)
# openssl ocsp cannot bind one address: it listens on all interfaces; the client uses loopback.
openssl ocsp -index index.txt -port "$OPORT" -rsigner "$ANCHOR_HOME/intermediate.crt" \
  -rkey "$ANCHOR_HOME/intermediate.key" -CA "$ANCHOR_HOME/intermediate.crt" -nmin 60 > openssl-ocsp.log 2>&1 &
OPID=$!; PIDS+=($OPID)
# Not wait_port: openssl ocsp spins forever on a connection closed before sending a request.
for _ in $(seq 1 100); do grep -q "waiting for OCSP client" openssl-ocsp.log && break; sleep 0.1; done
cfssl ocsprefresh -loglevel 2 -db-config db.json -ca "$ANCHOR_HOME/intermediate.crt" \
  -responder "$ANCHOR_HOME/intermediate.crt" -responder-key "$ANCHOR_HOME/intermediate.key" > refresh.log 2>&1
# cfssl 1.2 (Debian's) serves OCSP from a responses file: dump what ocsprefresh signed.
cfssl ocspdump -db-config db.json > responses
FPORT=$(free_port)
cfssl ocspserve -loglevel 2 -address 127.0.0.1 -port "$FPORT" -responses responses > ocspserve.log 2>&1 &
FPID=$!; PIDS+=($FPID); wait_port "$FPORT" ocspserve.log

echo "## OCSP responses per second (plain HTTP, one nonce-less request, same client)"
echo
echo "openssl ocsp serves one request per connection (HTTP/1.0), so it is measured with a new"
echo "connection per request, and compared with anchor in that mode."
echo
echo "Each cell: responses/s, and in brackets the server's CPU time per response (µs), which the"
echo "client sharing the two cores does not blur."
echo
echo "| connection | concurrency | anchor | openssl ocsp | cfssl ocspserve | anchor/openssl | anchor/cfssl |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
# ocsp_run PID N URL REQUEST [flags]: prints "rate (cpu µs)" of one run; the rate alone goes to
# last_rate (the function runs in a command substitution, so no variable survives it).
ocsp_run() {
  local pid=$1 n=$2 url=$3 req=$4; shift 4
  local before after
  before=$(cpu_ticks "$pid")
  "$LOAD" ocsp --url "$url" --request "$req" --n "$n" "$@" > run.out
  after=$(cpu_ticks "$pid")
  rate run.out > last_rate
  echo "$(rate run.out) ($(python3 -c "import sys; print(round((int(sys.argv[2])-int(sys.argv[1]))*1e6/int(sys.argv[3])/int(sys.argv[4])))" "$before" "$after" "$TICK" "$n"))"
}
for fresh in "" --fresh; do
  for c in 1 8; do
    a=$(ocsp_run "$APID" 5000 "http://127.0.0.1:$HPORT/ocsp" a_req.der --concurrency "$c" $fresh); ar=$(cat last_rate)
    f=$(ocsp_run "$FPID" 5000 "http://127.0.0.1:$FPORT/" c_req.der --concurrency "$c" $fresh); fr=$(cat last_rate)
    if [ -n "$fresh" ]; then
      o=$(ocsp_run "$OPID" 2000 "http://127.0.0.1:$OPORT/" c_req.der --concurrency "$c" --fresh)
      vs_o=$(ratio "$ar" "$(cat last_rate)")
    else
      o="—"; vs_o="—"
    fi
    mode=$([ -z "$fresh" ] && echo "keep-alive" || echo "new each")
    echo "| $mode | $c | $a | $o | $f | $vs_o | $(ratio "$ar" "$fr") |"
  done
done
echo

# Handshakes: anchor with one thread vs nginx with one process, both mTLS, TLS 1.3.
kill "$APID"; wait "$APID" 2>/dev/null || true
"$ANCHOR" serve --listen "127.0.0.1:$APORT" --threads 1 > anchor1.log 2>&1 &
APID=$!; PIDS+=($APID); wait_port "$APORT" anchor1.log
"$ANCHOR" issue --cn hs-client --profile client --cert hs.crt --key hs.key -q
NPORT=$(free_port)
source "$HERE/tests/integration/nginx_mtls.sh"
# warn: at info nginx logs every closed connection, which would bill it for our load.
NGINX_LOG_LEVEL=warn write_nginx_mtls_conf "$WORK/nginx" "$NPORT" "$ANCHOR_HOME/server.crt" \
  "$ANCHOR_HOME/server.key" "$ANCHOR_HOME/root.crt" 'location /healthz { return 200 "ok\n"; }'
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>nginx/stderr &
NPID=$!; PIDS+=($NPID); wait_port "$NPORT" nginx/stderr

echo "## Full mTLS handshakes (new connection, no resumption, GET /healthz, TLS 1.3, one server core)"
echo
echo "| server | concurrency | handshakes/s | server CPU ms/handshake |"
echo "| --- | --- | --- | --- |"
for c in 1 8; do
  for server in anchor nginx; do
    pid=$([ $server = anchor ] && echo "$APID" || echo "$NPID")
    port=$([ $server = anchor ] && echo "$APORT" || echo "$NPORT")
    before=$(cpu_ticks "$pid")
    "$LOAD" handshake --url "https://localhost:$port/healthz" --ca "$ANCHOR_HOME/root.crt" \
      --cert hs.crt --key hs.key --n 2000 --concurrency "$c" --fresh > h.out
    after=$(cpu_ticks "$pid")
    ms=$(python3 -c "import sys; print(f'{(int(sys.argv[2])-int(sys.argv[1]))*1000/int(sys.argv[3])/2000:.3f}')" "$before" "$after" "$TICK")
    echo "| $server | $c | $(rate h.out) | $ms |"
  done
done
echo
echo "## anchor serve resident memory"
echo
echo "| state | RSS KiB |"
echo "| --- | --- |"
echo "| idle after start | $idle_rss |"
echo "| after the enrollment runs (7,800 enrollments) | $storm_rss |"
