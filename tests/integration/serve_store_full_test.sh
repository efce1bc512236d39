#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor serve when its store cannot be written: the CA home is a 2 MiB tmpfs (in a user and
# mount namespace of this test's own), filled to the last byte while the server runs. Every
# request that must write (EST enrollment, the CRL, token creation over the admin API) is a 503
# with Retry-After and a one-line reason, and one line in the server's log naming the cause; the
# server keeps serving what needs no write; anchor-agent exits 75 (try again later), not 1; the
# token that paid for the failed attempts is still good once space is freed (h08's kind; the
# other causes, an I/O error, a read-only or locked database, map the same way: store_test).
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"

if ! unshare --user --map-root-user --mount true 2>/dev/null; then
  echo "SKIP: this kernel does not allow user and mount namespaces (unshare -rm)"
  exit 77
fi
mkdir mnt

cat > inside.sh <<'INSIDE'
set -euo pipefail
source "$WORK/lib.sh.inside"
mount -t tmpfs -o size=2m tmpfs "$WORK/mnt"
export ANCHOR_HOME="$WORK/mnt/ca"
"$ANCHOR" init --name full -q
"$ANCHOR" serve --listen 127.0.0.1:0 > "$WORK/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true; wait $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log")
[ -n "$PORT" ] || { cat "$WORK/serve.log"; fail "anchor serve did not start"; }
BASE="https://localhost:$PORT"
CURL=(curl -sS --max-time 10 --resolve "localhost:$PORT:127.0.0.1" --cacert "$ANCHOR_HOME/root.crt")
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
TOKEN=$("$ANCHOR" token create --cn dev-full -q)
csr() {  # csr CN: a base64 DER CSR for CN in $WORK/CN.b64
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/$1.key" \
    -subj "/CN=$1" -outform DER 2>/dev/null | base64 > "$WORK/$1.b64"
}
enroll() {  # enroll CN TOKEN: the status; headers in $WORK/h.txt, body in $WORK/out.txt
  "${CURL[@]}" -D "$WORK/h.txt" -o "$WORK/out.txt" -w '%{http_code}' -H "Authorization: Bearer $2" \
    -H "Content-Type: application/pkcs10" --data-binary @"$WORK/$1.b64" \
    "$BASE/.well-known/est/simpleenroll" || true
}
status() { "${CURL[@]}" -o "$WORK/out.txt" -w '%{http_code}' "$@" || true; }
csr dev-full
log_lines() { grep -c "$1" "$WORK/serve.log" || true; }

dd if=/dev/zero of="$WORK/mnt/filler" bs=4k 2>/dev/null || true
[ "$(df --output=avail "$WORK/mnt" | tail -1 | tr -d ' ')" = 0 ] || fail "the disk is not full"
[ "$(enroll dev-full "$TOKEN")" = 503 ] || fail "simpleenroll on a full disk: $(cat "$WORK/out.txt")"
grep -qi "^retry-after: [0-9]" "$WORK/h.txt" || fail "the 503 has no Retry-After"
grep -q "database or disk is full" "$WORK/out.txt" || fail "the 503 should say why: $(cat "$WORK/out.txt")"
[ "$(wc -l < "$WORK/out.txt")" = 1 ] || fail "the reason should be one line"
[ "$(status "$BASE/crl")" = 503 ] || fail "/crl on a full disk"
[ "$(status "${ADMIN[@]}" -H "Content-Type: application/json" -d '{"cn": "x-1"}' "$BASE/api/v1/tokens")" = 503 ] \
  || fail "token creation on a full disk: $(cat "$WORK/out.txt")"
[ "$(status "$BASE/healthz")" = 200 ] || fail "the server stopped serving"
[ "$(log_lines 'status=503 .*database or disk is full')" = 3 ] || { cat "$WORK/serve.log"; fail "expected one log line per 503"; }
pass "disk full: EST, /crl and token creation answer 503 + Retry-After with the reason; one log line each"

rc=0
"$ANCHOR_AGENT" run --once --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-full \
  --token "$TOKEN" --key "$WORK/dev/d.key" --cert "$WORK/dev/d.crt" 2> "$WORK/agent.log" || rc=$?
[ $rc = 75 ] || { cat "$WORK/agent.log"; fail "anchor-agent on a CA with a full disk: exit $rc, expected 75"; }
pass "anchor-agent: exit 75 (try again later), not 1"

rm "$WORK/mnt/filler"
[ "$(enroll dev-full "$TOKEN")" = 200 ] || fail "the same token once space is freed: $(cat "$WORK/out.txt")"
pass "space freed: the token of the failed attempts enrolls"

INSIDE

# Inside the namespace only what lib.sh's helpers need, without its scratch directory and traps.
sed -n '/^fail()/,/^pass()/p' "$TESTS_DIR/lib.sh" > "$WORK/lib.sh.inside"
mkdir dev
WORK="$WORK" ANCHOR="$ANCHOR" ANCHOR_AGENT="$ANCHOR_AGENT" unshare --user --map-root-user --mount bash inside.sh
