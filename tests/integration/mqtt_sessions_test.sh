#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor_mosquitto.so under real MQTT sessions, which outlive their connections: Debian's
# Mosquitto with persistence on, mosquitto_pub/mosquitto_sub and python3-paho-mqtt as clients.
# A QoS 1 message for an offline persistent session (MQTT 3.1.1 and MQTT 5 with a session expiry)
# is queued and delivered on reconnect, with the broker alive; another identity cannot take a
# client id over, the same device with a renewed certificate can (and the old serial's revocation
# then drops nothing); a clean session frees its id; an id that names an admitted CN (the CN, or
# CN:...) is that CN's even without a session, also after a restart, and a CN never admitted is
# not reserved until it comes; a CN holding ':' cannot take the session of the CN before the ':'
# (owned: refused that id; cn-prefix: refused outright); nothing is queued for the offline session of
# a revoked device; wills are decided by the identity that left them (delivered, forged, delayed
# past a revocation); a revoked device's retained messages are withheld, also after a broker
# restart (state_file); MQTT 5 shared subscriptions are granted by the filter after the share
# name; the client_id rules cn and cn-prefix; a bad client_id option stops the broker; a feed
# whose cursor does not move is asked once per poll, not in a loop.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_PLUGIN:?ANCHOR_PLUGIN must name anchor_mosquitto.so}"
PROBE=(/usr/bin/python3 "$TESTS_DIR/mqtt_probe.py")

anchor init --name fleet -q
start_anchor_serve
issue() { anchor issue --cn "$1" --profile "$2" --cert "${3:-$1}.crt" --key "${3:-$1}.key" -q 2>/dev/null; }
issue localhost peer
for d in dev-a dev-b dev-c dev-d dev-e dev-f dev-g dev-h; do issue "$d" device; done
issue dev-a device dev-a-renewed  # the same device after a renewal: same CN, new serial
issue svc-s service
# The client profile allows ':' in a CN: these could be mistaken for ids of dev-a and dev-c.
issue dev-a:1 client colon-a
issue dev-c:1 client colon-c

cat > acl.toml <<'TOML'
[[allow]]
role = "device"
publish = ["devices/{cn}/#"]
subscribe = ["commands/{cn}/#"]

[[allow]]
role = "service"
subscribe = ["devices/+/telemetry", "devices/+/status"]
publish = ["commands/+/#"]
TOML

P1=$(free_port)
mkdir -p db
{
  mosquitto_conf "$P1" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key \
    "acl_file $WORK/acl.toml" "poll_ms 100" "state_file $WORK/plugin-state.json"
  echo "persistence true"
  echo "persistence_location $WORK/db/"
} > main.conf
start_mosquitto main.conf "$P1"
LOG="$WORK/mosquitto-$P1.log"
for _ in $(seq 1 50); do has "following the revocation feed" "$LOG" && break; sleep 0.1; done

MQ=(-h localhost -p "$P1" --cafile "$ANCHOR_HOME/root.crt")
as() { echo --cert "$1.crt" --key "$1.key"; }
# session_on PORT CERT ARGS...: one paho session step (mqtt_probe.py session), its JSON on stdout;
# session CERT ARGS...: the same on the main broker.
session_on() {
  "${PROBE[@]}" session --port "$1" --cafile "$ANCHOR_HOME/root.crt" $(as "$2") "${@:3}"
}
session() { session_on "$P1" "$@"; }
# field JSON-FILE EXPR: a Python expression over the JSON `d` a session step printed.
field() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
alive() { kill -0 "$MOSQ_PID" 2>/dev/null || { tail -20 "$LOG"; fail "mosquitto died: $*"; }; }
# background CERT OUT ARGS...: a session step that stays connected; waits until it subscribed.
background() {
  local cert=$1 out=$2; shift 2
  session "$cert" --end stay "$@" > "$out" &
  BG=$!
  PIDS+=($BG)
  local id
  id=$(printf '%s\n' "$@" | sed -n '/^--client-id$/{n;p}')
  for _ in $(seq 1 50); do has "as $id " "$LOG" && break; sleep 0.1; done
  sleep 0.5  # its SUBACK
}
finish() { wait "$1" || true; forget_pid "$1"; }
# revoke CERT: revoke it at the CA and wait until the broker refuses it.
revoke() {
  anchor revoke "$(serial_of "$1")" --reason keyCompromise -q
  for _ in $(seq 1 50); do
    "${PROBE[@]}" connect --port "$P1" --cafile "$ANCHOR_HOME/root.crt" --cert "$1" \
      --key "${1%.crt}.key" > revoke.json || true
    has '"connack": 5' revoke.json && return 0
    sleep 0.1
  done
  fail "$1 still admitted after its revocation"
}

