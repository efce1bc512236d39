#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# PostgreSQL restarted under load, on a cluster of its own (the shared test cluster is not
# touched): two `anchor serve` replicas take an enrollment storm (bench/anchor-load on both) and
# ten `anchor-agent run` daemons (each with its own one-time token) start enrolling just before
# PostgreSQL stops; it starts again ~3 s later. While it is down the replicas answer 503 with
# Retry-After at once (no 500, no hang, every request in flight ends in a 200 or a 503), and
# /healthz answers. Once it is back both replicas reconnect by themselves and serve; every agent
# ends with a certificate (openssl verify, its serial in the database, paid by its own token,
# one certificate per token) within a bound; every serial anchor-load received is in the
# database; no token is used without its certificate nor a certificate recorded without its
# token used; `anchor audit verify` passes.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
: "${ANCHOR_LOAD:?ANCHOR_LOAD must name bench/anchor-load}"
CLUSTER="$TESTS_DIR/../postgres/cluster.sh"
# Outside $WORK: as root the cluster runs as the user `postgres`, who cannot enter $WORK.
PG=$(mktemp -u /tmp/anchor-pgs.XXXXXX)
pg() { (cd / && bash "$CLUSTER" "$1" "$PG"); }  # from /: as root pg_ctl runs as postgres
pg start > /dev/null || fail "starting PostgreSQL"
pg_pid() { head -1 "$PG/data/postmaster.pid"; }
PIDS+=("$(pg_pid)")
trap 'pg stop; cleanup' EXIT
URL="postgresql://anchor@/postgres?host=$PG"
agent_certs() { find . -maxdepth 1 -name 'agent*.crt' | wc -l; }

anchor init --name restartstorm --store "$URL" -q 2> init.err || { cat init.err; fail "anchor init --store"; }
start_replica 1
start_replica 2
R=("" "https://127.0.0.1:$PORT_1" "https://127.0.0.1:$PORT_2")
CURL=(curl -sS --max-time 10 --cacert "$ANCHOR_HOME/root.crt")

# Made while the database is up: the agents' tokens, and a probe's token and CSR per replica.
AGENTS=10
for i in $(seq 1 $AGENTS); do
  anchor token create --cn "agent-$i" -q > "agent$i.tok"
done
for r in 1 2; do
  anchor token create --cn "probe-$r" -q > "probe$r.tok"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "probe$r.key" \
    -subj "/CN=probe-$r" -outform DER -out "probe$r.der" 2>/dev/null
  base64 "probe$r.der" > "probe$r.b64"
done
anchor issue --cn ocsp-probe --profile device --cert ocsp.crt --key ocsp.key -q
ocsp() {  # ocsp R: openssl ocsp's status line for ocsp.crt from replica R, or its error
  openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert ocsp.crt -CAfile "$ANCHOR_HOME/root.crt" \
    -url "http://127.0.0.1:$(eval echo "\$HTTP_$1")/ocsp" -no_nonce -timeout 5 2>&1 \
    | grep -E "^ocsp.crt: |Responder Error" | head -1 || true
}
for r in 1 2; do
  [ "$(ocsp $r)" = "ocsp.crt: good" ] || fail "OCSP from replica $r: $(ocsp $r)"
done
probe() {  # probe R: enroll probe-R on replica R; prints "status seconds", headers in probeR.h
  "${CURL[@]}" -D "probe$1.h" -o "probe$1.out" -w '%{http_code} %{time_total}' \
    -H "Authorization: Bearer $(cat "probe$1.tok")" -H "Content-Type: application/pkcs10" \
    --data-binary "@probe$1.b64" "${R[$1]}/.well-known/est/simpleenroll" || true
}

# The storm: both clients prepare their tokens, then start together (--go).
N=1500
for r in 1 2; do
  "$ANCHOR_LOAD" enroll --url "${R[$r]}" --ca "$ANCHOR_HOME/root.crt" \
    --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
    --n "$N" --concurrency 8 --serials "s$r.txt" --go go > "load$r.out" 2> "load$r.err" &
  PIDS+=($!)
  eval "L$r=$!"
done
for _ in $(seq 1 1200); do
  [ "$(dbsql "SELECT count(*) FROM tokens WHERE common_name LIKE 'load-%'")" -ge $((2 * N)) ] && break
  sleep 0.05
done
touch go
sleep 1
# PostgreSQL stops (a fast shutdown: sessions ended, their transactions aborted) while the storm
# runs and as the agents, half on each replica, start: their first requests meet the outage.
certs_at_stop=$(dbsql "SELECT count(*) FROM certificates")
t_stop=$(now_ms)
old_pg=$(pg_pid)
pg pause > pause.out 2>&1 &
PAUSE=$!
APIDS=()
for i in $(seq 1 $AGENTS); do
  "$ANCHOR_AGENT" run --server "${R[$((i % 2 + 1))]}" --ca-cert "$ANCHOR_HOME/root.crt" \
    --cn "agent-$i" --key "agent$i.key" --cert "agent$i.crt" --token-file "agent$i.tok" \
    2> "agent$i.log" &
  APIDS+=($!)
  PIDS+=($!)
