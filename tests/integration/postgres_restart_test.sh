#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor serve` on PostgreSQL while the database restarts, on a cluster of its own (so that the
# shared test cluster is not stopped): while it is down, an enrollment, a revocation and /crl
# answer 503 with Retry-After and a one-line reason, the server's log has a line for each,
# /healthz still answers and nothing is half-written (the token is still unused, psql says);
# once PostgreSQL is back, serve reconnects by itself: the same token enrolls, the revocation
# goes through, and `anchor audit verify` passes; its LISTEN connection is back too, so a waiting
# feed request answers when another process revokes.
source "$(dirname "$0")/lib.sh"
CLUSTER="$TESTS_DIR/../postgres/cluster.sh"
# Outside $WORK: as root the cluster runs as the user `postgres`, who cannot enter $WORK.
PG=$(mktemp -u /tmp/anchor-pgr.XXXXXX)
bash "$CLUSTER" start "$PG" > /dev/null || fail "starting PostgreSQL"
pg_pid() { head -1 "$PG/data/postmaster.pid"; }
PIDS+=("$(pg_pid)")
trap 'bash "$CLUSTER" stop "$PG"; cleanup' EXIT
URL="postgresql://anchor@/postgres?host=$PG"

anchor init --name restart --store "$URL" -q 2> init.err || { cat init.err; fail "anchor init --store"; }
start_anchor_serve
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
csr() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -subj "/CN=$1" -outform DER -out "$1.der" 2>/dev/null && base64 "$1.der" > "$1.b64"
}
enroll() {  # enroll NAME TOKEN: the HTTP status; headers in h.txt, body in out.txt
  "${CURL[@]}" -D h.txt -o out.txt -w '%{http_code}' -H "Authorization: Bearer $2" \
    -H "Content-Type: application/pkcs10" --data-binary "@$1.b64" \
    "$BASE/.well-known/est/simpleenroll" || true
}
status() { "${CURL[@]}" -D h.txt -o out.txt -w '%{http_code}' "$@" || true; }
csr dev-1
csr dev-2
t1=$(anchor token create --cn dev-1 -q)
t2=$(anchor token create --cn dev-2 -q)
[ "$(enroll dev-1 "$t1")" = 200 ] || fail "enrollment with PostgreSQL up: $(cat out.txt)"
base64 -d out.txt | openssl pkcs7 -inform DER -print_certs -out dev-1.crt
serial=$(openssl x509 -in dev-1.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')

bash "$CLUSTER" pause "$PG" || fail "stopping PostgreSQL"
[ "$(enroll dev-2 "$t2")" = 503 ] || fail "enrollment with PostgreSQL down: $(cat out.txt)"
grep -qi "^retry-after: [0-9]" h.txt || fail "the 503 has no Retry-After"
[ "$(wc -l < out.txt)" = 1 ] && has -i "postgres" out.txt || fail "the reason: $(cat out.txt)"
[ "$(status "${ADMIN[@]}" -X POST -H 'Content-Type: application/json' -d '{"reason":"keyCompromise"}' \
  "$BASE/api/v1/certificates/$serial/revoke")" = 503 ] || fail "revocation with PostgreSQL down: $(cat out.txt)"
[ "$(status "$BASE/crl")" = 503 ] || fail "/crl with PostgreSQL down: $(cat out.txt)"
[ "$(status "$BASE/healthz")" = 200 ] || fail "serve stopped serving"
[ "$(grep -c 'status=503' "$WORK/serve.log")" -ge 3 ] || { cat "$WORK/serve.log"; fail "no log line per 503"; }
kill -0 "$SERVE_PID" || fail "serve exited"
pass "PostgreSQL down: enroll, revoke and /crl answer 503 + Retry-After with one line, logged; /healthz answers"

bash "$CLUSTER" resume "$PG" || fail "starting PostgreSQL again"
PIDS+=("$(pg_pid)")
[ "$(dbsql "SELECT used_at IS NULL FROM tokens WHERE common_name = 'dev-2'")" = t ] \
  || fail "the refused enrollment consumed its token"
[ "$(dbsql "SELECT count(*) FROM certificates WHERE common_name = 'dev-2'")" = 0 ] || fail "a row for dev-2"
[ "$(enroll dev-2 "$t2")" = 200 ] || fail "the same token once PostgreSQL is back: $(cat out.txt)"
base64 -d out.txt | openssl pkcs7 -inform DER -print_certs -out dev-2.crt
[ "$(status "${ADMIN[@]}" -X POST -H 'Content-Type: application/json' -d '{"reason":"keyCompromise"}' \
  "$BASE/api/v1/certificates/$serial/revoke")" = 200 ] || fail "revocation once PostgreSQL is back: $(cat out.txt)"
[ "$(status "$BASE/crl")" = 200 ] || fail "/crl once PostgreSQL is back"
anchor audit verify > audit.out || { cat audit.out; fail "anchor audit verify"; }
pass "PostgreSQL back: serve reconnected by itself; the same token enrolls (it was not consumed), the revocation goes through, the audit chain verifies"

# The replica's LISTEN connection comes back by itself too: once it does, a feed request waits
# again (until then it answers at once, so that a follower polls), and answers when another
# process (an offline anchor revoke) commits a revocation.
c=$("${CURL[@]}" "$BASE/api/v1/revocations?since=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cursor"])')
listening=no
for i in $(seq 1 20); do
  t0=$(now_ms)
  "${CURL[@]}" "$BASE/api/v1/revocations?since=$c&wait=1s" > /dev/null || fail "feed after the restart"
  [ $(( $(now_ms) - t0 )) -ge 900 ] && { listening=yes; break; }
  sleep 0.5
done
[ "$listening" = yes ] || fail "the feed never waited again after PostgreSQL came back"
has "cannot see the revocations of other processes now" "$WORK/serve.log" \
  && has "sees the revocations of other processes again" "$WORK/serve.log" \
  || { cat "$WORK/serve.log"; fail "the LISTEN connection's loss and return are not logged"; }
"${CURL[@]}" "$BASE/api/v1/revocations?since=$c&wait=30s" > pushed.json &
waiter=$!
sleep 0.5
kill -0 "$waiter" 2>/dev/null || fail "the feed answered before the revocation"
serial2=$(openssl x509 -in dev-2.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
anchor revoke "$serial2" -q || fail "offline anchor revoke"
wait "$waiter" || fail "the waiting feed request"
has "$serial2" pushed.json || fail "the pushed answer: $(cat pushed.json)"
pass "serve LISTENs again after the restart: a waiting feed request answers when an offline anchor revoke commits"
