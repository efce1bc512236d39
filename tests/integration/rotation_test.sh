#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor ca rotate` against real peers: certificates of the old and the new intermediate both
# verified by `openssl verify -x509_strict`; OCSP answered for each by its own generation
# (`openssl ocsp` at the URL in the certificate); each generation's CRL at its own CDP URL,
# verified by openssl, a revoked old-generation certificate in the old CRL only; EST cacerts
# holding both; an agent enrolling after the rotation; the caIssuers URLs; `anchor verify` of
# leaves of both; and Mosquitto with anchor's plugin, started before the rotation, admitting
# clients of both generations and still dropping a revoked old-generation client. serve, running
# throughout, takes each new generation up: on SIGHUP, and by itself.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
: "${ANCHOR_PLUGIN:?ANCHOR_PLUGIN must name anchor_mosquitto.so}"
PROBE=(/usr/bin/python3 "$TESTS_DIR/mqtt_probe.py")
issue() { anchor issue --cn "$1" --profile "$2" --cert "$1.crt" --key "$1.key" -q 2>/dev/null; }
# url_of CERT EXT: the URI in the certificate's CRL distribution point (crl) or AIA (ocsp, ca).
url_of() {
  case $2 in
    crl) openssl x509 -in "$1" -noout -ext crlDistributionPoints | sed -n 's/.*URI://p' ;;
    ocsp) openssl x509 -in "$1" -noout -ocsp_uri ;;
    ca) openssl x509 -in "$1" -noout -ext authorityInfoAccess | sed -n 's/.*CA Issuers - URI://p' ;;
  esac | head -1 | tr -d ' '
}

HTTP=$(free_port)
anchor init --name fleet --public-url "http://127.0.0.1:$HTTP" -q
start_anchor_serve --http-listen "127.0.0.1:$HTTP"
issue localhost peer  # the broker
for d in dev-old dev-gone dev-keep; do issue "$d" device; done
cp "$ANCHOR_HOME/intermediate.crt" gen1.crt

cat > acl.toml <<'TOML'
[roles]
device = "urn:anchor:device:{cn}"

[[allow]]
role = "device"
publish = ["devices/{cn}/#"]
subscribe = ["commands/{cn}/#"]
TOML
MP=$(free_port)
mosquitto_conf "$MP" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key "acl_file $WORK/acl.toml" \
  "poll_ms 100" > broker.conf
start_mosquitto broker.conf "$MP"
MLOG="$WORK/mosquitto-$MP.log"
probe() { "${PROBE[@]}" "$1" --port "$MP" --cafile "$ANCHOR_HOME/root.crt" "${@:2}"; }
probe connect --cert dev-old.crt --key dev-old.key >/dev/null || fail "dev-old refused before the rotation"

# The rotation, timed (the machine is shared with other builds: a rough figure).
start_ns=$(date +%s%N)
anchor ca rotate -q --json > rotate.out || fail "anchor ca rotate"
rotate_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["generation"] == 2 and d["retired"] == 1, d' \
  rotate.out || fail "rotate printed '$(cat rotate.out)', not the new generation"
[ "$(cat "$ANCHOR_HOME/intermediates/current")" = 2 ] || fail "intermediates/current does not name 2"
cmp -s "$ANCHOR_HOME/intermediate.crt" "$ANCHOR_HOME/intermediates/2/intermediate.crt" \
  && cmp -s "$ANCHOR_HOME/intermediate.key" "$ANCHOR_HOME/intermediates/2/intermediate.key" \
  || fail "the home's intermediate.crt and .key are not generation 2's"
cp "$ANCHOR_HOME/intermediate.crt" gen2.crt
openssl x509 -in gen2.crt -noout -subject | has "fleet Intermediate CA G2" || fail "new intermediate's name"
openssl verify -x509_strict -CAfile "$ANCHOR_HOME/root.crt" gen2.crt >/dev/null || fail "gen2 does not verify"
cmp -s gen1.crt "$ANCHOR_HOME/intermediates/1/intermediate.crt" || fail "generation 1 was not kept"
python3 - "$ANCHOR_HOME/anchor.db" <<'PY' || fail "the store does not record the issuer of each certificate"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("PRAGMA user_version").fetchone()[0] == 6
assert db.execute("SELECT COUNT(*) FROM certificates WHERE issuer_fingerprint IS NULL").fetchone()[0] == 0
PY
pass "anchor ca rotate: generation 2 in place, generation 1 kept, in ${rotate_ms} ms"