# 1. A QoS 1 message for an offline persistent session (MQTT 3.1.1, clean session 0), with
# Mosquitto's own clients: the broker asks the plugin about a client with no connection.
mosquitto_sub "${MQ[@]}" $(as dev-a) -c -i a-persist -q 1 -t 'commands/dev-a/#' -E \
  || fail "dev-a could not make its persistent session"
mosquitto_pub "${MQ[@]}" $(as svc-s) -q 1 -t commands/dev-a/reboot -m queued \
  || fail "svc-s could not publish"
sleep 0.3
alive "on a QoS 1 message for an offline session"
mosquitto_sub "${MQ[@]}" $(as dev-a) -c -i a-persist -q 1 -t 'commands/dev-a/#' -C 1 -W 5 \
  > queued.out || { cat queued.out; fail "the queued message was not delivered on reconnect"; }
grep -qx queued queued.out || fail "dev-a got '$(cat queued.out)'"
! has "no client certificate" "$LOG" || fail "the plugin took the offline session for a new client"
pass "a QoS 1 message for dev-a's offline session is queued and delivered on reconnect; the broker lives"

# 2. The same with MQTT 5 and a session expiry interval (paho).
session dev-b --v5 --persistent --expiry 60 --client-id b5 --subscribe 'commands/dev-b/#' > b5.json
mosquitto_pub "${MQ[@]}" $(as svc-s) -q 1 -t commands/dev-b/x -m v5-queued
session dev-b --v5 --persistent --expiry 60 --client-id b5 --listen 1 > b5.json
[ "$(field b5.json 'd["session_present"]')" = 1 ] || { cat b5.json; fail "MQTT 5 session not resumed"; }
has '"v5-queued"' b5.json || { cat b5.json; fail "MQTT 5: the queued message was not delivered"; }
pass "MQTT 5 session with an expiry interval: resumed with its queued message"

# 3. Another identity connecting with dev-a's client id is refused; dev-a stays connected.
background dev-a hold-a.json --client-id sensor-17 --persistent --subscribe 'commands/dev-a/#' --listen 4
HOLD=$BG
session dev-b --client-id sensor-17 --persistent > takeover.json
[ "$(field takeover.json 'd["connack"]')" = 5 ] || { cat takeover.json; fail "dev-b took dev-a's client id"; }
rc=0
mosquitto_pub "${MQ[@]}" $(as dev-b) -i sensor-17 -t devices/dev-b/telemetry -m x > pub.out 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "mosquitto_pub as dev-b with dev-a's client id was admitted"
mosquitto_pub "${MQ[@]}" $(as svc-s) -q 1 -t commands/dev-a/ping -m still-here
finish "$HOLD"
[ "$(field hold-a.json 'd["dropped"]')" = False ] || { cat hold-a.json; fail "dev-a was pushed off the broker"; }
has '"still-here"' hold-a.json || { cat hold-a.json; fail "dev-a stopped receiving"; }
has "client id 'sensor-17' belongs to 'dev-a'" "$LOG" || fail "the refusal does not say whose id it is"
pass "dev-b with dev-a's client id refused (paho and mosquitto_pub); dev-a keeps its connection"

# 4. The same device, renewed, takes over its own session; revoking the old serial then drops
# nothing.
background dev-a hold-old.json --client-id sensor-17 --persistent --listen 4
HOLD=$BG
session dev-a-renewed --client-id sensor-17 --persistent --listen 0.3 > renewed.json
finish "$HOLD"
[ "$(field renewed.json 'd["connack"]')" = 0 ] || { cat renewed.json; fail "the renewed dev-a was refused"; }
[ "$(field renewed.json 'd["session_present"]')" = 1 ] || { cat renewed.json; fail "no session present"; }
[ "$(field hold-old.json 'd["dropped"]')" = True ] || fail "the old connection was not taken over"
background dev-a-renewed hold-new.json --client-id sensor-17 --persistent --listen 5
HOLD=$BG
revoke dev-a.crt
mosquitto_pub "${MQ[@]}" $(as svc-s) -q 1 -t commands/dev-a/after -m after-renewal
finish "$HOLD"
[ "$(field hold-new.json 'd["dropped"]')" = False ] || fail "revoking the old serial dropped the renewed device"
has '"after-renewal"' hold-new.json || { cat hold-new.json; fail "the renewed device lost its subscription"; }
pass "renewed dev-a (same CN, new serial) takes over its session; the old serial's revocation keeps it on"

