#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Expired client certificates (README: "revoked or expired (beyond renewal_grace_seconds) is 401";
# "A revoked or expired certificate is not retried: the agent stops with exit 1 and says why").
# TLS lets through a chain whose only fault is an expired leaf; every endpoint but simplereenroll
# then answers 401 saying so; simplereenroll renews within [server] renewal_grace_seconds (curl,
# `anchor-agent run --once`, and the resident agent by itself) and beyond it answers 401 "enroll
# again"; the agent stops (exit 1) and says why. An expired intermediate or root, a leaf not yet
# valid or one of an unknown CA still fail the handshake (factory chains: python3-cryptography).
# The agent reads a TLS alert from a peer that refuses its certificate at the handshake (openssl
# s_server: certificate expired, certificate revoked) as needing a person, not as a CA that is
# down. Waits once for 1-minute certificates to expire (about 65 s).
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"

anchor init --name expiry -q
TOML="$ANCHOR_HOME/anchor.toml"
ROOT="$ANCHOR_HOME/root.crt"
for p in client device admin; do
  sed -i "/^\[profiles.$p\]/,/^\[/ s/^default_minutes = .*/default_minutes = 1/" "$TOML"
done
sed -i 's/^renewal_grace_seconds = .*/renewal_grace_seconds = 3600/' "$TOML"