# serve, running since before the rotation, takes the new intermediate up on SIGHUP.
hup_and_wait
grep "anchor serve: reloaded " "$WORK/serve.log" | tail -1 \
  | has "generation 2, fleet Intermediate CA G2, issues now; generation 1 is retired and answers OCSP and /crl until" \
  || { cat "$WORK/serve.log"; fail "the reload does not say generation 2 issues now"; }
issue dev-new device
openssl x509 -in dev-new.crt -noout -issuer | has "G2" || fail "a new certificate came from the old intermediate"
# /metrics watches the expiry of both generations (the retired one still signs OCSP and its CRL).
"${CURL[@]}" --cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key" "$BASE/metrics" > metrics.txt \
  || fail "GET /metrics"
# The retired one under a role of its own: the alert on the issuing intermediate's expiry must not
# fire for a generation that is expected to run out.
[ "$(grep -c '^anchor_certificate_expiry_seconds{role="intermediate"' metrics.txt)" = 1 ] \
  && [ "$(grep -c '^anchor_certificate_expiry_seconds{role="retired_intermediate"' metrics.txt)" = 1 ] \
  || { grep expiry metrics.txt; fail "/metrics does not watch both intermediates, one under each role"; }
grep '^anchor_certificate_expiry_seconds{role="intermediate"' metrics.txt | has "G2" \
  || { grep expiry metrics.txt; fail "role=intermediate is not the issuing generation"; }

# openssl verify -x509_strict: each leaf with its own intermediate.
openssl verify -x509_strict -purpose sslclient -CAfile "$ANCHOR_HOME/root.crt" -untrusted gen1.crt \
  dev-old.crt >/dev/null || fail "old-generation leaf"
openssl verify -x509_strict -purpose sslclient -CAfile "$ANCHOR_HOME/root.crt" -untrusted gen2.crt \
  dev-new.crt >/dev/null || fail "new-generation leaf"
openssl x509 -in dev-old.crt -out old-leaf.pem
openssl x509 -in dev-new.crt -out new-leaf.pem
anchor verify old-leaf.pem | has "fleet Intermediate CA ->" || fail "anchor verify, old leaf alone"
anchor verify new-leaf.pem | has "fleet Intermediate CA G2" || fail "anchor verify, new leaf alone"
pass "openssl verify -x509_strict: old and new leaves; anchor verify finds either intermediate"

# EST cacerts holds both intermediates and the root; caIssuers serves each generation.
"${CURL[@]}" "$BASE/.well-known/est/cacerts" | base64 -d \
  | openssl pkcs7 -inform DER -print_certs -out cacerts.pem || fail "cacerts"
[ "$(grep -c "BEGIN CERTIFICATE" cacerts.pem)" = 3 ] || fail "cacerts holds $(grep -c BEGIN cacerts.pem) certificates"
has "subject=O = fleet, CN = fleet Intermediate CA$" cacerts.pem || fail "cacerts lacks generation 1"
has "subject=O = fleet, CN = fleet Intermediate CA G2" cacerts.pem || fail "cacerts lacks generation 2"
for pair in "dev-old.crt gen1.crt" "dev-new.crt gen2.crt"; do
  set -- $pair
  url=$(url_of "$1" ca)
  curl -sS --max-time 10 "$url" -o aia.der || fail "GET $url"
  [ "$(openssl x509 -inform DER -in aia.der -noout -fingerprint -sha256)" = \
    "$(openssl x509 -in "$2" -noout -fingerprint -sha256)" ] || fail "$url is not $2"
done
pass "cacerts holds both intermediates and the root; each caIssuers URL serves its generation"

# OCSP, at the URL in each certificate, answered by the generation that issued it.
ocsp() {  # ocsp CERT ISSUER: the status line
  openssl ocsp -issuer "$2" -cert "$1" -url "$(url_of "$1" ocsp)" -CAfile "$ANCHOR_HOME/root.crt" \
    -no_nonce 2>&1
}
ocsp dev-old.crt gen1.crt | has "dev-old.crt: good" || { ocsp dev-old.crt gen1.crt; fail "OCSP, old generation"; }
ocsp dev-old.crt gen1.crt | has "Response verify OK" || fail "OCSP answer for the old generation does not verify"
ocsp dev-new.crt gen2.crt | has "dev-new.crt: good" || fail "OCSP, new generation"
anchor revoke "$(serial_of dev-gone.crt)" --reason keyCompromise -q
ocsp dev-gone.crt gen1.crt | has "dev-gone.crt: revoked" || fail "OCSP: revoked old-generation certificate"
ocsp dev-new.crt gen2.crt | has "dev-new.crt: good" || fail "OCSP, new generation after the revocation"
pass "OCSP (openssl ocsp): old and new generation good, a revoked old-generation certificate revoked"