# 5. A clean session ends with its connection (MQTT 3.1.1 section 3.1.2.4): its id is free.
session dev-c --client-id tmp-1 > tmp.json
session dev-b --client-id tmp-1 > tmp.json
[ "$(field tmp.json 'd["connack"]')" = 0 ] || { cat tmp.json; fail "a clean session's id stayed owned"; }
session dev-c --client-id keep-1 --persistent > keep.json
session dev-b --client-id keep-1 > keep.json
[ "$(field keep.json 'd["connack"]')" = 5 ] || { cat keep.json; fail "a persistent session's id was taken"; }
pass "a clean session's client id is free once it ends; a persistent one's stays its owner's"

# 5b. An id that names a CN the plugin has admitted (the CN itself, or CN:...) is that CN's, with
# or without a session: dev-a connected as a-persist, dev-c only with other ids.
rc=0
mosquitto_pub "${MQ[@]}" $(as dev-b) -i dev-a -t devices/dev-b/telemetry -m x > pub.out 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "mosquitto_pub as dev-b with client id dev-a was admitted"
has "client id 'dev-a' belongs to 'dev-a' (an id that is a CN, or starts with CN:, is that CN's)" \
  "$LOG" || fail "the refusal of id dev-a to dev-b does not say whose it is"
session svc-s --client-id dev-c --persistent > named.json
[ "$(field named.json 'd["connack"]')" = 5 ] || { cat named.json; fail "svc-s took dev-c's CN as id"; }
session dev-b --client-id dev-c:ota --persistent > named.json
[ "$(field named.json 'd["connack"]')" = 5 ] || { cat named.json; fail "dev-b took dev-c:ota"; }
session dev-b --client-id dev-c-ota > named.json
[ "$(field named.json 'd["connack"]')" = 0 ] || { cat named.json; fail "dev-c-ota (no ':') refused"; }
# dev-g never connected: the plugin cannot know its CN, so svc-s may use it until dev-g comes.
session svc-s --client-id dev-g --persistent > named.json
[ "$(field named.json 'd["connack"]')" = 0 ] || { cat named.json; fail "svc-s refused dev-g before dev-g came"; }
session dev-g --client-id dev-g --persistent > named.json
[ "$(field named.json 'd["connack"]')" = 0 ] || { cat named.json; fail "dev-g refused its own CN as id"; }
session svc-s --client-id dev-g --persistent > named.json
[ "$(field named.json 'd["connack"]')" = 5 ] || { cat named.json; fail "svc-s took dev-g back"; }
# dev-h connects once with a clean session (no session left), then nobody else may use its CN.
mosquitto_pub "${MQ[@]}" $(as dev-h) -i h-once -t devices/dev-h/telemetry -m x
session svc-s --client-id dev-h > named.json
[ "$(field named.json 'd["connack"]')" = 5 ] || { cat named.json; fail "svc-s took dev-h after its clean session"; }
pass "ids dev-a, dev-c, dev-c:ota refused to other identities (dev-c-ota not); dev-g free until dev-g came, then its own; dev-h's after a clean session"

# 5c. A CN that holds ':' ("dev-a:1", the client profile allows it) and dev-a's persistent session
# with id dev-a:1: the intruder is refused that id (and other ids under dev-a:), not the session.
session dev-a-renewed --client-id dev-a:1 --persistent --subscribe 'commands/dev-a/#' > colon.json
[ "$(field colon.json 'd["connack"]')" = 0 ] || { cat colon.json; fail "dev-a refused dev-a:1"; }
session colon-a --client-id dev-a:1 --persistent > colon.json
[ "$(field colon.json 'd["connack"]')" = 5 ] || { cat colon.json; fail "CN dev-a:1 took dev-a's session dev-a:1"; }
has "client id 'dev-a:1' belongs to 'dev-a'" "$LOG" || fail "the refusal of CN dev-a:1 does not say whose"
session colon-a --client-id dev-a:1:x > colon.json
[ "$(field colon.json 'd["connack"]')" = 5 ] || { cat colon.json; fail "CN dev-a:1 took dev-a:1:x"; }
session colon-a --client-id colon-elsewhere > colon.json
[ "$(field colon.json 'd["connack"]')" = 0 ] || { cat colon.json; fail "owned refused CN dev-a:1 under a free id"; }
mosquitto_pub "${MQ[@]}" $(as svc-s) -q 1 -t commands/dev-a/colon -m for-dev-a
session dev-a-renewed --client-id dev-a:1 --persistent --listen 1 > colon.json
[ "$(field colon.json 'd["session_present"]')" = 1 ] || { cat colon.json; fail "dev-a lost its session dev-a:1"; }
has '"for-dev-a"' colon.json || { cat colon.json; fail "dev-a's queued message did not reach it"; }
pass "owned: CN dev-a:1 refused ids dev-a:1 and dev-a:1:x (dev-a's), admitted as colon-elsewhere; dev-a keeps its session"

