#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor serve`'s request log: one line per request with its time, request id (also the
# X-Request-Id the client got), remote address, peer identity (the client certificate's subject
# and serial, or "-"), route, status, latency, and the serial issued or revoked; --log-format
# json lines parse with Python's json; errors say what happened; a storm of 3,000 bad requests
# writes a bounded number of lines, and a summary accounts for every suppressed one. With
# --log-format json, every line on stderr is JSON, the lines of the lifecycle too (a warning, a
# reload, the stop); stdout has the start-up lines, as text.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_LOAD:?ANCHOR_LOAD must name bench/anchor-load}"

anchor init --name logs -q
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
# A key file others can read: serve warns at start and at each reload.
chmod 0644 "$ANCHOR_HOME/server.key"
SERVE_STDERR="$WORK/serve.err" start_anchor_serve --log-format json
has "listening on" serve.log || fail "stdout lacks the start-up lines"
"$ANCHOR_LOAD" enroll --url "$BASE" --ca "$ANCHOR_HOME/root.crt" \
  --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
  --n 3 --concurrency 1 --serials issued.txt > load.out || { cat load.out; fail "enrollments"; }
victim=$(head -1 issued.txt)
"${CURL[@]}" "${ADMIN[@]}" -D revoke.headers -o revoke.out -X POST -H 'Content-Type: application/json' \
  -d '{"reason":"keyCompromise"}' "$BASE/api/v1/certificates/$victim/revoke"
