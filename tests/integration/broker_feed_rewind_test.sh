#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A CA whose store goes back (anchor.db restored from an older copy, as a failover that lost
# commits would do) while a broker follows its revocation feed: the feed refuses a cursor past
# its newest revocation (409, naming what happened and since=0), and Mosquitto with anchor's
# plugin, whose cursor is now ahead, reads the feed again from the start (one warning line) and
# drops the next device revoked, numbered below its old cursor; what it knew as revoked stays
# refused. curl, mosquitto and the paho probe as the peers.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_PLUGIN:?ANCHOR_PLUGIN must name the anchor_mosquitto plugin}"
PROBE=(/usr/bin/python3 "$TESTS_DIR/mqtt_probe.py")

anchor init --name rewind -q
anchor issue --cn localhost --profile peer --cert localhost.crt --key localhost.key -q 2>/dev/null
for d in a b c d; do
  anchor issue --cn "dev-$d" --profile device --cert "dev-$d.crt" --key "dev-$d.key" -q
done
# The older copy: before any revocation.
cp "$ANCHOR_HOME/anchor.db" before.db
SERVE_LISTEN=127.0.0.1:$(free_port)
start_anchor_serve
P=$(free_port)
mosquitto_conf "$P" "$ANCHOR_HOME/root.crt" localhost.crt localhost.key > broker.conf
start_mosquitto broker.conf "$P"
LOG="$WORK/mosquitto-$P.log"
probe() { "${PROBE[@]}" "$1" --port "$P" --cafile "$ANCHOR_HOME/root.crt" "${@:2}"; }

# Two revocations: the broker's cursor reaches 2.
anchor revoke --server "$BASE" "$(serial_of dev-a.crt)" -q
anchor revoke --server "$BASE" "$(serial_of dev-b.crt)" -q
for _ in $(seq 1 50); do
  probe connect --cert dev-b.crt --key dev-b.key > out.json || true
  has '"connack": 5' out.json && break
  sleep 0.1
done
has '"connack": 5' out.json || fail "dev-b was not refused after its revocation"

# The store goes back: serve stopped, the older anchor.db put back, serve started again.
stop_anchor_serve
cp before.db "$ANCHOR_HOME/anchor.db"
rm -f "$ANCHOR_HOME/anchor.db-wal" "$ANCHOR_HOME/anchor.db-shm"
start_anchor_serve
[ "$(http_status "$BASE/api/v1/revocations?since=2")" = 409 ] || fail "a cursor past the newest revocation: $(cat "$WORK/http.out")"
has "is past the newest revocation (0).*since=0" "$WORK/http.out" || fail "the 409's reason: $(cat "$WORK/http.out")"
[ "$(http_status "$BASE/api/v1/revocations?since=2&wait=5s")" = 409 ] || fail "a cursor past the newest revocation with wait"
pass "the feed refuses a cursor past its newest revocation: 409, $(cat "$WORK/http.out")"

# dev-c revoked now takes number 1, below the broker's cursor 2: the broker must still drop it.
probe kick --cert dev-c.crt --key dev-c.key --topic 'commands/dev-c/#' \
  --revoke "$ANCHOR revoke --server $BASE $(serial_of dev-c.crt) -q" \
  > kick.json || { cat kick.json "$LOG"; fail "dev-c was not dropped after the store went back"; }
has "ends before this broker's cursor 2.*reading it again from the start" "$LOG" \
  || { cat "$LOG"; fail "the rewind is not logged"; }
probe connect --cert dev-b.crt --key dev-b.key > out.json || true
has '"connack": 5' out.json || fail "dev-b, revoked before the store went back, was admitted again"
pass "the broker read the feed again from the start: dev-c (revocation 1) dropped, dev-b (lost by the restore) still refused"
