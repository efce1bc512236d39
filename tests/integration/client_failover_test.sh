#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Clients given several `anchor serve` replicas (one CA on one PostgreSQL database: the cluster of
# ctest's `postgres` fixture) fail over between them:
#   - the Mosquitto plugin, given both with plugin_opt_ca_url twice, follows the first; SIGKILLed,
#     it moves to the other, keeps its cursor, and a device revoked there is dropped by the broker;
#   - anchor-agent, given `--server A,B`, enrolls while A's port is closed and renews while the
#     replica it used last is SIGSTOPped (a connect that times out, 10 s), enrolls while the first
#     is SIGSTOPped, and remembers the replica that answered for its next run (sticky);
#   - `anchor revoke`/`list`/`enroll`/`token create` with `--server` twice fail over from a stopped
#     replica, and from one whose database is unreachable (a real 503: its socket to PostgreSQL
#     is taken away); a replica whose certificate does not name its URL's host is skipped;
#   - a 4xx is the answer: an unknown serial (404) and a used token (401) are not sent to the
#     other replica (its log shows no request);
# each switch is logged once, naming the replica that failed, why, and the one used now.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
: "${ANCHOR_PLUGIN:?ANCHOR_PLUGIN must name anchor_mosquitto.so}"
test_database anchor_fo
# A SIGSTOPped replica would not end on cleanup's SIGTERM: continue every process first.
trap 'for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; done; cleanup' EXIT
pg_dir=$PG_HOST
PROBE=(/usr/bin/python3 "$TESTS_DIR/mqtt_probe.py")

anchor init --name failover --store "$URL" -q 2> init.err || { cat init.err; fail "anchor init --store"; }
# Replica 1 runs from a copy of the home whose store URL reaches PostgreSQL through a socket
# directory of its own (a symbolic link to the cluster's socket) and names itself, so that the
# test can cut replica 1 alone off the database: the link removed, its sessions terminated.
mkdir "$WORK/r1sock"
ln -s "$pg_dir/.s.PGSQL.5432" "$WORK/r1sock/.s.PGSQL.5432"
cp -a "$ANCHOR_HOME" "$WORK/home1"
R1_URL="postgresql://anchor@/$DB?host=$WORK/r1sock&application_name=anchor-r1"
sed -i "s|^url = .*|url = \"${R1_URL//&/\\&}\"|" "$WORK/home1/anchor.toml"  # & is sed's match
grep -qF "url = \"$R1_URL\"" "$WORK/home1/anchor.toml" || fail "replica 1's store URL not written"

# start_replica_at N HOME LISTEN: lib.sh's start_replica with a home and an address of its own:
# `anchor serve` N of the home HOME on LISTEN (ADDRESS:PORT, port 0 for any), its log in rN.log;
# sets PID_N and PORT_N.
start_replica_at() {
  local n=$1 home=$2 listen=$3 log="$WORK/r$1.log"
  [ -f "$log" ] && cat "$log" >> "$WORK/r$n.all.log"
  : > "$log"
  "$ANCHOR" serve --home "$home" --listen "$listen" > "$log" 2>&1 &
  PIDS+=($!)
  eval "PID_$n=$!"
  local i
  for i in $(seq 1 300); do
    grep -q "listening on https://" "$log" && break
    kill -0 "$(eval echo "\$PID_$n")" 2>/dev/null || break
    sleep 0.1
  done
  grep -q "listening on https://" "$log" || { cat "$log"; fail "replica $n did not start"; }
  eval "PORT_$n=$(sed -n 's|.*listening on https://[0-9.]*:\([0-9]*\).*|\1|p' "$log" | head -1)"
}
stop_replica() {  # stop_replica N: SIGTERM, wait, forget
  local pid
  pid=$(eval echo "\$PID_$1")
  kill -TERM "$pid"
  wait "$pid" || true
  forget_pid "$pid"
}
start_replica_at 1 "$WORK/home1" 127.0.0.1:0
start_replica_at 2 "$ANCHOR_HOME" 127.0.0.1:0
# One by its name, one by its address: the server certificate carries both, each URL is verified
# against its own host.
A="https://localhost:$PORT_1"
B="https://127.0.0.1:$PORT_2"

