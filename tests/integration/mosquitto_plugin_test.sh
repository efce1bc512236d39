#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor_mosquitto.so in Debian's Mosquitto, with mosquitto_pub/mosquitto_sub and
# python3-paho-mqtt as the clients: topic ACLs by role (allowed and denied publish and
# subscribe), a certificate of another CA that the broker's trust bundle accepts refused by the
# plugin, a self-signed one refused by TLS, a revoked certificate refused at connect, a connected
# client dropped when revoked, the CA down (fail-open keeps the last list, also across a broker
# restart through the cache; fail-closed refuses until the CA is back), a bad option stops the
# broker with a one-line error, and a broken rules file on SIGHUP keeps the old rules.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_PLUGIN:?ANCHOR_PLUGIN must name anchor_mosquitto.so}"
PROBE=(/usr/bin/python3 "$TESTS_DIR/mqtt_probe.py")

anchor init --name fleet -q
start_anchor_serve
issue() { anchor issue --cn "$1" --profile "$2" --cert "$1.crt" --key "$1.key" -q 2>/dev/null; }
issue localhost peer  # the broker: serverAuth for its listener, clientAuth for the feed
for d in dev-a dev-b dev-c; do issue "$d" device; done
issue svc-s service
ANCHOR_HOME="$WORK/other" anchor init --name other -q
ANCHOR_HOME="$WORK/other" anchor issue --cn dev-a --profile device --cert foreign.crt \
  --key foreign.key -q 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key \
  -out self.crt -subj /CN=dev-a -days 1 2>/dev/null
# The broker trusts both CAs (a trust bundle, as seed 004 builds): only the plugin can tell
# that the other CA's dev-a is not anchor's.
cat "$ANCHOR_HOME/root.crt" "$WORK/other/root.crt" > bundle.pem

cat > acl.toml <<'TOML'
[roles]
device = "urn:anchor:device:{cn}"
service = "urn:anchor:service:{cn}"

[[allow]]
role = "device"
publish = ["devices/{cn}/#"]
subscribe = ["commands/{cn}/#"]

[[allow]]
role = "service"
subscribe = ["devices/+/telemetry"]
publish = ["commands/+/#"]
TOML

P1=$(free_port)
mosquitto_conf "$P1" bundle.pem localhost.crt localhost.key "acl_file $WORK/acl.toml" \
  "poll_ms 100" "cache_file $WORK/open.cache" > open.conf
start_mosquitto open.conf "$P1"
OPEN_PID=$MOSQ_PID
LOG1="$WORK/mosquitto-$P1.log"
has "following the revocation feed" "$LOG1" || { cat "$LOG1"; fail "the plugin did not reach the feed"; }
MQ=(-h localhost -p "$P1" --cafile "$ANCHOR_HOME/root.crt")
probe() { "${PROBE[@]}" "$1" --port "$P1" --cafile "$ANCHOR_HOME/root.crt" "${@:2}"; }

# Allowed: a service reads device telemetry, with paho and with the mosquitto clients.
probe deliver --cert svc-s.crt --key svc-s.key --topic 'devices/+/telemetry' \
  --publish-cert dev-a.crt --publish-key dev-a.key --publish-topic devices/dev-a/telemetry >/dev/null \
  || fail "paho: dev-a's telemetry did not reach svc-s"
mosquitto_sub "${MQ[@]}" --cert svc-s.crt --key svc-s.key -t 'devices/+/telemetry' -C 1 -W 5 \
  > sub.out 2>&1 &
SUB=$!
PIDS+=($SUB)
sleep 0.5
mosquitto_pub "${MQ[@]}" --cert dev-a.crt --key dev-a.key -t devices/dev-a/telemetry -m 21.5 \
  || fail "mosquitto_pub as dev-a"
wait "$SUB" || { cat sub.out; fail "mosquitto_sub as svc-s got nothing"; }
forget_pid "$SUB"
grep -qx 21.5 sub.out || fail "mosquitto_sub received '$(cat sub.out)'"
pass "allowed: dev-a publishes its telemetry, svc-s (role service) receives it (paho and mosquitto_sub)"

# Denied: another device's topic, a wider subscription; both logged with the identity.
mosquitto_pub "${MQ[@]}" --cert dev-a.crt --key dev-a.key -t devices/dev-b/telemetry -m x \
  -q 1 -V 5 > pub.out 2>&1 || true
has -i "not authorized" pub.out || { cat pub.out; fail "publishing to dev-b's topic was not refused"; }
! probe deliver --cert svc-s.crt --key svc-s.key --topic 'devices/+/telemetry' --timeout 1 \
  --publish-cert dev-a.crt --publish-key dev-a.key --publish-topic devices/dev-b/telemetry \
  >/dev/null || fail "a denied publish was delivered"