done
wait "$PAUSE" || { cat pause.out; fail "stopping PostgreSQL"; }
stop_ms=$(( $(now_ms) - t_stop ))
forget_pid "$old_pg"
agents_before=$(agent_certs)

# PostgreSQL down: each replica answers an enrollment 503 + Retry-After at once, and /healthz.
for r in 1 2; do
  read -r code secs <<< "$(probe $r)"
  [ "$code" = 503 ] || fail "replica $r, enrollment with PostgreSQL down: $code $(cat "probe$r.out")"
  grep -qi "^retry-after: [0-9]" "probe$r.h" || fail "replica $r: the 503 has no Retry-After"
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2 else 1)" "$secs" \
    || fail "replica $r took $secs s to answer the 503"
  [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "${R[$r]}/healthz")" = 200 ] || fail "replica $r's /healthz"
  outage_answers+="${secs}s "
  # OCSP cannot check the database for a newer revocation: tryLater (RFC 6960 2.3), at once.
  t0=$(now_ms)
  answer=$(ocsp $r)
  [ "$answer" = "Responder Error: trylater (3)" ] || fail "OCSP from replica $r with PostgreSQL down: $answer"
  ocsp_ms+="$(( $(now_ms) - t0 )) ms "
done
pass "PostgreSQL down (told to stop at $certs_at_stop certificates, its process gone $stop_ms ms later): both replicas answer an enrollment 503 + Retry-After (in ${outage_answers% }) and /healthz 200; openssl ocsp gets tryLater (in ${ocsp_ms% }, openssl's start included)"

# Back 3 s after it was told to stop (cluster.sh returns once the server's process is gone).
sleep "$(python3 -c "print(max(0, 3 - ($(now_ms) - $t_stop) / 1000))")"
pg resume || fail "starting PostgreSQL again"
t_back=$(now_ms)
PIDS+=("$(pg_pid)")
outage_ms=$(( t_back - t_stop ))
for r in 1 2; do
  [ "$(dbsql "SELECT used_at IS NULL FROM tokens WHERE common_name = 'probe-$r'")" = t ] \
    || fail "the refused probe on replica $r consumed its token"
done
# Each replica reconnects by itself: the probe's same token enrolls.
for r in 1 2; do
  recovered=""
  for _ in $(seq 1 300); do
    read -r code _ <<< "$(probe $r)"
    [ "$code" = 200 ] && { recovered=$(( $(now_ms) - t_back )); break; }
    [ "$code" = 503 ] || fail "replica $r after the restart: $code $(cat "probe$r.out")"
    sleep 0.1
  done
  [ -n "$recovered" ] || fail "replica $r did not serve within 30 s of PostgreSQL's return"
  [ "$(ocsp $r)" = "ocsp.crt: good" ] || fail "OCSP from replica $r after the restart: $(ocsp $r)"
  recovery+="replica $r ${recovered} ms, "
done
pass "PostgreSQL back after $outage_ms ms: both replicas serve again by themselves (first enrollment 200: ${recovery%, } after pg_ctl start returned), OCSP good again; the refused probes' tokens were unused"

# The storm: every request ended in a 200 or a 503, none in a 500 or without an answer.
for r in 1 2; do
  eval "wait \$L$r" || true
  eval "forget_pid \$L$r"
  statuses=$(sed -n 's/.* statuses=\([0-9:,]*\).*/\1/p' "load$r.out")
  [ -n "$statuses" ] || { cat "load$r.out" "load$r.err"; fail "storm on replica $r: no statuses"; }
  [ -z "$(tr ',' '\n' <<< "$statuses" | grep -Ev '^(200|503):')" ] \
    || { cat "load$r.err"; fail "storm on replica $r: answers other than 200 and 503: $statuses"; }
  storm+="replica $r $statuses; "
done
failed_503=$(cat load1.out load2.out | sed -n 's/.*statuses=.*503:\([0-9]*\).*/\1/p' | paste -sd+ | bc)
[ "${failed_503:-0}" -gt 0 ] || fail "no request of the storm met the outage: ${storm}"
[ "$(grep -c 'status=500' "$WORK/replica1.log" "$WORK/replica2.log" | awk -F: '{s += $2} END {print s}')" = 0 ] \
  || fail "a replica logged a 500"