# ---- The plugin: follows A, then B when A is SIGKILLed --------------------------------------
issue() { anchor issue --cn "$1" --profile "$2" --cert "$1.crt" --key "$1.key" -q 2>/dev/null; }
issue localhost peer
issue dev-k device
P=$(free_port)
BASE=$A mosquitto_conf "$P" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key "poll_ms 100" \
  "ca_url $B" "cache_file $WORK/feed.cache" > broker.conf
start_mosquitto broker.conf "$P"
MQ_LOG="$WORK/mosquitto-$P.log"
has "following the revocation feed of $A: 0 revoked serial(s), cursor 0" "$MQ_LOG" \
  || { cat "$MQ_LOG"; fail "the plugin does not follow the first ca_url"; }
# A revocation while A is still followed moves the cursor, which must survive the switch.
issue dev-early device
anchor revoke --server "$A" "$(serial_of dev-early.crt)" -q || fail "revoke on A"
early() {
  "${PROBE[@]}" connect --port "$P" --cafile "$ANCHOR_HOME/root.crt" --cert dev-early.crt \
    --key dev-early.key > /dev/null
}
for _ in $(seq 1 50); do early || break; sleep 0.1; done
early && fail "dev-early, revoked on A, still admitted"
kill -KILL "$PID_1"
wait "$PID_1" 2>/dev/null || true
forget_pid "$PID_1"
"${PROBE[@]}" kick --port "$P" --cafile "$ANCHOR_HOME/root.crt" --cert dev-k.crt --key dev-k.key \
  --topic 'commands/dev-k/#' --timeout 10 \
  --revoke "$ANCHOR revoke --server $B $(serial_of dev-k.crt) --reason keyCompromise -q" \
  > kick.json || { cat kick.json "$MQ_LOG"; fail "dev-k, revoked on B after A died, was not dropped"; }
dropped_ms=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dropped_ms"])' kick.json)
has "revocation feed: $A is unavailable (.*); using $B now" "$MQ_LOG" \
  || { cat "$MQ_LOG"; fail "the plugin did not log its switch to B"; }
[ "$(grep -c "revocation feed: .* using $B now" "$MQ_LOG")" = 1 ] || fail "the switch was logged more than once"
has "cannot follow the revocation feed" "$MQ_LOG" && { cat "$MQ_LOG"; fail "a failover was logged as the feed failing"; }
has "disconnecting client .* 'dev-k' .*revoked" "$MQ_LOG" || fail "the kick is not logged"
early && fail "dev-early admitted after the switch"
for _ in $(seq 1 30); do has '"cursor":2' feed.cache && break; sleep 0.1; done
has '"cursor":2' feed.cache && has "$(serial_of dev-early.crt)" feed.cache && has "$(serial_of dev-k.crt)" feed.cache \
  || { cat feed.cache; fail "the list after the switch: not both revocations at cursor 2"; }
pass "plugin (plugin_opt_ca_url twice): followed A; A SIGKILLed; dev-k revoked on B dropped ${dropped_ms} ms later; one switch line; the list holds A's revocation and B's at cursor 2"
stop_pid "$MOSQ_PID"
start_replica_at 1 "$WORK/home1" "127.0.0.1:$PORT_1"

# ---- The agent: A's port closed, then the replica it uses SIGSTOPped -------------------------
stop_replica 1
anchor token create --server "$B" --cn pump-1 -q > pump-1.tok
agent() {  # agent NAME LOG [flags...]: one attempt of anchor-agent for the device NAME
  local name=$1 log=$2; shift 2
  "$ANCHOR_AGENT" run --once --ca-cert "$ANCHOR_HOME/root.crt" --cn "$name" --key "$name.key" \
    --cert "$name.crt" --token-file "$name.tok" --renew-at 0 "$@" 2> "$log"
}
agent pump-1 enroll.log --server "$A,$B" || { cat enroll.log; fail "agent enrollment with A down"; }
has "$A is unavailable (.*); using $B now" enroll.log || { cat enroll.log; fail "no switch line"; }
[ "$(grep -c "using $B now" enroll.log)" = 1 ] || { cat enroll.log; fail "the switch was logged more than once"; }
has '"server": "'"$B"'"' pump-1.crt.state.json || { cat pump-1.crt.state.json; fail "the state does not remember B"; }
first=$(serial_of pump-1.crt)
[ "$(dbsql "SELECT count(*) FROM certificates WHERE common_name = 'pump-1'")" = 1 ] || fail "psql: pump-1's rows"
agent pump-1 renew.log --server "$A,$B" || { cat renew.log; fail "agent renewal with A down"; }
[ "$(serial_of pump-1.crt)" != "$first" ] || fail "not renewed"
has "unavailable" renew.log && { cat renew.log; fail "the renewal asked A again: not sticky"; }
pass "agent --server A,B: enrolled with A's port closed (one switch line), renewed straight from B, the replica it remembered"