# 6. Nothing is queued for the offline session of a revoked device, and nothing crashes.
mosquitto_sub "${MQ[@]}" $(as dev-d) -c -i d-persist -q 1 -t 'commands/dev-d/#' -E
revoke dev-d.crt
for m in 1 2 3; do mosquitto_pub "${MQ[@]}" $(as svc-s) -q 1 -t commands/dev-d/x -m "m$m"; done
sleep 0.3
alive "on messages for a revoked device's offline session"
has "the offline session 'd-persist' of 'dev-d' .*revoked" "$LOG" || fail "not logged"
[ "$(grep -c "offline session 'd-persist'" "$LOG")" = 1 ] || fail "logged more than once"
pass "revoked dev-d's offline session gets nothing queued (logged once), the broker lives"

# 7. Wills, decided by the identity that left them once its connection is gone.
background svc-s hold-wills.json --client-id svc-wills --subscribe 'devices/+/status' --listen 10
HOLD=$BG
session dev-c --client-id c-will --will-topic devices/dev-c/status --will-message c-gone --end drop >/dev/null
session dev-b --client-id b-will --will-topic devices/dev-c/status --will-message forged --end drop >/dev/null
session dev-c --v5 --persistent --expiry 30 --client-id c-late --will-topic devices/dev-c/status \
  --will-message c-late --will-delay 1 --end drop >/dev/null
session dev-e --v5 --persistent --expiry 30 --client-id e-late --will-topic devices/dev-e/status \
  --will-message e-late --will-delay 3 --end drop >/dev/null
revoke dev-e.crt  # within the 3 s the broker holds e-late's will
finish "$HOLD"
has '"c-gone"' hold-wills.json || { cat hold-wills.json; fail "dev-c's will was not delivered"; }
has '"c-late"' hold-wills.json || { cat hold-wills.json; fail "dev-c's delayed will was not delivered"; }
! has '"forged"' hold-wills.json || fail "dev-b's will on dev-c's topic was delivered"
! has '"e-late"' hold-wills.json || fail "revoked dev-e's delayed will was delivered"
alive "after the wills"
pass "wills: dev-c's delivered (also delayed), dev-b's on dev-c's topic denied, revoked dev-e's delayed will not sent"

# 8. MQTT 5 shared subscriptions (section 4.8.2): the filter after the share name decides.
background svc-s hold-share.json --v5 --client-id svc-shared \
  --subscribe '$share/workers/devices/+/telemetry' --subscribe '$share/workers/devices/#' --listen 2
HOLD=$BG
mosquitto_pub "${MQ[@]}" $(as dev-c) -q 1 -t devices/dev-c/telemetry -m shared
finish "$HOLD"
[ "$(field hold-share.json 'd["granted"]')" = "[1, 135]" ] \
  || { cat hold-share.json; fail "shared subscriptions: expected [1, 135] (granted, not authorized)"; }
has '"shared"' hold-share.json || { cat hold-share.json; fail "nothing delivered to the shared subscription"; }
pass "\$share/workers/devices/+/telemetry granted and delivered; \$share/workers/devices/# refused"

# 9. A revoked device's retained message is withheld from later subscribers.
mosquitto_pub "${MQ[@]}" $(as dev-b) -q 1 -r -t devices/dev-b/telemetry -m b-retained
mosquitto_pub "${MQ[@]}" $(as dev-c) -q 1 -r -t devices/dev-c/telemetry -m c-retained
mosquitto_pub "${MQ[@]}" $(as dev-f) -q 1 -r -t devices/dev-f/telemetry -m f-retained
session svc-s --client-id svc-r1 --subscribe 'devices/+/telemetry' > r1.json
has '"b-retained"' r1.json && has '"c-retained"' r1.json || { cat r1.json; fail "retained messages missing"; }
revoke dev-b.crt
session svc-s --client-id svc-r2 --subscribe 'devices/+/telemetry' > r2.json
! has '"b-retained"' r2.json || fail "revoked dev-b's retained message was delivered"
has '"c-retained"' r2.json || { cat r2.json; fail "dev-c's retained message was withheld too"; }
has "the retained message was published by certificate $(serial_of dev-b.crt), since revoked" "$LOG" \
  || fail "the withheld message is not logged"