mosquitto_sub "${MQ[@]}" --cert dev-a.crt --key dev-a.key -t 'devices/#' -C 1 -W 2 > sub.out 2>&1 || true
has "denied" sub.out || { cat sub.out; fail "dev-a could subscribe to devices/#"; }
has "denied publish 'devices/dev-b/telemetry' to 'dev-a'" "$LOG1" || fail "no denial logged"
has "denied subscribe 'devices/#' to 'dev-a'" "$LOG1" || fail "no subscribe denial logged"
pass "denied: dev-a on dev-b's topic (PUBACK not authorized, not delivered), dev-a on devices/#; logged"

probe connect --cert foreign.crt --key foreign.key > out.json && fail "another CA's dev-a was admitted"
has '"connack": 5' out.json || { cat out.json; fail "another CA's certificate: not refused by the plugin"; }
has "not issued by the anchor CA" "$LOG1" || fail "the foreign certificate's refusal is not logged"
probe connect --cert self.crt --key self.key > out.json && fail "a self-signed certificate was admitted"
has '"connack": -' out.json || fail "a self-signed certificate got past TLS"
pass "another CA's certificate (trusted by the broker's bundle) refused by the plugin; self-signed refused by TLS"

# Revoked before connecting: an offline `anchor revoke`, which the feed carries.
anchor revoke "$(serial_of dev-b.crt)" --reason keyCompromise -q
for _ in $(seq 1 30); do
  probe connect --cert dev-b.crt --key dev-b.key > out.json || break
  sleep 0.1
done
has '"connack": 5' out.json || fail "revoked dev-b was still admitted after 3 s"
has "certificate $(serial_of dev-b.crt) is revoked" "$LOG1" || fail "the refusal does not say revoked"
pass "revoked at connect: dev-b refused (CONNACK 5) once the feed carried its revocation"

# Revoked while connected: dropped, and its reconnection refused.
probe kick --cert dev-a.crt --key dev-a.key --topic 'commands/dev-a/#' \
  --revoke "$ANCHOR revoke --server $BASE $(serial_of dev-a.crt) --reason keyCompromise -q" \
  > kick.json || { cat kick.json; fail "dev-a was not dropped and refused after its revocation"; }
dropped_ms=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["dropped_ms"] < 3000, d; print(d["dropped_ms"])' kick.json) \
  || fail "dev-a dropped too late: $(cat kick.json)"
has "disconnecting client .* 'dev-a' .*revoked" "$LOG1" || fail "the kick is not logged"
pass "revoked while connected: dev-a dropped ${dropped_ms} ms after \`anchor revoke\` returned, reconnect refused"

# A fail-closed broker beside it, with the same certificates.
P2=$(free_port)
mosquitto_conf "$P2" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key "acl_file $WORK/acl.toml" \
  "poll_ms 100" "on_ca_down closed" "stale_after_s 1" > closed.conf
start_mosquitto closed.conf "$P2"
CLOSED_PID=$MOSQ_PID
LOG2="$WORK/mosquitto-$P2.log"
probe2() { "${PROBE[@]}" "$1" --port "$P2" --cafile "$ANCHOR_HOME/root.crt" "${@:2}"; }
probe2 connect --cert dev-c.crt --key dev-c.key >/dev/null || fail "fail-closed broker refused dev-c with the CA up"

# The CA goes down.
CA_PORT=$PORT
stop_anchor_serve
for _ in $(seq 1 50); do has "cannot follow the revocation feed" "$LOG1" && break; sleep 0.1; done
has "cannot follow the revocation feed.*keeping the last known list: 2 revoked" "$LOG1" \
  || { cat "$LOG1"; fail "fail-open broker did not log the CA as unreachable"; }
sleep 1.5  # past stale_after_s
probe connect --cert dev-c.crt --key dev-c.key >/dev/null || fail "fail-open: dev-c refused with the CA down"
probe connect --cert dev-b.crt --key dev-b.key > /dev/null && fail "fail-open: revoked dev-b admitted with the CA down"
probe2 connect --cert dev-c.crt --key dev-c.key > out.json && fail "fail-closed: dev-c admitted with the CA down"
has "has not answered for over 1 s and on_ca_down is closed" "$LOG2" || fail "fail-closed refusal not logged"
pass "CA down: fail-open admits dev-c and still refuses revoked dev-b; fail-closed refuses dev-c"

