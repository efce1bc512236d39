#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The revocation feed's long-poll, GET /api/v1/revocations?since=N&wait=D (SQLite store), with
# curl: a waiting request answers as soon as a revocation commits through the admin API (well
# before its wait), and after an offline `anchor revoke` (another process on the same anchor.db,
# seen by serve's watch); with nothing new it answers empty after `wait`; a cursor already behind
# answers at once; a bad wait is 400 naming the parameter; waiting requests hold no worker (64 of
# them at once, and an EST enrollment and /healthz still answer); waiting requests never lock
# others out (max_connections 128: 300 abandoned by their clients are closed at once, and 200
# parked give way to new connections); SIGTERM ends the waits, and serve exits 0 at once.
source "$(dirname "$0")/lib.sh"

anchor init --name longpoll -q
sed -i 's/^max_connections = .*/max_connections = 128/' "$ANCHOR_HOME/anchor.toml"
for i in 1 2 3; do
  anchor issue --cn "dev-$i" --profile device --cert "dev$i.crt" --key "dev$i.key" -q
done
start_anchor_serve
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
revoke_api() {
  [ "$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
    --data-binary '{"reason":"keyCompromise"}' "$BASE/api/v1/certificates/$1/revoke")" = 200 ] \
    || { cat "$WORK/http.out"; fail "revoke $1"; }
}

# Bad waits: 400, naming the parameter.
for bad in 30 0s 56s 1m -5s abc; do
  [ "$(http_status "$BASE/api/v1/revocations?since=0&wait=$bad")" = 400 ] \
    || fail "wait=$bad was not refused"
  has "wait must be a duration" "$WORK/http.out" || { cat "$WORK/http.out"; fail "wait=$bad: message"; }
done
pass "a wait that is not a duration from 1s to 55s is 400, naming it"

# Nothing new: the answer comes empty after the wait, not before.
t0=$(now_ms)
"${CURL[@]}" "$BASE/api/v1/revocations?since=0&wait=2s" > empty.json || fail "empty long-poll"
took=$(( $(now_ms) - t0 ))
[ "$took" -ge 1900 ] && [ "$took" -lt 5000 ] || fail "an empty wait of 2s answered after $took ms"
[ "$(feed_serials empty.json)" = "" ] && [ "$(feed_cursor empty.json)" = 0 ] || fail "empty long-poll body: $(cat empty.json)"
pass "nothing new: an empty answer after the 2 s wait ($took ms)"

# A revocation through the admin API wakes the waiter at once.
s1=$(serial_of dev1.crt)
"${CURL[@]}" "$BASE/api/v1/revocations?since=0&wait=30s" > woke.json &
waiter=$!
still_waiting "$waiter" "the long-poll"
t1=$(now_ms)
revoke_api "$s1"
wait "$waiter" || fail "long-poll curl"
lag=$(( $(now_ms) - t1 ))
[ "$(feed_serials woke.json)" = "$s1" ] || fail "the woken answer: $(cat woke.json)"
[ "$lag" -lt 3000 ] || fail "answered $lag ms after the revoke was sent"
pass "a waiting request answers with the revocation $lag ms after the admin API revoke was sent"

# A cursor behind the head answers at once, without waiting.
t0=$(now_ms)
"${CURL[@]}" "$BASE/api/v1/revocations?since=0&wait=30s" > behind.json || fail "behind"
[ $(( $(now_ms) - t0 )) -lt 2000 ] && [ "$(feed_serials behind.json)" = "$s1" ] || fail "a cursor behind waited"
pass "a cursor behind the newest revocation answers at once"

# An offline revocation (anchor revoke on the same anchor.db, another process) wakes it too.
c=$(feed_cursor woke.json)
s2=$(serial_of dev2.crt)
"${CURL[@]}" "$BASE/api/v1/revocations?since=$c&wait=30s" > offline.json &
waiter=$!
still_waiting "$waiter" "the long-poll before the offline revoke"
t1=$(now_ms)
anchor revoke "$s2" --reason superseded -q || fail "offline anchor revoke"
wait "$waiter" || fail "long-poll curl (offline)"
lag=$(( $(now_ms) - t1 ))
[ "$(feed_serials offline.json)" = "$s2" ] || fail "offline answer: $(cat offline.json)"
[ "$lag" -lt 3000 ] || fail "offline revoke seen after $lag ms"
pass "an offline anchor revoke (another process) wakes the waiter: $lag ms after it started"