pass "revoked dev-b's retained message withheld from a new subscriber; dev-c's still delivered"

# 10. A broker restart: Mosquitto restores sessions and retained messages from its persistence;
# the plugin's state file restores who owns and who published them. dev-f is revoked while the
# broker is down.
mosquitto_sub "${MQ[@]}" $(as dev-c) -c -i c-persist -q 1 -t 'commands/dev-c/#' -E
stop_pid "$MOSQ_PID"
has '"c-persist"' plugin-state.json || { cat plugin-state.json; fail "the state file lacks c-persist"; }
has '"identities":\[[^]]*"dev-h"' plugin-state.json || { cat plugin-state.json; fail "dev-h not kept"; }
anchor revoke "$(serial_of dev-f.crt)" --reason keyCompromise -q
start_mosquitto main.conf "$P1"
has "loaded the state file" "$LOG" || fail "the state file was not loaded"
session svc-s --client-id svc-r3 --subscribe 'devices/+/telemetry' > r3.json
has '"c-retained"' r3.json || { cat r3.json; fail "dev-c's retained message did not survive the restart"; }
! has '"f-retained"' r3.json || fail "dev-f, revoked while the broker was down, still speaks"
session dev-a-renewed --client-id c-persist > steal.json
[ "$(field steal.json 'd["connack"]')" = 5 ] || { cat steal.json; fail "c-persist was taken after the restart"; }
mosquitto_pub "${MQ[@]}" $(as svc-s) -q 1 -t commands/dev-c/restart -m after-restart
mosquitto_sub "${MQ[@]}" $(as dev-c) -c -i c-persist -q 1 -t 'commands/dev-c/#' -C 1 -W 5 \
  > restart.out || { cat restart.out; fail "dev-c's queued message after the restart"; }
grep -qx after-restart restart.out || fail "dev-c got '$(cat restart.out)'"
session svc-s --client-id dev-h > steal.json  # dev-h left no session, only its CN
[ "$(field steal.json 'd["connack"]')" = 5 ] || { cat steal.json; fail "dev-h's CN was free after the restart"; }
pass "after a restart: retained of dev-f (revoked meanwhile) withheld, dev-c's kept; c-persist still dev-c's, its queue delivered; id dev-h still dev-h's"

# 11. The client_id rules cn and cn-prefix, and a bad value, on brokers of their own.
for rule in cn cn-prefix; do
  P=$(free_port)
  mosquitto_conf "$P" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key "poll_ms 100" \
    "client_id $rule" > "rule-$rule.conf"
  start_mosquitto "rule-$rule.conf" "$P"
  try() {
    "${PROBE[@]}" session --port "$P" --cafile "$ANCHOR_HOME/root.crt" $(as dev-c) --client-id "$1" \
      --listen 0 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["connack"])'
  }
  [ "$(try dev-c)" = 0 ] || fail "client_id $rule: dev-c refused its CN as id"
  [ "$(try sensor-17)" = 5 ] || fail "client_id $rule: dev-c admitted as sensor-17"
  [ "$(try dev-cc)" = 5 ] || fail "client_id $rule: dev-c admitted as dev-cc"
  if [ "$rule" = cn-prefix ]; then
    [ "$(try dev-c:ota)" = 0 ] || fail "client_id cn-prefix: dev-c refused as dev-c:ota"
    # CN dev-c:1 and dev-c's persistent session dev-c:1: the CN holding ':' is refused outright.
    session_on "$P" dev-c --client-id dev-c:1 --persistent --subscribe 'commands/dev-c/#' > p.json
    [ "$(field p.json 'd["connack"]')" = 0 ] || { cat p.json; fail "cn-prefix: dev-c refused dev-c:1"; }
    for id in dev-c:1 dev-c:1:x colon-elsewhere; do
      session_on "$P" colon-c --client-id "$id" --persistent > p.json
      [ "$(field p.json 'd["connack"]')" = 5 ] || { cat p.json; fail "cn-prefix: CN dev-c:1 admitted as $id"; }
    done
    has "with certificate 'dev-c:1': its CN holds ':', which plugin_opt_client_id cn-prefix reads as the end of a CN ('dev-c:1' is also an id of CN 'dev-c'): issue this identity a CN without ':', or use client_id owned or cn" \
      "$WORK/mosquitto-$P.log" || fail "cn-prefix: the refusal of CN dev-c:1 does not say why"
    session_on "$P" dev-c --client-id dev-c:1 --persistent > p.json
    [ "$(field p.json 'd["session_present"]')" = 1 ] || { cat p.json; fail "cn-prefix: dev-c lost dev-c:1"; }
  else
    [ "$(try dev-c:ota)" = 5 ] || fail "client_id cn: dev-c admitted as dev-c:ota"
    # cn reserves only the CN itself: CN dev-c:1 uses its own, whoever else is known.
    session_on "$P" colon-c --client-id dev-c:1 > p.json
    [ "$(field p.json 'd["connack"]')" = 0 ] || { cat p.json; fail "cn: CN dev-c:1 refused its own CN"; }
  fi
  stop_pid "$MOSQ_PID"