start_replica_at 1 "$WORK/home1" "127.0.0.1:$PORT_1"
kill -STOP "$PID_2"
t0=$(date +%s)
agent pump-1 renew2.log --server "$A,$B" || { kill -CONT "$PID_2"; cat renew2.log; fail "renewal with B stopped"; }
took=$(($(date +%s) - t0))
has "$B is unavailable (.*); using $A now" renew2.log || { kill -CONT "$PID_2"; cat renew2.log; fail "no switch line to A"; }
has '"server": "'"$A"'"' pump-1.crt.state.json || fail "the state does not remember A"
[ "$took" -le 25 ] || fail "the renewal took $took s with B stopped"
anchor token create --server "$A" --cn pump-2 -q > pump-2.tok
kill -CONT "$PID_2"
kill -STOP "$PID_1"
t0=$(date +%s)
agent pump-2 enroll2.log --server "$A" --server "$B" \
  || { kill -CONT "$PID_1"; cat enroll2.log; fail "enrollment with A stopped"; }
took2=$(($(date +%s) - t0))
kill -CONT "$PID_1"
has "$A is unavailable (.*); using $B now" enroll2.log || { cat enroll2.log; fail "no switch line to B"; }
[ "$(dbsql "SELECT count(*) FROM certificates WHERE common_name = 'pump-2'")" = 1 ] || fail "psql: pump-2's rows"
pass "agent: renewed with B (its last replica) SIGSTOPped in ${took} s, enrolled with A (the first) SIGSTOPped in ${took2} s (--server repeated); one certificate each"

# ---- The CLI: a stopped replica, a 503, a certificate for another name; 4xx are answers -------
stop_replica 1
rc=0; anchor revoke --server "$A" --server "$B" "$(serial_of pump-2.crt)" > revoke.out 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat revoke.out; fail "anchor revoke with A down: exit $rc"; }
has "warning: $A is unavailable (.*); using $B now" revoke.out || { cat revoke.out; fail "revoke: no switch line"; }
has "revoked $(serial_of pump-2.crt) .* on $B" revoke.out || { cat revoke.out; fail "revoke does not name B"; }
anchor list --server "$A" --server "$B" --status revoked --json > list.json 2> list.err \
  || { cat list.err; fail "anchor list with A down"; }
has "$(serial_of pump-2.crt)" list.json || fail "the list from B lacks pump-2"
fp=$(openssl x509 -in "$ANCHOR_HOME/root.crt" -noout -fingerprint -sha256 | cut -d= -f2)
anchor token create --server "$B" --cn gw-1 -q > gw-1.tok
anchor enroll --server "$A,$B" --fingerprint "$fp" --token-file gw-1.tok --cn gw-1 --key gw-1.key \
  --cert gw-1.crt --ca-out gw-1.roots > enroll-cli.out 2>&1 || { cat enroll-cli.out; fail "anchor enroll --fingerprint with A down"; }
[ "$(grep -c "using $B now" enroll-cli.out)" = 1 ] || { cat enroll-cli.out; fail "anchor enroll: not one switch line"; }
openssl verify -CAfile gw-1.roots -untrusted gw-1.crt gw-1.crt > /dev/null || fail "openssl verify of gw-1's chain"
pass "anchor revoke, list and enroll --fingerprint (cacerts pinned from B), --server A --server B or A,B, A stopped: answered by B, the switch said once on stderr"

# A replica of another CA listed first (misconfigured or spoofed): with --fingerprint, the
# enrollment goes on with the replica that serves the pinned root; it costs that replica's turn.
ANCHOR_HOME="$WORK/foreign" anchor init --name foreign -q 2>/dev/null
FOREIGN_PORT=$(free_port)
ANCHOR_HOME="$WORK/foreign" "$ANCHOR" serve --listen "127.0.0.1:$FOREIGN_PORT" > foreign.log 2>&1 &
FOREIGN_PID=$!
PIDS+=($FOREIGN_PID)
for _ in $(seq 1 100); do grep -q "listening on" foreign.log && break; sleep 0.1; done
anchor token create --server "$B" --cn gw-2 -q > gw-2.tok
anchor enroll --server "https://127.0.0.1:$FOREIGN_PORT,$B" --fingerprint "$fp" --token-file gw-2.tok \
  --cn gw-2 --key gw-2.key --cert gw-2.crt --ca-out gw-2.roots > enroll-foreign.out 2>&1 \
  || { cat enroll-foreign.out; fail "anchor enroll --fingerprint with another CA's replica first"; }
openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted gw-2.crt gw-2.crt > /dev/null \
  || fail "gw-2 is not from this CA"
kill "$FOREIGN_PID"; wait "$FOREIGN_PID" 2>/dev/null || true
forget_pid "$FOREIGN_PID"
pass "enroll --fingerprint with another CA's serve listed first: enrolled by B, which serves the pinned root"

start_replica_at 1 "$WORK/home1" "127.0.0.1:$PORT_1"
cp "$WORK/r2.log" r2.before
rc=0; anchor revoke --server "$A" --server "$B" 00ff00ff > notfound.out 2>&1 || rc=$?
[ "$rc" = 1 ] && has "404" notfound.out || { cat notfound.out; fail "an unknown serial: exit $rc"; }
anchor token create --server "$A" --cn pump-3 -q > pump-3.tok
agent pump-3 first.log --server "$A,$B" || { cat first.log; fail "pump-3's enrollment"; }
rm pump-3.key pump-3.crt pump-3.crt.state.json
rc=0; agent pump-3 used.log --server "$A,$B" || rc=$?
[ "$rc" = 1 ] && has "401" used.log || { cat used.log; fail "a used token with a new key: exit $rc"; }
has "unavailable" notfound.out used.log && fail "a 4xx was taken for an unavailable replica"
has "404\|401" <(diff r2.before "$WORK/r2.log" || true) && { cat "$WORK/r2.log"; fail "a 4xx from A was sent to B"; }
has "404" "$WORK/r1.log" && has "401" "$WORK/r1.log" || { cat "$WORK/r1.log"; fail "A did not answer the 4xx"; }
pass "4xx are answers: an unknown serial (404) and a used token (401) from A, not sent to B (its log is silent)"

# A real 503: replica 1 loses its database (the socket link removed, its sessions ended).
rm "$WORK/r1sock/.s.PGSQL.5432"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'anchor-r1'" > /dev/null
code=$(curl -sS --max-time 10 --cacert "$ANCHOR_HOME/root.crt" --cert "$ANCHOR_HOME/admin.crt" \
  --key "$ANCHOR_HOME/admin.key" -o a503.out -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"cn":"probe","sans":[],"profile":"device","ttl":"1h"}' "$A/api/v1/tokens" || true)
[ "$code" = 503 ] || { cat a503.out; fail "replica 1 without its database answered $code, not 503"; }
anchor token create --server "$A,$B" --cn pump-4 > pump-4.tok 2> token.err \
  || { cat token.err; fail "token create with A answering 503"; }
has "warning: $A is unavailable (HTTP: 503 .*); using $B now" token.err || { cat token.err; fail "no switch line for the 503"; }
agent pump-4 enroll4.log --server "$B" || { cat enroll4.log; fail "the token made on B does not enroll"; }
pass "A without its database answers 503 (curl); anchor token create --server A,B gets the token from B, which enrolls"

# A replica whose certificate does not name the URL's host is skipped, like one that is down.
start_replica_at 3 "$ANCHOR_HOME" 127.0.0.2:0
C="https://127.0.0.2:$PORT_3"
anchor list --server "$C" --server "$B" --json > list2.json 2> list2.err || { cat list2.err; fail "list with C misnamed"; }
has "warning: $C is unavailable (this client does not accept the server's certificate.*); using $B now" list2.err \
  || { cat list2.err; fail "C's certificate was not refused by its name"; }
rc=0; anchor list --server "$C" > /dev/null 2> list3.err || rc=$?
[ "$rc" = 1 ] && has "does not accept the server's certificate" list3.err || { cat list3.err; fail "C alone: exit $rc"; }
pass "every URL is verified with its own host name: 127.0.0.2 (not in serve's certificate) is refused, B answers"

stop_replica 3
stop_replica 2
stop_replica 1