# Each CRL at its own CDP URL: signed by its generation, the revocation in the old one only.
crl_url_old=$(url_of dev-old.crt crl)
crl_url_new=$(url_of dev-new.crt crl)
[ "$crl_url_old" = "http://127.0.0.1:$HTTP/crl" ] || fail "old CDP $crl_url_old"
[ "$crl_url_new" = "http://127.0.0.1:$HTTP/crl/2" ] || fail "new CDP $crl_url_new"
curl -sS --max-time 10 "$crl_url_old" -o old.crl && curl -sS --max-time 10 "$crl_url_new" -o new.crl \
  || fail "GET the CRLs"
cat gen1.crt "$ANCHOR_HOME/root.crt" > chain1.pem
cat gen2.crt "$ANCHOR_HOME/root.crt" > chain2.pem
openssl crl -inform DER -in old.crl -CAfile chain1.pem -noout 2>&1 | has "verify OK" || fail "old CRL signature"
openssl crl -inform DER -in new.crl -CAfile chain2.pem -noout 2>&1 | has "verify OK" || fail "new CRL signature"
openssl crl -inform DER -in old.crl -noout -text | has -i "$(serial_of dev-gone.crt)" || fail "old CRL lacks dev-gone"
! openssl crl -inform DER -in new.crl -noout -text | has "Serial Number" || fail "new CRL lists a revocation"
openssl crl -inform DER -in old.crl -out old.crl.pem
openssl crl -inform DER -in new.crl -out new.crl.pem
openssl verify -x509_strict -crl_check -CRLfile old.crl.pem -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted gen1.crt dev-gone.crt > v.out 2>&1 && fail "openssl accepted revoked dev-gone"
has "certificate revoked" v.out || { cat v.out; fail "dev-gone not refused as revoked"; }
openssl verify -x509_strict -crl_check -CRLfile old.crl.pem -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted gen1.crt dev-old.crt >/dev/null || fail "openssl -crl_check: dev-old"
openssl verify -x509_strict -crl_check -CRLfile new.crl.pem -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted gen2.crt dev-new.crt >/dev/null || fail "openssl -crl_check: dev-new"
pass "CRLs: /crl (generation 1) and /crl/2 each verified by openssl; dev-gone revoked in the old one"

# An agent enrolls after the rotation: its chain is the new intermediate's.
anchor token create --cn pump-1 -q > token.txt
"$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn pump-1 --key pump.key \
  --cert pump.crt --ca-out ca.pem --token-file token.txt --once 2> agent.log \
  || { cat agent.log; fail "agent enrollment after the rotation"; }
openssl x509 -in pump.crt -noout -issuer | has "G2" || fail "the agent got an old-generation certificate"
[ "$(grep -c "BEGIN CERTIFICATE" pump.crt)" = 2 ] || fail "the agent's chain holds other intermediates"
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem -untrusted pump.crt pump.crt >/dev/null \
  || fail "the agent's chain does not verify"
pass "anchor-agent enrolls after the rotation: leaf + generation 2, verified by openssl"

# A device of the old generation: its leaf alone still opens TLS to serve (serve knows the
# retired intermediate), and its renewal comes from generation 2.
[ "$(http_status --cert old-leaf.pem --key dev-old.key "$BASE/hello")" = 200 ] \
  || fail "serve refused an old-generation client that sent only its leaf"
cp dev-old.crt renew-me.crt
anchor renew --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cert renew-me.crt --key dev-old.key \
  -q 2> renew.log || { cat renew.log; fail "renewal of an old-generation certificate"; }
openssl x509 -in renew-me.crt -noout -issuer | has "G2" || fail "the renewal came from the old intermediate"
openssl verify -x509_strict -purpose sslclient -CAfile "$ANCHOR_HOME/root.crt" -untrusted gen2.crt \
  renew-me.crt >/dev/null || fail "the renewed certificate does not verify"
pass "an old-generation device: its leaf alone opens TLS; its renewal comes from generation 2"

# The broker, running since before the rotation: both generations in, revoked old one out.
for _ in $(seq 1 100); do
  probe connect --cert dev-new.crt --key dev-new.key >/dev/null && break
  sleep 0.2
