#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a hostile or unlucky client can cost `anchor serve`: slowloris clients are cut off at the
# header timeout while others are served; connections beyond max_connections are refused and
# service resumes; 100 parallel redemptions of one token yield exactly one certificate (rows
# counted with Python's sqlite3).
source "$(dirname "$0")/lib.sh"

anchor init --name limits -q
sed -i 's/^header_timeout_seconds = .*/header_timeout_seconds = 2/; s/^max_connections = .*/max_connections = 120/' \
  "$ANCHOR_HOME/anchor.toml"
start_anchor_serve --threads 2

# Slowloris: 20 TLS clients each send a request header one byte every 0.5 s; half of them on a
# kept-alive connection after one good request.
cat > slow.py <<'PY'
import socket, ssl, sys, threading, time
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
cut = []
def slow(i):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    if i % 2:  # half of them send one good request first, then trickle the next (keep-alive)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        s.recv(4096)
    start = time.monotonic()
    try:
        for b in b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100:
            s.send(bytes([b]))
            time.sleep(0.5)
            if time.monotonic() - start > 15:
                return
        s.settimeout(5)
        if s.recv(1) == b"":
            cut.append(time.monotonic() - start)
    except (OSError, ssl.SSLError):
        cut.append(time.monotonic() - start)
threads = [threading.Thread(target=slow, args=(i,)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(len(cut), max(cut) if cut else -1)
PY
python3 slow.py "$PORT" "$ANCHOR_HOME/root.crt" 20 > slow.out &
SLOW_PID=$!
PIDS+=($SLOW_PID)
sleep 0.5
for _ in 1 2 3; do
  [ "$(http_status "$BASE/healthz")" = 200 ] || fail "healthz while slowloris clients are connected"
done
wait "$SLOW_PID"; forget_pid "$SLOW_PID"
read -r cut_count worst < slow.out
[ "$cut_count" = 20 ] || fail "only $cut_count of 20 slow clients were cut off"
python3 -c "import sys; sys.exit(0 if $worst < 4.5 else 1)" || fail "slow clients cut after ${worst}s (timeout 2 s)"
pass "slowloris: 20 slow clients cut off after at most ${worst}s (header timeout 2 s); others served meanwhile"

# max_connections = 120: 120 idle TLS connections fill the server, the next is refused, then
# service resumes when they go.
cat > hold.py <<'PY'
import socket, ssl, sys, time
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
held = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
        for _ in range(n)]
print("held", flush=True)
time.sleep(1.5)
PY
python3 hold.py "$PORT" "$ANCHOR_HOME/root.crt" 120 > hold.out &
HOLD_PID=$!
PIDS+=($HOLD_PID)
for _ in $(seq 1 50); do grep -q held hold.out && break; sleep 0.1; done
grep -q held hold.out || fail "could not open 120 connections"
expect_fail "a connection beyond max_connections" "${CURL[@]}" -f "$BASE/healthz"
wait "$HOLD_PID"; forget_pid "$HOLD_PID"
sleep 0.2
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "service did not resume after the connections closed"
pass "max_connections: the 121st connection refused, service resumes"

# One token, 100 parallel redemptions with 100 different keys: exactly one certificate.
token=$(anchor token create --cn race-1 -q)
before=$(row_count)
for i in $(seq 1 100); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "k$i.key" \
    -subj /CN=race-1 -outform DER -out "r$i.der" 2>/dev/null
  base64 "r$i.der" > "r$i.b64"
done
racers=()
for i in $(seq 1 100); do
  "${CURL[@]}" -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $token" \
    -H "Content-Type: application/pkcs10" --data-binary @"r$i.b64" \
    "$BASE/.well-known/est/simpleenroll" > "status$i" 2>/dev/null &
  racers+=($!)
done
for pid in "${racers[@]}"; do wait "$pid" || true; done
ok=$(cat status* | grep -c '^200$' || true)
unauthorized=$(cat status* | grep -c '^401$' || true)
[ "$ok" = 1 ] || fail "$ok redemptions of one token succeeded"
[ "$unauthorized" = 99 ] || fail "expected 99 answers 401, got $unauthorized: $(sort status* | uniq -c | tr "\n" " ")"
[ "$(row_count)" = $((before + 1)) ] || fail "expected exactly one new row"
pass "100 parallel redemptions of one token: one 200, 99 401, one row"

stop_anchor_serve
