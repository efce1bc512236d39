#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The broker benchmarks of issue 4, on 127.0.0.1, every figure from this one run:
#  1. Connections per second to Mosquitto with anchor's plugin against Mosquitto without it:
#     same certificates, same settings (require_certificate, set_tcp_nodelay true), same client
#     (anchor-mqtt-bench, libmosquitto); each connection is TCP + a full TLS 1.3 handshake +
#     CONNECT/CONNACK + DISCONNECT. Rounds alternate between the two brokers; the broker's own
#     CPU time per connection is read from /proc.
#  2. Revocation to disconnection: N_DROP connected, subscribed devices revoked one by one
#     through the admin API; the time until the plugin's broker drops each.
#  3. The same with Mosquitto's crlfile and a SIGHUP after regenerating the CRL (what the
#     tutorials would do): whether a connected client is ever dropped, and whether the revoked
#     certificate can connect again.
# Usage: bash bench/broker_bench.sh [BUILD_DIR] [N_CONNECTIONS] [N_DROP]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
N_CONN=${2:-2000}
N_DROP=${3:-50}
source "$(dirname "$0")/lib.sh"
PLUGIN=$BUILD/plugins/mosquitto/anchor_mosquitto.so
MQB=$BUILD/bench/anchor-mqtt-bench
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

"$ANCHOR" init --name bench -q
start_anchor_serve
issue() { "$ANCHOR" issue --cn "$1" --profile "$2" --cert "$3.crt" --key "$3.key" -q 2>/dev/null; }
issue localhost peer broker
issue dev-load device load
N_COLD=500
mkdir -p devices crl-devices cold
for i in $(seq 0 $((N_DROP - 1))); do
  issue "dev-$i" device "devices/dev-$i"
  [ "$i" -lt 5 ] && issue "crl-$i" device "crl-devices/dev-$i"
done
for i in $(seq 0 $((N_COLD - 1))); do issue "cold-$i" device "cold/dev-$i"; done
"$ANCHOR" crl --pem --out crl.pem -q

conf() {  # conf PORT NAME [extra lines]: a broker configuration
  local port=$1 name=$2; shift 2
  cat <<CONF
user $(id -un)
per_listener_settings false
persistence false
log_dest file $WORK/$name.log
log_type error
log_type warning
log_type notice
listener $port 127.0.0.1
cafile $ANCHOR_HOME/root.crt
certfile $WORK/broker.crt
keyfile $WORK/broker.key
require_certificate true
set_tcp_nodelay true
CONF
  printf '%s\n' "$@"
}
start_broker() {  # start_broker NAME PORT: sets BROKER_PID once the port accepts connections
  mosquitto -c "$WORK/$1.conf" > "$WORK/$1.out" 2>&1 &
  BROKER_PID=$!
  PIDS+=($BROKER_PID)
  wait_port "$2" "$WORK/$1.out"
}

# Without the plugin the broker takes the certificate's CN as the username, as tutorials set it up.
P_PLAIN=$(free_port); conf "$P_PLAIN" plain "use_identity_as_username true" > plain.conf
P_PLUGIN=$(free_port)
conf "$P_PLUGIN" plugin "plugin $PLUGIN" "plugin_opt_ca_url $CA_URL" \
  "plugin_opt_ca_file $ANCHOR_HOME/root.crt" "plugin_opt_cert $WORK/broker.crt" \
  "plugin_opt_key $WORK/broker.key" "plugin_opt_poll_ms 250" "plugin_opt_feed_wait_s 0" > plugin.conf
start_broker plain "$P_PLAIN"; PLAIN_PID=$BROKER_PID
start_broker plugin "$P_PLUGIN"; PLUGIN_PID=$BROKER_PID
HZ=$(getconf CLK_TCK)

