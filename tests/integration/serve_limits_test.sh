#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a hostile or unlucky client can cost `anchor serve`: slowloris clients are cut off at the
# header timeout while others are served; at max_connections the connection idle the longest
# gives way to a new client, and only when every connection is busy is the new one refused;
# one client address flooding TCP connections that never start TLS (from another address, and
# from the prober's own) does not keep /healthz from anyone (h10's kind), and such connections
# are closed at the handshake deadline; with few file descriptors (ulimit -n 64) max_connections
# is lowered at start, saying so, and the server neither spins nor stops serving (h09's kind);
# unknown or out-of-range [server] keys are refused naming the key; 100 parallel redemptions of
# one token yield exactly one certificate (rows counted with Python's sqlite3).
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

# hold.py PORT CA N MODE: N TLS connections, idle or each stuck in the middle of a request head
# (MODE busy); prints "held", keeps them until the file "release" appears, then prints how many
# the server closed meanwhile and the first indexes.
cat > hold.py <<'PY'
import os, socket, ssl, sys, time
port, ca, n, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
held = []
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    if mode == "busy":
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
    held.append(s)
print("held", flush=True)
while not os.path.exists("release"):
    time.sleep(0.05)
closed = []
for i, s in enumerate(held):
    s.setblocking(False)
    try:
        gone = s.recv(1) == b""
    except ssl.SSLWantReadError:
        gone = False
    except (OSError, ssl.SSLError):
        gone = True
    if gone:
        closed.append(i)
print("closed", len(closed), *closed[:3], flush=True)
PY
# hold N MODE: run hold.py in the background until it holds N connections.
hold() {
  rm -f release hold.out
  python3 hold.py "$PORT" "$ANCHOR_HOME/root.crt" "$1" "$2" > hold.out &
  HOLD_PID=$!
  PIDS+=($HOLD_PID)
  for _ in $(seq 1 100); do has held < hold.out && return 0; sleep 0.1; done
  fail "could not open $1 connections"
}
# release: let hold.py go and wait for its report.
release() {
  touch release
  wait "$HOLD_PID"
  forget_pid "$HOLD_PID"
}

# max_connections = 120: 120 idle TLS connections fill the server; a new client is served, and
# the connection idle the longest is the one closed for it.
hold 120 idle
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "a new client at max_connections (all idle)"
release
read -r _ closed first < <(grep closed hold.out)
[ "$closed" -ge 1 ] && [ "$first" = 0 ] || fail "expected the longest idle connection closed: $(cat hold.out)"
pass "max_connections: with every connection idle a new client is served; the longest idle gave way"