# 64 waiting requests at once hold no worker: an EST enrollment and /healthz still answer, and one
# revocation answers all of them.
c=$(feed_cursor offline.json)
waiters=()
for i in $(seq 1 64); do
  "${CURL[@]}" "$BASE/api/v1/revocations?since=$c&wait=30s" > "many$i.json" &
  waiters+=($!)
done
sleep 1
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "/healthz while 64 wait"
token=$(anchor token create --cn during-wait -q)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout during.key \
  -subj /CN=during-wait -outform DER -out during.der 2>/dev/null
base64 during.der > during.b64
[ "$(http_status -u "device:$token" -H "Content-Type: application/pkcs10" \
  --data-binary @during.b64 "$BASE/.well-known/est/simpleenroll")" = 200 ] \
  || { cat "$WORK/http.out"; fail "enrollment while 64 requests wait"; }
for i in $(seq 1 64); do
  kill -0 "${waiters[$((i-1))]}" 2>/dev/null || fail "waiter $i answered before any revocation"
done
s3=$(serial_of dev3.crt)
revoke_api "$s3"
for i in $(seq 1 64); do
  wait "${waiters[$((i-1))]}" || fail "waiter $i"
  [ "$(feed_serials "many$i.json")" = "$s3" ] || fail "waiter $i: $(cat "many$i.json")"
done
pass "64 waiting requests: /healthz and an EST enrollment answer meanwhile; one revocation answers all 64"

# Waiters abandoned by their clients end with them: 300 sent with no client certificate and
# dropped half a second later leave no connection behind, and the server answers at once.
python3 "$TESTS_DIR/feed_waiters.py" 127.0.0.1 "$PORT" "$ANCHOR_HOME/root.crt" 300 vanish > vanish.out \
  || fail "feed_waiters.py vanish"
sleep 1
# Sockets of the server's port in CLOSE-WAIT (state 08), read from /proc as ss(8) would.
left=$(python3 -c 'import sys
port = "%04X" % int(sys.argv[1])
n = 0
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(f).read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        n += local.endswith(":" + port) and state == "08"
print(n)' "$PORT")
[ "$left" -lt 10 ] || fail "$left connections abandoned by their clients are still held (CLOSE-WAIT)"
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "/healthz after 300 abandoned waiters"
pass "300 waiters abandoned by their clients ($(cat vanish.out)): $left left in CLOSE-WAIT a second later, /healthz answers"

# Parked waiters give way to new connections, as idle ones do: 200 held open against
# max_connections 128, and /healthz, OCSP-free EST cacerts and an admin request still answer.
python3 "$TESTS_DIR/feed_waiters.py" 127.0.0.1 "$PORT" "$ANCHOR_HOME/root.crt" 200 hold > hold.out &
HOLD_PID=$!
PIDS+=($HOLD_PID)
for _ in $(seq 1 100); do [ -s hold.out ] && break; sleep 0.1; done
for i in 1 2 3; do
  [ "$(http_status "$BASE/healthz")" = 200 ] || fail "/healthz $i with 200 parked waiters"
done
[ "$(http_status "$BASE/.well-known/est/cacerts")" = 200 ] || fail "cacerts with 200 parked waiters"
[ "$(http_status "${ADMIN[@]}" "$BASE/api/v1/certificates?limit=1")" = 200 ] \
  || fail "the admin API with 200 parked waiters"
kill "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null || true
forget_pid "$HOLD_PID"
pass "200 parked waiters against max_connections 128 ($(cat hold.out)): /healthz, cacerts and the admin API still answer"

# SIGTERM ends the waits: the waiter gets its answer and serve exits 0 at once.
c=$(feed_cursor many1.json)
"${CURL[@]}" "$BASE/api/v1/revocations?since=$c&wait=30s" > term.json &
waiter=$!
sleep 1
t0=$(now_ms)
stop_anchor_serve
took=$(( $(now_ms) - t0 ))
wait "$waiter" || fail "the waiting request got no answer when serve stopped"
[ "$(feed_serials term.json)" = "" ] || fail "answer at SIGTERM: $(cat term.json)"
[ "$took" -lt 3000 ] || fail "serve took $took ms to stop with a request waiting"
pass "SIGTERM with a request waiting: it gets its (empty) answer and serve exits 0 in $took ms"