revoke_id=$(sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *\([^[:space:]]*\).*/\1/p' revoke.headers)
[ -n "$revoke_id" ] || fail "no X-Request-Id in the answer"
"${CURL[@]}" -o /dev/null "$BASE/healthz"
"${CURL[@]}" -o /dev/null "$BASE/no/such/endpoint" || true
"${CURL[@]}" -o /dev/null -X POST -H 'Content-Type: application/pkcs10' --data-binary 'not base64!' \
  -H 'Authorization: Bearer nosuchtoken' "$BASE/.well-known/est/simpleenroll" || true
admin_serial=$(openssl x509 -in "$ANCHOR_HOME/admin.crt" -noout -serial | cut -d= -f2 | tr A-F a-f)
admin_subject=$(openssl x509 -in "$ANCHOR_HOME/admin.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')

# The bad-request storm: 3,000 requests to an unknown path over keep-alive connections.
python3 - "$PORT" "$ANCHOR_HOME/root.crt" <<'PY' || fail "storm client"
import http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
conn = None
for i in range(3000):
    if conn is None:
        conn = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ctx, timeout=10)
    conn.request("GET", f"/nope/{i}")
    r = conn.getresponse(); r.read()
    assert r.status == 404, r.status
    if r.getheader("Connection", "").lower() == "close":
        conn.close(); conn = None
PY
# SIGHUP: the reload's line, through the same logger.
kill -HUP "$SERVE_PID"
for _ in $(seq 1 300); do
  grep -q '"msg":"reloaded ' serve.err && break
  sleep 0.1
done
# While serve still runs, the storm's last window is summed up too (the lifecycle thread writes
# ended windows' summaries at least every 10 s): every suppressed request is accounted for
# without waiting for the stop or another request.
python3 - serve.err <<'PY' || { tail -5 serve.err; fail "the storm's summary is not written while serving"; }
import json, sys, time
deadline = time.time() + 30
while True:
    records = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    written = sum(1 for r in records if r["msg"] == "request" and r["route"] == "other" and r["status"] == 404)
    suppressed = sum(r["suppressed"] for r in records if r.get("similar") == "GET other 404")
    if written + suppressed == 3001:
        break
    assert time.time() < deadline, (written, suppressed)
    time.sleep(0.5)
PY
stop_anchor_serve  # SIGTERM: a pending summary is written before exit
chmod 0600 "$ANCHOR_HOME/server.key"

python3 - serve.err issued.txt "$victim" "$revoke_id" "$admin_serial" "$admin_subject" <<'PY' || { tail -20 serve.err; fail "json log"; }
import json, sys
log, issued_file, victim, revoke_id, admin_serial, admin_subject = sys.argv[1:]
lines = [l for l in open(log) if l.strip()]
for l in lines:  # every line of stderr is JSON, not only the request lines
    try:
        json.loads(l)
    except ValueError:
        raise AssertionError(f"not JSON on stderr: {l!r}")
records = [json.loads(l) for l in lines]
msgs = [r["msg"] for r in records]
warnings = [r for r in records if r["level"] == "warning" and "server.key" in r["msg"]]
assert len(warnings) >= 2, ("no warning for server.key at start and reload", msgs[-5:])
assert any(m.startswith("reloaded ") for m in msgs), ("no reload line", msgs[-5:])
assert msgs[-1] == "stopped", msgs[-5:]
reqs = [r for r in records if r["msg"] == "request"]
need = ["time", "request_id", "remote", "peer", "peer_serial", "method", "path", "route",
        "status", "latency_ms"]
for r in reqs:
    missing = [k for k in need if k not in r]
    assert not missing, (missing, r)
    assert isinstance(r["status"], int) and isinstance(r["latency_ms"], (int, float)), r
issued = [s.strip() for s in open(issued_file)]
enrolls = [r for r in reqs if r["route"] == "/.well-known/est/simpleenroll" and r["status"] == 200]
assert sorted(r["issued"] for r in enrolls) == sorted(issued), (enrolls, issued)
assert all(r["peer"] == "-" and r["peer_serial"] == "-" for r in enrolls), enrolls
rev = [r for r in reqs if r.get("revoked")]
assert len(rev) == 1 and rev[0]["revoked"] == victim, rev
assert rev[0]["request_id"] == revoke_id, (rev[0], revoke_id)
assert rev[0]["peer_serial"] == admin_serial and rev[0]["peer"] == admin_subject, (rev[0], admin_serial, admin_subject)
assert rev[0]["route"] == "/api/v1/certificates/revoke" and rev[0]["method"] == "POST", rev[0]
bad = [r for r in reqs if r["route"] == "/.well-known/est/simpleenroll" and r["status"] >= 400]
assert bad and "error" in bad[0] and bad[0]["level"] == "warning", bad
ids = [r["request_id"] for r in reqs]
assert len(ids) == len(set(ids)), "request ids repeat"
storm = [r for r in reqs if r["route"] == "other" and r["status"] == 404]
summaries = [r for r in records if "suppressed" in r]
suppressed = sum(r["suppressed"] for r in summaries if r["similar"] == "GET other 404")
assert len(storm) + suppressed == 3001, (len(storm), suppressed)  # the storm and /no/such/endpoint
assert len(storm) <= 60, f"{len(storm)} lines for 3001 similar bad requests"
print(f"ok: {len(reqs)} request lines parse as JSON with every field; enroll lines carry the "
      f"issued serials, the revocation its serial, the admin's subject and serial and the "
      f"X-Request-Id; 3001 requests to unknown paths wrote {len(storm)} lines and "
      f"{len(summaries)} summaries accounting for {suppressed}")
print("example:", lines[[i for i, r in enumerate(records) if r.get("revoked")][0]].strip())
PY

# Text lines: the same fields, values quoted when they hold spaces.
start_anchor_serve
"${CURL[@]}" "${ADMIN[@]}" -o /dev/null "$BASE/api/v1/certificates?limit=1"
"${CURL[@]}" -o /dev/null "$BASE/api/v1/certificates" || true
stop_anchor_serve
line=$(grep ' anchor serve: request ' serve.log | grep 'status=200' | grep 'route=/api/v1/certificates' | head -1)
for field in request_id= remote=127.0.0.1 "peer=\"$admin_subject\"" "peer_serial=$admin_serial" \
    method=GET route=/api/v1/certificates status=200 latency_ms=; do
  case "$line" in *"$field"*) ;; *) fail "text line lacks $field: $line" ;; esac
done
grep ' anchor serve: warning: request ' serve.log | grep 'status=401' | has 'error="the admin API needs an admin client certificate' \
  || fail "the 401's line does not say what happened: $(grep status=401 serve.log)"
pass "text line: $line"