pass "storm of 2 x $N across the outage: ${storm}${failed_503} failed with 503, none with 500 or without an answer (anchor-load, and no status=500 in the replicas' logs)"

# Every agent ends with a certificate, within 30 s of PostgreSQL's return (its first retry after
# a 503 comes 2.5-5 s later, the next 5-10 s).
for _ in $(seq 1 300); do
  [ "$(agent_certs)" = $AGENTS ] && break
  sleep 0.1
done
agents_ms=$(( $(now_ms) - t_back ))
[ "$(agent_certs)" = $AGENTS ] \
  || { tail -n 3 agent*.log; fail "$(agent_certs) of $AGENTS agents have a certificate 30 s after PostgreSQL's return"; }
retried=0
for i in $(seq 1 $AGENTS); do
  openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted "agent$i.crt" "agent$i.crt" > /dev/null \
    || fail "agent $i's certificate does not verify"
  [ "$(openssl x509 -in "agent$i.crt" -noout -pubkey)" = "$(openssl pkey -in "agent$i.key" -pubout)" ] \
    || fail "agent $i's certificate is not for its key"
  serial=$(openssl x509 -in "agent$i.crt" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
  [ "$(dbsql "SELECT used_by FROM tokens WHERE common_name = 'agent-$i'")" = "$serial" ] \
    || fail "agent $i's token is not used by its certificate $serial"
  [ "$(dbsql "SELECT count(*) FROM certificates WHERE common_name = 'agent-$i'")" = 1 ] \
    || fail "agent $i's token paid for $(dbsql "SELECT count(*) FROM certificates WHERE common_name = 'agent-$i'") certificates"
  grep -q "enrollment failed" "agent$i.log" && retried=$((retried + 1))
done
[ "$retried" -gt 0 ] || { head -5 agent1.log agent2.log; fail "no agent met the outage"; }
grep -h "enrollment failed" agent*.log | grep -qv "503" \
  && { grep -h "enrollment failed" agent*.log | grep -v "503" | head -3; fail "an agent failed otherwise than with a 503"; }
# Each first retry comes after the agent's own jittered back-off (RetryDelay: 2-5 s), not in
# lockstep with the others (the logs' times are whole seconds).
spread=$(python3 - agent*.log <<'PY'
import datetime, re, sys
delays = []
for path in sys.argv[1:]:
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        if "enrollment failed" in line and i + 1 < len(lines) and "next attempt at" in lines[i + 1]:
            t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
            failed = t(line.split()[0])
            nxt = t(re.search(r"next attempt at (\S+)", lines[i + 1]).group(1))
            delays.append(int(nxt - failed))
            break
assert delays and all(1 <= d <= 6 for d in delays), f"first retries after {delays} s, not 2-5 s"
assert len(delays) < 4 or len(set(delays)) > 1, f"{len(delays)} agents retried in lockstep: {delays} s"
print(f"first retries after {'/'.join(map(str, sorted(delays)))} s")
PY
) || fail "the agents' retries"
for p in "${APIDS[@]}"; do
  kill -TERM "$p"
  rc=0; wait "$p" || rc=$?
  forget_pid "$p"
  [ "$rc" = 0 ] || fail "an agent exited $rc on SIGTERM"
done
pass "all $AGENTS agents have a certificate $agents_ms ms after PostgreSQL's return ($agents_before before it stopped, $retried retried after a 503, $spread): each verifies (openssl), is for its key, is in the database, paid by its own token, one per token; agents stop on SIGTERM"

# Every serial anchor-load received is in the database; nothing half-written.
check_received_stored s1.txt s2.txt
check_tokens_whole
stored_load=$(dbsql "SELECT count(*) FROM certificates WHERE common_name LIKE 'load-%'")
unused=$(dbsql "SELECT count(*) FROM tokens WHERE common_name LIKE 'load-%' AND used_at IS NULL")
anchor audit verify > audit.out || { cat audit.out; fail "anchor audit verify"; }
pass "all $(wc -l < received.txt) serials anchor-load received are in the database, none twice; $((stored_load - $(wc -l < received.txt))) committed without an answer; $unused refused tokens unused; each used token has its certificate and audit entry; anchor audit verify passes"

# And both serve a storm again, without an error.
for r in 1 2; do
  "$ANCHOR_LOAD" enroll --url "${R[$r]}" --ca "$ANCHOR_HOME/root.crt" \
    --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
    --n 200 --concurrency 8 > "after$r.out" 2>&1 || { cat "after$r.out"; fail "a storm on replica $r after the restart"; }
done
kill -TERM "$PID_1" "$PID_2"
wait "$PID_1" "$PID_2" || fail "a replica did not stop cleanly"
forget_pid "$PID_1"
forget_pid "$PID_2"
pass "after the restart both replicas take 200 enrollments each without an error, and stop cleanly"