# One address flooding TCP connections that never start TLS: from 127.0.0.2, then from the
# prober's own 127.0.0.1. /healthz keeps answering; the flood loses its own connections.
python3 - "$PORT" "$ANCHOR_HOME/root.crt" <<'PY' || fail "a flood of idle TCP connections locked clients out"
import resource, socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
ctx = ssl.create_default_context(cafile=ca)
def flood(source, n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks
def healthz():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return s.recv(100).startswith(b"HTTP/1.1 200")
def closed_by_server(socks):
    n = 0
    for s in socks:
        s.setblocking(False)
        try:
            n += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            n += 1
    return n
for source in ("127.0.0.2", "127.0.0.1"):
    socks = flood(source, 1100)
    answered = sum(healthz() for _ in range(6))
    time.sleep(0.5)  # let the server's closes arrive before counting them
    closed = closed_by_server(socks)
    print(f"ok: 1100 idle TCP connections from {source}: /healthz answered {answered}/6, "
          f"{closed} flood connections closed by the server")
    if answered != 6 or closed < 1100 - 256:
        sys.exit(1)
    for s in socks:
        s.close()
PY
pass "1100 idle TCP connections from one address (another, then the prober's own) lock nobody out"

# A TCP connection that never starts TLS is closed at the handshake deadline (5 s by default).
python3 - "$PORT" <<'PY' || fail "a silent TCP connection was not closed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)
sys.exit(0 if s.recv(1) == b"" else 1)
PY
pass "a TCP connection that never starts TLS is closed at the handshake deadline"
"${CURL[@]}" -s --cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key" "$BASE/metrics" > metrics.txt
evicted=$(awk '$1 == "anchor_connections_evicted_total" { print $2 }' metrics.txt)
[ "${evicted:-0}" -gt 0 ] || { cat metrics.txt; fail "evictions are not counted in /metrics"; }
pass "evictions counted: anchor_connections_evicted_total $evicted"

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

# Every connection busy (each in the middle of a request head, with a header timeout long enough
# to hold them): the new client is refused at once, not queued; service resumes once they go.
sed -i 's/^header_timeout_seconds = .*/header_timeout_seconds = 60/' "$ANCHOR_HOME/anchor.toml"
start_anchor_serve --threads 2
hold 120 busy
expect_fail "a new client while every connection is busy" "${CURL[@]}" -f "$BASE/healthz"
release
for _ in $(seq 1 50); do [ "$(http_status "$BASE/healthz")" = 200 ] && break; sleep 0.1; done
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "service did not resume after the busy connections closed"
pass "max_connections: with every connection busy a new client is refused; service resumes"
stop_anchor_serve

# Few file descriptors: max_connections (120) is lowered to fit, with a line saying so; 150 idle
# connections neither make the server spin nor stop it serving. With --log-format json the
# transport's own lines (this one, accepting paused) are JSON too, like the request lines.
( ulimit -n 64; exec "$ANCHOR" serve --listen 127.0.0.1:0 --threads 2 --log-format json ) \
  > lowfd.log 2> lowfd.err &
LOWFD_PID=$!
PIDS+=($LOWFD_PID)
for _ in $(seq 1 100); do has "listening on" lowfd.log && break; sleep 0.1; done
LOWFD_PORT=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' lowfd.log)
[ -n "$LOWFD_PORT" ] || { cat lowfd.log; fail "anchor serve did not start with ulimit -n 64"; }
has "max_connections lowered from 120 to [0-9]* to fit the open-files limit" lowfd.err \
  || { cat lowfd.log lowfd.err; fail "no line saying max_connections was lowered"; }
python3 - "$LOWFD_PORT" "$LOWFD_PID" "$ANCHOR_HOME/root.crt" <<'PY' || fail "out of descriptors"
import os, socket, ssl, sys, time
port, pid, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(150)]
t0 = ticks(); time.sleep(2); t1 = ticks()
cpu = (t1 - t0) / os.sysconf("SC_CLK_TCK") / 2 * 100
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
ok = s.recv(100).startswith(b"HTTP/1.1 200")
print(f"ok: 150 idle connections at ulimit -n 64: {cpu:.0f}% of a core, /healthz answered: {ok}")
sys.exit(0 if ok and cpu < 50 else 1)
PY
stop_pid "$LOWFD_PID"
python3 - lowfd.err <<'PY' || { cat lowfd.err; fail "the transport's lines are not JSON"; }
import json, sys
records = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]  # each line, or ValueError
lowered = [r for r in records if r["msg"].startswith("max_connections lowered from 120")]
assert len(lowered) == 1 and lowered[0]["level"] == "warning", records[:3]
print(f"ok: {len(records)} lines on stderr, all JSON: {sorted(set(r['msg'][:40] for r in records))}")
PY
pass "ulimit -n 64: max_connections lowered at start and said so; no spinning, still serving"

# [server] keys: unknown ones and values out of range are refused, naming the key.
cp "$ANCHOR_HOME/anchor.toml" toml.good
for bad in "max_handshake = 10" "max_handshakes = 0" "handshake_share_per_address = 0" \
           "handshake_timeout_seconds = 61"; do
  cp toml.good "$ANCHOR_HOME/anchor.toml"
  key=${bad%% =*}
  if has "^$key = " "$ANCHOR_HOME/anchor.toml"; then
    sed -i "s/^$key = .*/$bad/" "$ANCHOR_HOME/anchor.toml"
  else
    sed -i "/^\[server\]/a $bad" "$ANCHOR_HOME/anchor.toml"
  fi
  expect_fail "[server] $bad" "$ANCHOR" serve --listen 127.0.0.1:0
  has "server.$key" last.err || fail "the error should name server.$key: $(cat last.err)"
done
cp toml.good "$ANCHOR_HOME/anchor.toml"
pass "unknown and out-of-range [server] keys are refused, naming the key"
