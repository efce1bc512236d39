#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fleet simulation: a fresh CA and `anchor serve`, Mosquitto with anchor's plugin, then
# anchor-fleet enrolls N devices (each its own key, files and connections, through the agent's
# flows), renews them all, revokes 10% and checks at the broker that none of those can connect
# and all the others can. Prints progress and throughput. With STORE=postgres, the CA keeps its
# records in PostgreSQL (a durable throwaway cluster of its own) and runs two `anchor serve`
# replicas: the devices spread over both (anchor-fleet --ca-url A,B), the operator's work goes
# through replica 1, and the broker follows replica 2 first (plugin_opt_ca_url B,A), so that
# every revocation reaches it across replicas.
# Usage: [STORE=postgres] bash bench/fleet.sh [BUILD_DIR] [N_DEVICES] [CONCURRENCY]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
N=${2:-1000}
CONCURRENCY=${3:-8}
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/bench/lib.sh"

if [ "${STORE:-sqlite}" = postgres ]; then
  PG=$(mktemp -u /tmp/anchor-fleet-pg.XXXXXX)
  (cd / && PG_FSYNC=on bash "$HERE/tests/postgres/cluster.sh" start "$PG" > /dev/null)
  trap '(cd / && bash "$HERE/tests/postgres/cluster.sh" stop "$PG"); cleanup' EXIT
  "$ANCHOR" init --name fleet --store "postgresql://anchor@/postgres?host=$PG" -q
else
  "$ANCHOR" init --name fleet -q
fi
# Room for the simulation's parallel TLS connections and its revocation checks.
sed -i 's/^max_connections = .*/max_connections = 4096/' "$ANCHOR_HOME/anchor.toml"
start_anchor_serve
BROKER_CA_URL=$CA_URL
if [ "${STORE:-sqlite}" = postgres ]; then
  FIRST=$CA_URL
  P2=$(free_port)
  "$ANCHOR" serve --listen "127.0.0.1:$P2" > "$WORK/serve2.log" 2>&1 &
  PIDS+=($!)
  wait_port "$P2" "$WORK/serve2.log"
  CA_URL="$FIRST,https://localhost:$P2"
  BROKER_CA_URL="https://localhost:$P2,$FIRST"
fi
"$ANCHOR" issue --cn localhost --profile peer --cert broker.crt --key broker.key -q 2>/dev/null
PORT=$(free_port)
cat > mosquitto.conf <<CONF
user $(id -un)
per_listener_settings false
persistence false
log_dest file $WORK/mosquitto.log
log_type error
log_type warning
listener $PORT 127.0.0.1
max_connections -1
cafile $ANCHOR_HOME/root.crt
certfile $WORK/broker.crt
keyfile $WORK/broker.key
require_certificate true
set_tcp_nodelay true
plugin $BUILD/plugins/mosquitto/anchor_mosquitto.so
plugin_opt_ca_url $BROKER_CA_URL
plugin_opt_ca_file $ANCHOR_HOME/root.crt
plugin_opt_cert $WORK/broker.crt
plugin_opt_key $WORK/broker.key
CONF
mosquitto -c mosquitto.conf > mosquitto.out 2>&1 &
PIDS+=($!)
wait_port "$PORT" mosquitto.out

"$BUILD/bench/anchor-fleet" --ca-url "$CA_URL" --ca-cert "$ANCHOR_HOME/root.crt" \
  --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
  --broker-port "$PORT" --dir "$WORK/devices" --n "$N" --concurrency "$CONCURRENCY"
if [ "${STORE:-sqlite}" = postgres ]; then
  echo "CA store: PostgreSQL, $(psql "postgresql://anchor@/postgres?host=$PG" -qtAc "SELECT count(*) || ' certificates, ' || count(*) FILTER (WHERE status = 'revoked') || ' revoked' FROM certificates")"
  for url in ${CA_URL//,/ }; do
    echo "$url: $(curl -s --cacert "$ANCHOR_HOME/root.crt" --cert "$ANCHOR_HOME/admin.crt" \
      --key "$ANCHOR_HOME/admin.key" "$url/metrics" | grep -E '^anchor_certificates_(issued|renewed)_total' | tr '\n' ' ' || echo '?')"
  done
  exit 0
fi
echo "CA store: $(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT COUNT(*) FROM certificates").fetchone()[0], "certificates,", c.execute("SELECT COUNT(*) FROM certificates WHERE status=\"revoked\"").fetchone()[0], "revoked")' "$ANCHOR_HOME/anchor.db" 2>/dev/null || echo '?')"
