#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Revocation to disconnection, polled against pushed, in one run, on 127.0.0.1: N connected,
# subscribed devices per mode, each revoked through the admin API after a random pause of 0-400
# ms (anchor-mqtt-bench drop); the time from the admin API's answer until Mosquitto with anchor's
# plugin drops the device's connection. Modes, each its own broker:
#   poll       the plugin polls the feed every 250 ms (plugin_opt_feed_wait_s 0): the old way;
#   push       the plugin long-polls the feed (plugin_opt_feed_wait_s 10): the answer comes when
#              the revocation commits;
#   push-pg    the same with the CA on PostgreSQL and two replicas: the broker follows replica 2,
#              the revocations go through replica 1 (LISTEN/NOTIFY between them).
# The broker's plugin tick (Mosquitto runs it between event-loop waits of at most 100 ms) is the
# floor. Usage: bash bench/revocation_push_bench.sh [BUILD_DIR] [N]   (N=100 by default)
set -euo pipefail
BUILD=$(realpath "${1:-build}")
N=${2:-100}
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/bench/lib.sh"
PLUGIN=$BUILD/plugins/mosquitto/anchor_mosquitto.so
MQB=$BUILD/bench/anchor-mqtt-bench
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

PG=$(mktemp -u /tmp/anchor-bench-pg.XXXXXX)
(cd / && PG_FSYNC=on bash "$HERE/tests/postgres/cluster.sh" start "$PG" > /dev/null)
trap '(cd / && bash "$HERE/tests/postgres/cluster.sh" stop "$PG"); cleanup' EXIT

# home NAME [init flags]: a CA in $WORK/NAME with a broker certificate and N devices per mode.
home() {
  local name=$1; shift
  export ANCHOR_HOME="$WORK/$name"
  "$ANCHOR" init --name "bench-$name" "$@" -q 2>/dev/null
  "$ANCHOR" issue --cn localhost --profile peer --cert "$name-broker.crt" --key "$name-broker.key" -q
}
devices() {  # devices DIR: N device certificates of $ANCHOR_HOME in DIR
  mkdir -p "$1"
  for i in $(seq 0 $((N - 1))); do
    "$ANCHOR" issue --cn "$1-$i" --profile device --cert "$1/dev-$i.crt" --key "$1/dev-$i.key" -q
  done
}
serve() {  # serve NAME: one more anchor serve of home NAME; its URL in URL
  local port log
  port=$(free_port); log="$WORK/$1-$port.log"
  ANCHOR_HOME="$WORK/$1" "$ANCHOR" serve --listen "127.0.0.1:$port" > "$log" 2>&1 &
  PIDS+=($!); wait_port "$port" "$log"
  URL="https://localhost:$port"
}
broker() {  # broker NAME CA_HOME CA_URL FEED_WAIT: Mosquitto with the plugin; its port in BPORT
  BPORT=$(free_port)
  cat > "$1.conf" <<CONF
user $(id -un)
per_listener_settings false
persistence false
log_dest file $WORK/$1.log
log_type error
log_type warning
log_type notice
listener $BPORT 127.0.0.1
cafile $WORK/$2/root.crt
certfile $WORK/$2-broker.crt
keyfile $WORK/$2-broker.key
require_certificate true
plugin $PLUGIN
plugin_opt_ca_url $3
plugin_opt_ca_file $WORK/$2/root.crt
plugin_opt_cert $WORK/$2-broker.crt
plugin_opt_key $WORK/$2-broker.key
plugin_opt_poll_ms 250
plugin_opt_feed_wait_s $4
CONF
  mosquitto -c "$1.conf" > "$1.out" 2>&1 &
  PIDS+=($!); wait_port "$BPORT" "$1.out"
}
drop() {  # drop MODE DEVICES CA_HOME REVOKE_URL: the drop line of N revocations
  "$MQB" drop --port "$BPORT" --cafile "$WORK/$3/root.crt" --devices "$2" --n "$N" \
    --ca-url "$4" --ca-cert "$WORK/$3/root.crt" --admin-cert "$WORK/$3/admin.crt" \
    --admin-key "$WORK/$3/admin.key" --wait-ms 5000 > "$1.txt"
  cat "$1.txt"
}

home sqlite
devices poll-devices
devices push-devices
serve sqlite; SQLITE_URL=$URL
broker poll sqlite "$SQLITE_URL" 0
drop poll poll-devices sqlite "$SQLITE_URL" > /dev/null
broker push sqlite "$SQLITE_URL" 10
drop push push-devices sqlite "$SQLITE_URL" > /dev/null

home pg --store "postgresql://anchor@/postgres?host=$PG"
devices pg-devices
serve pg; R1=$URL
serve pg; R2=$URL
broker push-pg pg "$R2" 10
drop push-pg pg-devices pg "$R1" > /dev/null

echo "## Revocation to disconnection: polled and pushed ($N revocations each, one run)"
echo
echo "$(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end."
echo
echo "| mode | dropped | median | p90 | p99 | worst | reconnection refused |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for m in poll push push-pg; do
  l=$(cat "$m.txt")
  echo "| $m | $(echo "$l" | field " dropped") of $N | $(echo "$l" | field median_ms) ms | $(echo "$l" | field p90_ms) ms | $(echo "$l" | field p99_ms) ms | $(echo "$l" | field worst_ms) ms | $(echo "$l" | field reconnect_refused) of $N |"
done