# Factory chains, made by python3-cryptography: each certificate with the validity it needs.
python3 - <<'PY'
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
now = datetime.datetime.now(datetime.timezone.utc)
day = datetime.timedelta(days=1)
def name(cn): return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def make(cn, issuer, issuer_key, start, end, ca=False):
    key = ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(name(cn))
         .issuer_name(issuer.subject if issuer else name(cn))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                            critical=False)
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256()), key
def save(stem, certs, key):
    with open(stem + ".crt", "wb") as f:
        for c in certs:
            f.write(c.public_bytes(serialization.Encoding.PEM))
    with open(stem + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
root, root_key = make("Factory Root", None, None, now - 30 * day, now + 3650 * day, ca=True)
old_root, old_root_key = make("Factory Old Root", None, None, now - 30 * day, now - day, ca=True)
save("factory-root", [root, old_root], root_key)  # bootstrap_ca: both roots
old_int, old_int_key = make("Factory Old Intermediate", root, root_key, now - 30 * day, now - day, ca=True)
foreign, foreign_key = make("Foreign Root", None, None, now - 30 * day, now + 30 * day, ca=True)
leaf, key = make("pump-1", root, root_key, now - day, now + 30 * day); save("f-valid", [leaf], key)
leaf, key = make("pump-2", root, root_key, now - 30 * day, now - day); save("f-expired", [leaf], key)
leaf, key = make("pump-3", root, root_key, now + day, now + 30 * day); save("f-future", [leaf], key)
leaf, key = make("pump-4", old_int, old_int_key, now - 2 * day, now + 30 * day)
save("f-old-intermediate", [leaf, old_int], key)
leaf, key = make("pump-5", foreign, foreign_key, now - 30 * day, now - day); save("f-foreign", [leaf], key)
leaf, key = make("pump-6", old_root, old_root_key, now - 2 * day, now + 30 * day); save("f-old-root", [leaf], key)
PY
sed -i "s|^bootstrap_ca = .*|bootstrap_ca = \"$WORK/factory-root.crt\"|" "$TOML"

# 1-minute certificates of this CA; what needs no waiting happens while they expire.
mkdir once daemon late revoked
anchor issue --cn dev-curl --profile client --cert curl.crt --key curl.key -q
anchor issue --cn ops-1 --profile admin --cert adm.crt --key adm.key -q
for d in once daemon late; do
  anchor issue --cn "dev-$d" --profile device --cert "$d/dev.crt" --key "$d/dev.key" -q
done
anchor issue --cn dev-revoked --profile device --days 1 --cert revoked/dev.crt --key revoked/dev.key -q
start_anchor_serve

# --- Factory chains: an expired leaf is a 401 that says so; every other fault fails TLS ---------
anchor enroll --server "$BASE" --ca-cert "$ROOT" --factory-cert f-valid.crt --factory-key f-valid.key \
  --cn pump-1 --key p1.key --cert p1.crt -q || fail "bootstrap with a valid factory certificate"
expect_fail "bootstrap with an expired factory certificate" \
  anchor enroll --server "$BASE" --ca-cert "$ROOT" --factory-cert f-expired.crt \
  --factory-key f-expired.key --cn pump-2 --key p2.key --cert p2.crt
has "401 client certificate .*(CN=pump-2) expired on" last.err || fail "the refusal should say expired: $(cat last.err)"
[ ! -e p2.crt ] && [ ! -e p2.key ] || fail "a refused enrollment left files"
[ "$(http_status --cert f-expired.crt --key f-expired.key "$BASE/healthz")" = 401 ] \
  || fail "an expired factory certificate on /healthz should be 401"
has "enroll again with a token" < http.out && ! has "simplereenroll" < http.out \
  || fail "a factory certificate cannot be renewed here, and the 401 should not say it can: $(cat http.out)"
pass "bootstrap: a valid factory certificate enrolls; an expired one gets a 401 naming its expiry, not a TLS alert"
for f in f-future f-old-intermediate f-old-root f-foreign; do
  code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' --cert "$f.crt" --key "$f.key" "$BASE/healthz" 2>/dev/null || true)
  [ "$code" = 000 ] || fail "$f: the handshake should fail, got HTTP $code"
done
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "the server stopped serving"
pass "a leaf not yet valid, an expired intermediate or root, an expired leaf of an unknown CA: the handshake fails as before"

# --- A peer that refuses the certificate with a TLS alert (openssl s_server) --------------------
# alert_peer CRL-ARGS...: openssl s_server verifying client certificates and refusing a bad one at
# the handshake; sets PEER (its URL).
alert_peer() {
  local port; port=$(free_port)
  openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$ANCHOR_HOME/server.crt" \
    -key "$ANCHOR_HOME/server.key" -cert_chain "$ANCHOR_HOME/intermediate.crt" -CAfile trust.pem \
    -Verify 2 -verify_return_error -www "$@" > "s_server-$port.log" 2>&1 &
  PEER_PID=$!
  PIDS+=($PEER_PID)
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$PEER_PID" 2>/dev/null || { cat "s_server-$port.log"; fail "openssl s_server did not start"; }
    sleep 0.1
  done
  PEER="https://localhost:$port"
}
cat "$ROOT" "$ANCHOR_HOME/intermediate.crt" > trust.pem
anchor revoke --cert revoked/dev.crt --reason keyCompromise -q
anchor crl --pem --out crl.pem -q
alert_peer -crl_check -CRL crl.pem
rc=0
"$ANCHOR_AGENT" run --once --server "$PEER" --ca-cert "$ROOT" --key revoked/dev.key \
  --cert revoked/dev.crt --renew-at 0 2> peer-revoked.log || rc=$?
[ $rc = 1 ] || { cat peer-revoked.log; fail "a TLS alert 'certificate revoked': exit $rc, expected 1"; }
has 'TLS alert "certificate revoked"' peer-revoked.log || fail "the agent should name the alert: $(cat peer-revoked.log)"
stop_pid "$PEER_PID"
pass "openssl s_server refuses a revoked certificate with a TLS alert: the agent stops (exit 1) and names it"

# --- Wait for the 1-minute certificates to expire ---------------------------------------------
for c in curl.crt adm.crt once/dev.crt daemon/dev.crt late/dev.crt; do
  for _ in $(seq 1 150); do openssl x509 -in "$c" -noout -checkend 0 > /dev/null || break; sleep 1; done
  ! openssl x509 -in "$c" -noout -checkend 0 > /dev/null || fail "$c did not expire"
done
sleep 2

# --- Within the grace period (3600 s) ---------------------------------------------------------
openssl req -new -key curl.key -subj /CN=dev-curl -outform DER 2>/dev/null | base64 > curl.b64
[ "$(http_status --cert curl.crt --key curl.key -H "Content-Type: application/pkcs10" \
     --data-binary @curl.b64 "$BASE/.well-known/est/simplereenroll")" = 200 ] \
  || fail "simplereenroll within the grace period: $(cat http.out)"
base64 -d http.out | openssl pkcs7 -inform DER -print_certs -out renewed.crt
openssl verify -x509_strict -purpose sslclient -CAfile "$ROOT" -untrusted "$ANCHOR_HOME/intermediate.crt" \
  renewed.crt > /dev/null || fail "the renewed certificate does not verify"
openssl x509 -in renewed.crt -noout -checkend 30 > /dev/null || fail "the renewed certificate is not valid"
pass "curl: an expired certificate renews at simplereenroll within the grace period (openssl verifies the new one)"
for target in /hello "/api/v1/revocations?since=0" /healthz /.well-known/est/cacerts /ocsp/MA; do
  [ "$(http_status --cert curl.crt --key curl.key "$BASE$target")" = 401 ] || fail "$target with an expired certificate"
  has "expired on .*renew it at /.well-known/est/simplereenroll within 3600 s" < http.out \
    || fail "$target: the 401 should say what to do: $(cat http.out)"
done
[ "$(http_status --cert adm.crt --key adm.key "$BASE/api/v1/certificates")" = 401 ] \
  || fail "the admin API with an expired admin certificate"
has "expired on" < http.out || fail "the admin API's 401 should say expired: $(cat http.out)"
[ "$(http_status --cert renewed.crt --key curl.key "$BASE/hello")" = 200 ] || fail "the renewed certificate on /hello"
pass "every other endpoint (hello, feed, healthz, cacerts, OCSP, admin API) answers an expired certificate 401 saying what to do"

"$ANCHOR_AGENT" run --once --server "$BASE" --ca-cert "$ROOT" --key once/dev.key --cert once/dev.crt \
  2> once.log || { cat once.log; fail "the agent did not renew within the grace period"; }
openssl x509 -in once/dev.crt -noout -checkend 30 > /dev/null || fail "the agent's certificate is still expired"
[ "$(openssl x509 -in once/dev.crt -noout -pubkey)" = "$(openssl pkey -in once/dev.key -pubout)" ] || fail "pair"
"$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ROOT" --key daemon/dev.key --cert daemon/dev.crt \
  2> daemon.log &
AGENT_PID=$!
PIDS+=($AGENT_PID)
for _ in $(seq 1 150); do has "renewed" < daemon.log && break; sleep 0.2; done
has "renewed" < daemon.log || { cat daemon.log; fail "the resident agent did not renew by itself"; }
stop_pid "$AGENT_PID"
openssl x509 -in daemon/dev.crt -noout -checkend 30 > /dev/null || fail "the daemon's certificate is still expired"
pass "anchor-agent renews an expired certificate within the grace period, once and resident"

# The same expired certificate against a peer that refuses it at the handshake.
alert_peer
rc=0
"$ANCHOR_AGENT" run --once --server "$PEER" --ca-cert "$ROOT" --key late/dev.key --cert late/dev.crt \
  2> peer-expired.log || rc=$?
[ $rc = 1 ] || { cat peer-expired.log; fail "a TLS alert 'certificate expired': exit $rc, expected 1"; }
has 'TLS alert "certificate expired"' peer-expired.log || fail "the agent should name the alert: $(cat peer-expired.log)"
stop_pid "$PEER_PID"
pass "openssl s_server refuses an expired certificate with a TLS alert: the agent stops (exit 1), not 75"

# --- Beyond the grace period (1 s) --------------------------------------------------------------
stop_anchor_serve
sed -i 's/^renewal_grace_seconds = .*/renewal_grace_seconds = 1/' "$TOML"
SERVE_LISTEN="127.0.0.1:$PORT" start_anchor_serve
openssl req -new -key late/dev.key -subj /CN=dev-late -outform DER 2>/dev/null | base64 > late.b64
[ "$(http_status --cert late/dev.crt --key late/dev.key -H "Content-Type: application/pkcs10" \
     --data-binary @late.b64 "$BASE/.well-known/est/simplereenroll")" = 401 ] || fail "beyond the grace period"
has "beyond the renewal grace period; enroll again with a token" < http.out || fail "the 401 should say enroll again: $(cat http.out)"
cp late/dev.crt late.before
rc=0
"$ANCHOR_AGENT" run --once --server "$BASE" --ca-cert "$ROOT" --key late/dev.key --cert late/dev.crt \
  2> late.log || rc=$?
[ $rc = 1 ] || { cat late.log; fail "expired beyond the grace period: exit $rc, expected 1"; }
has "enroll again with a token" late.log && has "not retrying" late.log || fail "the agent should say why: $(cat late.log)"
cmp -s late/dev.crt late.before || fail "a refused renewal changed the certificate"
rc=0
"$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ROOT" --key late/dev.key --cert late/dev.crt \
  2> late-daemon.log || rc=$?
[ $rc = 1 ] || { cat late-daemon.log; fail "the resident agent should stop with 1, not retry"; }
has "stopping: the last attempt needs attention" late-daemon.log || fail "the daemon should say it stops"
"$ANCHOR_AGENT" status --cert late/dev.crt | has "last error: .*enroll again" || fail "status should show the reason"
pass "beyond the grace period: 401 'enroll again'; the agent stops with exit 1, says why, and status shows it"
[ "$(grep -c 'expired on' serve.log)" -ge 1 ] || fail "the server logs no refusal"
stop_anchor_serve