done
has "client id 'sensor-17' is not the certificate's CN (plugin_opt_client_id cn)" \
  "$WORK/mosquitto-"*.log || fail "the cn rule's refusal is not logged"
P=$(free_port)
mosquitto_conf "$P" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key "client_id first" > bad.conf
rc=0
env ${ANCHOR_BROKER_PRELOAD:+LD_PRELOAD=$ANCHOR_BROKER_PRELOAD} ASAN_OPTIONS=detect_leaks=0 \
  timeout 10 mosquitto -c bad.conf > bad.out 2>&1 || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "mosquitto started with client_id first (rc $rc)"
has "anchor: plugin_opt_client_id: 'first': use owned" "$WORK/mosquitto-$P.log" || fail "not named"
pass "client_id cn: only the CN (CN dev-c:1 too); cn-prefix: the CN or CN:..., CN dev-c:1 refused with why, dev-c keeps dev-c:1; a bad value stops the broker naming it"

# 12. A feed that says "more" without moving its cursor (a broken CA; anchor serve's cursor always
# moves, so a stub serves it, with the real CA's cacerts): the follower asks again at its next
# poll instead of in a loop, and the broker starts and runs.
"${CURL[@]}" "$BASE/.well-known/est/cacerts" -o cacerts.body || fail "cannot read cacerts"
cat > stuck_feed.py <<'PY'
import http.server, ssl
count = 0
cacerts = open("cacerts.body", "rb").read()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        global count
        if self.path.startswith("/api/v1/revocations"):
            count += 1
            with open("stuck.count", "w") as f:
                f.write(str(count))
            body, kind = b'{"cursor":0,"more":true,"revocations":[]}', "application/json"
        elif self.path.endswith("/cacerts"):
            body, kind = cacerts, "application/pkcs7-mime"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain("localhost.crt", "localhost.key")
server.socket = tls.wrap_socket(server.socket, server_side=True)
with open("stuck.port", "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
/usr/bin/python3 stuck_feed.py > stuck.out 2>&1 &
STUCK=$!
PIDS+=($STUCK)
for _ in $(seq 1 50); do [ -s stuck.port ] && break; sleep 0.1; done
[ -s stuck.port ] || { cat stuck.out; fail "the stub feed did not start"; }
P=$(free_port)
BASE="https://localhost:$(cat stuck.port)" mosquitto_conf "$P" "$ANCHOR_HOME/root.crt" \
  localhost.crt localhost.key "poll_ms 100" > stuck.conf
start_mosquitto stuck.conf "$P"
sleep 1
first=$(cat stuck.count)
sleep 2
asked=$(( $(cat stuck.count) - first ))
[ "$asked" -le 40 ] || fail "the follower asked a stuck feed $asked times in 2 s (poll_ms 100)"
has "says more follows but its cursor stays at 0" "$WORK/mosquitto-$P.log" \
  || { cat "$WORK/mosquitto-$P.log"; fail "the stuck cursor is not logged"; }
kill -0 "$MOSQ_PID" || fail "the broker died on a stuck feed"
stop_pid "$MOSQ_PID"
stop_pid "$STUCK"
pass "a feed whose cursor does not move: asked $asked times in 2 s at poll_ms 100, logged, the broker runs"