done
probe connect --cert dev-new.crt --key dev-new.key >/dev/null || { tail -5 "$MLOG"; fail "plugin refused a new-generation client"; }
probe connect --cert pump.crt --key pump.key >/dev/null || fail "plugin refused the agent's certificate"
probe connect --cert dev-old.crt --key dev-old.key >/dev/null || fail "plugin refused an old-generation client after the rotation"
probe connect --cert dev-gone.crt --key dev-gone.key > out.json && fail "revoked dev-gone admitted"
probe kick --cert dev-old.crt --key dev-old.key --topic 'commands/dev-old/#' \
  --revoke "$ANCHOR revoke --server $BASE $(serial_of dev-old.crt) --reason keyCompromise -q" \
  > kick.json || { cat kick.json; fail "revoked old-generation dev-old was not dropped"; }
has "disconnecting client .* 'dev-old' .*revoked" "$MLOG" || fail "the kick is not logged"
pass "Mosquitto plugin (started before the rotation): new, agent's and old clients admitted; revoked old-generation clients refused and dropped"

# A backup after the rotation restores both generations: the new one issues, the old one answers.
echo "backup secret" > pass.txt
anchor --passphrase-file pass.txt backup --out rot.backup --with-keys > /dev/null || fail "backup"
anchor --passphrase-file pass.txt restore rot.backup --home "$WORK/restored" > /dev/null || fail "restore"
ANCHOR_HOME="$WORK/restored" anchor --passphrase-file pass.txt issue --cn dev-r --profile device \
  --cert dev-r.crt --key dev-r.key -q 2>/dev/null || fail "issuing from the restored home"
openssl x509 -in dev-r.crt -noout -issuer | has "G2" || fail "the restored home issues from generation 1"
ANCHOR_HOME="$WORK/restored" anchor verify old-leaf.pem >/dev/null || fail "restored home lost generation 1"
ANCHOR_HOME="$WORK/restored" anchor --passphrase-file pass.txt ocsp respond --request <(
  openssl ocsp -issuer gen1.crt -cert dev-old.crt -no_nonce -reqout /dev/stdout 2>/dev/null) \
  --out restored.ocsp -q || fail "OCSP from the restored home"
openssl ocsp -respin restored.ocsp -issuer gen1.crt -cert dev-old.crt -CAfile "$ANCHOR_HOME/root.crt" \
  2>&1 | has "dev-old.crt: revoked" || fail "the restored home's OCSP answer for dev-old"
pass "backup and restore after the rotation: generation 2 issues, generation 1 answers OCSP"

# Without a SIGHUP: serve notices intermediates/current changed (within 10 s) and issues from
# the generation it names.
anchor ca rotate -q > /dev/null || fail "the second rotation"
for _ in $(seq 1 150); do
  has "took up the intermediate (generation 3" "$WORK/serve.log" && break
  sleep 0.1
done
has "took up the intermediate (generation 3, fleet Intermediate CA G3, issues now; generation 2 is retired" \
  "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "serve did not take generation 3 up by itself"; }
anchor token create --cn pump-3 -q > token3.txt
"$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn pump-3 --key pump3.key \
  --cert pump3.crt --ca-out ca3.pem --token-file token3.txt --once 2> agent3.log \
  || { cat agent3.log; fail "agent enrollment after the second rotation"; }
openssl x509 -in pump3.crt -noout -issuer | has "G3" || fail "serve issued from an older generation"
openssl x509 -in dev-keep.crt -out keep-leaf.pem
[ "$(http_status --cert keep-leaf.pem --key dev-keep.key "$BASE/hello")" = 200 ] \
  || fail "generation 1's leaf refused after the second rotation"
openssl x509 -in pump.crt -out pump-leaf.pem
[ "$(http_status --cert pump-leaf.pem --key pump.key "$BASE/hello")" = 200 ] \
  || fail "generation 2's leaf refused after the second rotation"
"${CURL[@]}" --cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key" "$BASE/metrics" > metrics3.txt \
  || fail "GET /metrics"
grep '^anchor_certificate_expiry_seconds{role="intermediate"' metrics3.txt | has "G3" \
  && [ "$(grep -c '^anchor_certificate_expiry_seconds{role="retired_intermediate"' metrics3.txt)" = 2 ] \
  || { grep expiry metrics3.txt; fail "/metrics does not show generation 3 issuing, 1 and 2 retired"; }
pass "a rotation with no SIGHUP: serve took generation 3 up by itself, generations 1 and 2 still accepted"