echo "== 1. Connections per second (n=$N_CONN each, full mTLS handshake each)"
printf '%-6s %-11s %-8s %10s %16s\n' round concurrency broker "conn/s" "broker CPU µs/conn"
for round in 1 2 3; do
  for c in 1 4; do
    for b in plain plugin; do
      port_var="P_${b^^}"; pid_var="${b^^}_PID"
      before=$(cpu_ticks "${!pid_var}")
      line=$("$MQB" connect --port "${!port_var}" --cafile "$ANCHOR_HOME/root.crt" \
             --cert load.crt --key load.key --n "$N_CONN" --concurrency "$c")
      after=$(cpu_ticks "${!pid_var}")
      rate=$(echo "$line" | field rate)
      [ "$(echo "$line" | field errors)" = 0 ] && [ "$(echo "$line" | field refused)" = 0 ] \
        || { echo "$line"; exit 1; }
      us=$(echo "($after - $before) * 1000000 / $HZ / $N_CONN" | bc)
      printf '%-6s %-11s %-8s %10s %16s\n' "$round" "$c" "$b" "$rate" "$us"
      echo "$c $b $rate $us" >> rates.txt
    done
  done
done
for c in 1 4; do
  python3 - "$c" <<'PY'
import statistics, sys
c = sys.argv[1]
rows = [l.split() for l in open("rates.txt") if l.split()[0] == c]
med = lambda b, i: statistics.median(float(r[i]) for r in rows if r[1] == b)
print(f"concurrency {c}: median plugin/plain rate = {med('plugin', 2) / med('plain', 2):.3f} "
      f"(cost {100 * (1 - med('plugin', 2) / med('plain', 2)):.1f}%), "
      f"broker CPU per connection plugin/plain = {med('plugin', 3) / max(med('plain', 3), 1):.3f}")
PY
done

echo
echo "== 1b. Each connection with a certificate the broker has not seen ($N_COLD devices, once each)"
for b in plugin plain; do
  port_var="P_${b^^}"; pid_var="${b^^}_PID"
  before=$(cpu_ticks "${!pid_var}")
  line=$("$MQB" connect --port "${!port_var}" --cafile "$ANCHOR_HOME/root.crt" --devices cold \
         --distinct "$N_COLD" --n "$N_COLD" --concurrency 4)
  after=$(cpu_ticks "${!pid_var}")
  echo "$b: $line broker_cpu_us_per_conn=$(echo "($after - $before) * 1000000 / $HZ / $N_COLD" | bc)"
done

echo
echo "== 2. Revocation to disconnection with anchor's plugin polling (poll_ms 250, feed_wait_s 0; pushed: bench/revocation_push_bench.sh), $N_DROP revocations"
"$MQB" drop --port "$P_PLUGIN" --cafile "$ANCHOR_HOME/root.crt" --devices devices --n "$N_DROP" \
  --ca-url "$CA_URL" --ca-cert "$ANCHOR_HOME/root.crt" --admin-cert "$ANCHOR_HOME/admin.crt" \
  --admin-key "$ANCHOR_HOME/admin.key" --wait-ms 5000 --verbose 2> drops.txt
sort -t" " -k4 -n drops.txt | awk '{printf "%s ", $4} END {print "(ms, sorted)"}'

echo
echo "== 3. Mosquitto's crlfile, the CRL regenerated and SIGHUP after each revocation (5 revocations)"
P_CRL=$(free_port)
conf "$P_CRL" crl "crlfile $WORK/crl.pem" "use_identity_as_username true" > crl.conf
start_broker crl "$P_CRL"; CRL_PID=$BROKER_PID
"$MQB" drop --port "$P_CRL" --cafile "$ANCHOR_HOME/root.crt" --devices crl-devices --n 5 \
  --ca-url "$CA_URL" --ca-cert "$ANCHOR_HOME/root.crt" --admin-cert "$ANCHOR_HOME/admin.crt" \
  --admin-key "$ANCHOR_HOME/admin.key" --wait-ms 3000 \
  --reload "'$ANCHOR' crl --pem --out '$WORK/crl.pem' -q && kill -HUP $CRL_PID"
echo "(never_dropped: connected clients a CRL reload left connected; reconnect_refused: revoked certificates refused on their next connection)"