# The fail-open broker restarts while the CA is down: its cache keeps the revocations.
stop_pid "$OPEN_PID"
has '"cursor":2' open.cache || { cat open.cache; fail "the cache does not hold the feed's cursor"; }
start_mosquitto open.conf "$P1"
OPEN_PID=$MOSQ_PID
has "loaded the revocation cache .*2 revoked" "$LOG1" || { cat "$LOG1"; fail "cache not loaded"; }
probe connect --cert dev-b.crt --key dev-b.key > /dev/null && fail "restarted without the CA: revoked dev-b admitted"
probe connect --cert dev-c.crt --key dev-c.key > /dev/null || fail "restarted without the CA: dev-c refused"
pass "broker restarted while the CA is down: the cache still refuses dev-b, admits dev-c"

# The CA is back where it was: the fail-closed broker admits again.
SERVE_LISTEN="127.0.0.1:$CA_PORT" start_anchor_serve
for _ in $(seq 1 50); do probe2 connect --cert dev-c.crt --key dev-c.key >/dev/null && break; sleep 0.1; done
probe2 connect --cert dev-c.crt --key dev-c.key >/dev/null || fail "fail-closed: dev-c refused after the CA came back"
pass "CA back: the fail-closed broker admits dev-c again"

# A broken rules file on SIGHUP: the old rules stay, and say so.
echo '[[allow]]' >> acl.toml
kill -HUP "$OPEN_PID"
for _ in $(seq 1 30); do has "kept the old ACL rules" "$LOG1" && break; sleep 0.1; done
has "kept the old ACL rules: .*acl.toml: allow\[3\]" "$LOG1" || { tail -5 "$LOG1"; fail "reload of a broken file"; }
probe deliver --cert svc-s.crt --key svc-s.key --topic 'devices/+/telemetry' \
  --publish-cert dev-c.crt --publish-key dev-c.key --publish-topic devices/dev-c/telemetry >/dev/null \
  || fail "the old rules were lost on a bad reload"
pass "SIGHUP with a broken rules file: the old rules stay, the error names the rule"

# A listener with use_identity_as_username: Mosquitto skips plugin authentication, so revoked
# dev-b gets its CONNACK; the plugin checks it at its first publish, refuses it, drops it at the
# next tick (never from inside the broker's check), says why the option should be off, and
# still lets valid dev-c publish.
P4=$(free_port)
mosquitto_conf "$P4" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key "poll_ms 100" > identity.conf
echo "use_identity_as_username true" >> identity.conf
start_mosquitto identity.conf "$P4"
LOG4="$WORK/mosquitto-$P4.log"
MQ4=(-h localhost -p "$P4" --cafile "$ANCHOR_HOME/root.crt")
"${PROBE[@]}" session --port "$P4" --cafile "$ANCHOR_HOME/root.crt" --cert dev-b.crt \
  --key dev-b.key --client-id b-ident --publish-topic devices/dev-b/telemetry --message x \
  --end stay --listen 3 > identity.json
has '"connack": 0' identity.json && has '"dropped": true' identity.json \
  || { cat identity.json; fail "revoked dev-b was not dropped after its first publish"; }
has "without passing this plugin's authentication; turn use_identity_as_username off" "$LOG4" \
  || { cat "$LOG4"; fail "no warning about use_identity_as_username"; }
has "certificate $(serial_of dev-b.crt) is revoked" "$LOG4" || fail "dev-b's refusal not logged"
has "disconnecting client 'b-ident' refused at its first publish or subscribe" "$LOG4" \
  || fail "dev-b's drop not logged"
mosquitto_pub "${MQ4[@]}" --cert dev-c.crt --key dev-c.key -t devices/dev-c/telemetry -m 1 \
  -q 1 -V 5 > identity.out 2>&1 || { cat identity.out; fail "dev-c could not publish"; }
! has -i "not authorized" identity.out || fail "dev-c was denied"
pass "use_identity_as_username on: revoked dev-b refused at its first publish and dropped at the tick, with a warning; dev-c publishes"

# A bad option stops the broker at start, with the option named.
P3=$(free_port)
mosquitto_conf "$P3" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key "on_ca_down maybe" > bad.conf
rc=0
env ${ANCHOR_BROKER_PRELOAD:+LD_PRELOAD=$ANCHOR_BROKER_PRELOAD} ASAN_OPTIONS=detect_leaks=0 \
  timeout 10 mosquitto -c bad.conf > bad.out 2>&1 || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "mosquitto started with a bad plugin option (rc $rc)"
has "anchor: plugin_opt_on_ca_down: 'maybe': use open" "$WORK/mosquitto-$P3.log" \
  || { cat "$WORK/mosquitto-$P3.log"; fail "the bad option is not named"; }
pass "a bad plugin option stops the broker with one line naming it"
