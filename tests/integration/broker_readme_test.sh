#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's broker section, followed as written by a new user on Debian 12: its code blocks
# are read from README.md and run as they stand, with only the CA's URL, the host name, the port
# and the root directory moved to this test's scratch CA, loopback and scratch root
# (debian_broker.sh). Mosquitto runs as Debian runs it: as root with Debian's mosquitto.conf,
# dropping to the user mosquitto. Then a device publishes and a service receives over TLS with
# the certificate the README enrolled for the broker: the plugin says it can serve TLS, follows
# the feed, and Mosquitto runs as mosquitto.
source "$(dirname "$0")/lib.sh"
source "$TESTS_DIR/debian_broker.sh"

anchor init --name fleet -q
start_anchor_serve
MQTT_PORT=$(free_port)
export PATH="$R/usr/bin:$PATH"

# Step 1, on the CA machine.
mkdir ca-side && cd ca-side
readme_block 1 | localize > step1.sh
[ -s step1.sh ] || fail "README: no block after <!-- broker-readme-step 1 -->"
bash -euo pipefail step1.sh > step1.out 2> step1.err || { cat step1.err; fail "README step 1"; }
ROOT_FP=$(sed -n 's/.*Fingerprint=//p' step1.out)
[ -n "$ROOT_FP" ] || { cat step1.out; fail "step 1 printed no fingerprint"; }
pass "README step 1: a peer token for the broker and the root's fingerprint"

# Step 2, on the broker, as root, with the token copied to the working directory.
mkdir ../broker-side && cd ../broker-side
cp ../ca-side/broker-token.txt .
readme_block 2 | localize > step2.sh
grep -q "runuser -u mosquitto" step2.sh || fail "README step 2 does not run the agent as mosquitto"
# The agent is started in the background by the block itself: run it here, to know its PID.
eval "$(cat step2.sh)" 2> agent.log
AGENT_PID=$!
PIDS+=($AGENT_PID)
wait_for_file "$R/etc/mosquitto/anchor/broker.crt" "$AGENT_PID" \
  || { cat agent.log; fail "README step 2: the agent enrolled no broker certificate"; }
[ "$(stat -c %U:%a "$R/etc/mosquitto/anchor/broker.key")" = mosquitto:600 ] \
  || fail "the broker's key is not mosquitto's, 0600: $(stat -c %U:%a "$R/etc/mosquitto/anchor/broker.key")"
openssl verify -purpose sslserver -CAfile "$R/etc/mosquitto/anchor/root.crt" \
  -untrusted "$R/etc/mosquitto/anchor/broker.crt" "$R/etc/mosquitto/anchor/broker.crt" >/dev/null \
  || fail "openssl: the broker's certificate is no TLS server certificate"
pass "README step 2: the agent, as mosquitto, enrolled a TLS server certificate (openssl verify -purpose sslserver)"

# Step 3: the configuration file.
readme_block 3 | localize > "$R/etc/mosquitto/conf.d/anchor.conf"
has "^plugin $R/usr/lib/anchor/anchor_mosquitto.so$" "$R/etc/mosquitto/conf.d/anchor.conf" \
  || { cat "$R/etc/mosquitto/conf.d/anchor.conf"; fail "README step 3 was not localized"; }

# Step 4: the broker as the systemd unit starts it.
start_debian_mosquitto || { cat "$DEB_LOG" "$WORK/mosquitto.out"; fail "README step 4: mosquitto did not start"; }
[ "$(ps -o user= -p "$MOSQ_PID")" = mosquitto ] || fail "mosquitto does not run as mosquitto"
has "anchor: the listener's certificate $R/etc/mosquitto/anchor/broker.crt (listener $MQTT_PORT 127.0.0.1 in $R/etc/mosquitto/conf.d/anchor.conf:4) can serve TLS to MQTT clients: CN=localhost, serverAuth+clientAuth" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "the plugin did not check the listener's certificate"; }
for _ in $(seq 1 50); do has "following the revocation feed" "$DEB_LOG" && break; sleep 0.1; done
has "anchor: following the revocation feed of $BASE" "$DEB_LOG" || { cat "$DEB_LOG"; fail "no feed"; }
pass "README steps 3-4: Debian's mosquitto runs as mosquitto; the plugin checked the listener's certificate and follows the feed"

# Step 5: a device publishes, a service receives, each enrolled as the README says.
mkdir ../device-side && cd ../device-side
readme_block 5 | localize > step5.sh
timeout 30 bash -euo pipefail step5.sh > step5.out 2> step5.err \
  || { cat step5.err "$DEB_LOG"; fail "README step 5"; }
for _ in $(seq 1 50); do grep -qx 21.5 step5.out && break; sleep 0.1; done
grep -qx 21.5 step5.out || { cat step5.out step5.err; tail -20 "$DEB_LOG"; fail "the service did not receive the device's telemetry"; }
pass "README step 5: sensor-7 publishes, dashboard receives, over TLS to the README's broker"

# The plugin's files are written as mosquitto: the cache (and the agent can renew: it is alive).
for _ in $(seq 1 30); do [ -s "$R/var/lib/mosquitto/anchor-revocations.json" ] && break; sleep 0.1; done
[ "$(stat -c %U "$R/var/lib/mosquitto/anchor-revocations.json")" = mosquitto ] \
  || fail "the revocation cache is not written by mosquitto"
! has "cannot\|permission denied\|ERROR\|Error" "$DEB_LOG" || { cat "$DEB_LOG"; fail "the broker logged an error"; }
kill -0 "$AGENT_PID" || fail "the broker's agent exited"
pass "the cache written by mosquitto, no error logged, the broker's agent stays to renew"
