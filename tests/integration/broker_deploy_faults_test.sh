#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The three ways deploying the broker from the README used to fail, each with Mosquitto run as
# Debian runs it (as root, dropping to the user mosquitto; debian_broker.sh) and the README's
# anchor.conf: a client-only broker certificate (a token without --profile peer) stops the broker
# at start with the fix named, and so does a server-only plugin_opt_cert (a listener certificate
# of another CA is accepted only against plugin_opt_listener_ca_file); a file the user
# mosquitto may not read is "permission denied for user mosquitto", not "no such file"; an
# unwritable cache file is one line over 3 s of polls (every 100 ms), then one line when it can
# be written again, and the CA going down and coming back is one line each; a device denied 50
# times, and a revoked one refused 11 times, are one line each. A certificate made client-only
# behind the broker's back is named again on SIGHUP.
source "$(dirname "$0")/lib.sh"
source "$TESTS_DIR/debian_broker.sh"

anchor init --name fleet -q
start_anchor_serve
MQTT_PORT=$(free_port)
ANCHOR_DIR="$R/etc/mosquitto/anchor"
install -d -o mosquitto -g mosquitto -m 0750 "$ANCHOR_DIR"
cp "$ANCHOR_HOME/root.crt" "$ANCHOR_DIR/root.crt"
readme_block 3 | localize > "$R/etc/mosquitto/conf.d/anchor.conf"
MOSQ_UID="mosquitto (uid $(id -u mosquitto))"

# enroll_broker [anchor token create flags...]: the README's step 2 with a token made by those
# flags, the agent as mosquitto; once, not resident.
enroll_broker() {
  rm -f "$ANCHOR_DIR/broker.crt" "$ANCHOR_DIR/broker.key"
  anchor token create --cn localhost "$@" -q > token.txt
  install -o mosquitto -m 0600 token.txt "$ANCHOR_DIR/token.txt"
  runuser -u mosquitto -- "$R/usr/bin/anchor-agent" run --once --server "$BASE" \
    --fingerprint "$(openssl x509 -in "$ANCHOR_HOME/root.crt" -noout -fingerprint -sha256)" \
    --cn localhost --token-file "$ANCHOR_DIR/token.txt" --key "$ANCHOR_DIR/broker.key" \
    --cert "$ANCHOR_DIR/broker.crt" 2> agent.log || { cat agent.log; fail "enrollment"; }
}

# 1. The token made without --profile: the device profile, clientAuth only.
enroll_broker
mosquitto_fails_to_start
has "anchor: the listener's certificate $ANCHOR_DIR/broker.crt (listener $MQTT_PORT 127.0.0.1 in $R/etc/mosquitto/conf.d/anchor.conf:4) cannot serve TLS to MQTT clients: its extended key usage is clientAuth without serverAuth" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "a client-only broker certificate is not named"; }
has "'unsupported certificate'; enroll the broker with the peer profile .*anchor token create --cn localhost --profile peer" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "the fix is not named"; }
pass "a client-only broker certificate (token without --profile) stops the broker: $(grep -o 'cannot serve TLS.*without serverAuth' "$DEB_LOG")"

# The listener's certfile right (server profile), but the plugin's cert a server-only one.
anchor issue --cn localhost --profile server --cert server.crt --key server.key -q 2>/dev/null
install -o mosquitto -m 0600 server.key "$ANCHOR_DIR/server.key"
install -o mosquitto -m 0644 server.crt "$ANCHOR_DIR/server.crt"
sed -e "s#^certfile .*#certfile $ANCHOR_DIR/server.crt#" -e "s#^keyfile .*#keyfile $ANCHOR_DIR/server.key#" \
  -e "s#^plugin_opt_cert .*#plugin_opt_cert $ANCHOR_DIR/server.crt#" \
  -e "s#^plugin_opt_key .*#plugin_opt_key $ANCHOR_DIR/server.key#" \
  "$R/etc/mosquitto/conf.d/anchor.conf" > split.conf
cp "$R/etc/mosquitto/conf.d/anchor.conf" readme.conf
cp split.conf "$R/etc/mosquitto/conf.d/anchor.conf"
mosquitto_fails_to_start
has "anchor: plugin_opt_cert $ANCHOR_DIR/server.crt cannot be presented to the CA: its extended key usage is serverAuth without clientAuth" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "a server-only plugin_opt_cert is not named"; }
cp readme.conf "$R/etc/mosquitto/conf.d/anchor.conf"
pass "a server-only plugin_opt_cert (anchor serve would refuse it for the feed) stops the broker, naming --profile peer"

# A listener certificate from another CA (made by openssl): refused against anchor's root, naming
# plugin_opt_listener_ca_file; accepted once that option names the other CA's root.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout public-ca.key \
  -out public-ca.crt -subj "/CN=Public CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout public.key \
  -subj /CN=localhost -out public.csr 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n' > public.ext
openssl x509 -req -in public.csr -CA public-ca.crt -CAkey public-ca.key -CAcreateserial -days 5 \
  -extfile public.ext -out public.crt 2>/dev/null
enroll_broker --profile peer
install -o mosquitto -m 0600 public.key "$ANCHOR_DIR/public.key"
install -o mosquitto -m 0644 public.crt public-ca.crt "$ANCHOR_DIR/"
sed -e "s#^certfile .*#certfile $ANCHOR_DIR/public.crt#" -e "s#^keyfile .*#keyfile $ANCHOR_DIR/public.key#" \
  readme.conf > "$R/etc/mosquitto/conf.d/anchor.conf"
mosquitto_fails_to_start
has "cannot serve TLS to MQTT clients: it does not verify under the root(s) of plugin_opt_ca_file: .*plugin_opt_listener_ca_file" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "a listener certificate of another CA is not named"; }
echo "plugin_opt_listener_ca_file $ANCHOR_DIR/public-ca.crt" >> "$R/etc/mosquitto/conf.d/anchor.conf"
start_debian_mosquitto || { cat "$DEB_LOG"; fail "a listener certificate of the CA in listener_ca_file refused"; }
has "the listener's certificate $ANCHOR_DIR/public.crt .* can serve TLS to MQTT clients: CN=localhost, serverAuth" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "the other CA's listener certificate was not checked"; }
stop_pid "$MOSQ_PID"
cp readme.conf "$R/etc/mosquitto/conf.d/anchor.conf"
pass "a listener certificate of another CA: refused naming plugin_opt_listener_ca_file, accepted with it"

# 2. Files the user mosquitto may not read.
enroll_broker --profile peer
chown root:root "$ANCHOR_DIR/broker.key"  # as if the agent had run as root
mosquitto_fails_to_start
has "anchor: plugin_opt_key: cannot read $ANCHOR_DIR/broker.key: permission denied for user $MOSQ_UID; " "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "an unreadable key is not 'permission denied for user mosquitto'"; }
! has -i "no such file" "$DEB_LOG" || fail "an unreadable key is reported as missing"
chown mosquitto "$ANCHOR_DIR/broker.key"
install -d -m 0700 "$WORK/private"  # root's alone: the user mosquitto cannot even look inside
cp "$ANCHOR_HOME/root.crt" "$WORK/private/root.crt"
sed -i "s#^plugin_opt_ca_file .*#plugin_opt_ca_file $WORK/private/root.crt#" "$R/etc/mosquitto/conf.d/anchor.conf"
mosquitto_fails_to_start
has "anchor: plugin_opt_ca_file: cannot read $WORK/private/root.crt: permission denied for user $MOSQ_UID" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "a ca_file in a closed directory is not 'permission denied'"; }
! has -i "no such file" "$DEB_LOG" || fail "a ca_file in a closed directory is reported as missing"
cp readme.conf "$R/etc/mosquitto/conf.d/anchor.conf"
pass "unreadable files named as permission denied for user $MOSQ_UID: a root-owned key, a ca_file in a closed directory"

# 3. An unwritable cache file: one line, then one when it can be written again.
install -d -o root -m 0755 "$R/var/lib/anchor-cache"
sed -i -e "s#^plugin_opt_cache_file .*#plugin_opt_cache_file $R/var/lib/anchor-cache/revocations.json#" \
  "$R/etc/mosquitto/conf.d/anchor.conf"
# Polled (feed_wait_s 0): each poll tries to write the cache; a long-polled feed would try at each
# answer, as a revocation arrives or the wait ends.
printf 'plugin_opt_poll_ms 100\nplugin_opt_feed_wait_s 0\n' >> "$R/etc/mosquitto/conf.d/anchor.conf"
start_debian_mosquitto || { cat "$DEB_LOG"; fail "mosquitto did not start with a peer certificate"; }
sleep 3  # 30 polls, each of which tries to write the cache
n=$(count "cannot write the revocation cache" "$DEB_LOG")
[ "$n" = 1 ] || { cat "$DEB_LOG"; fail "the unwritable cache was logged $n times in 3 s (poll_ms 100)"; }
has "cannot write the revocation cache: cannot create a temporary file for $R/var/lib/anchor-cache/revocations.json: permission denied for user $MOSQ_UID; Mosquitto runs as that user" "$DEB_LOG" \
  || { cat "$DEB_LOG"; fail "the cache's failure does not name the user"; }
chown mosquitto "$R/var/lib/anchor-cache"
for _ in $(seq 1 30); do has "wrote the revocation cache" "$DEB_LOG" && break; sleep 0.1; done
sleep 1
n=$(count "wrote the revocation cache $R/var/lib/anchor-cache/revocations.json again (after [0-9]* attempts failed since " "$DEB_LOG")
[ "$n" = 1 ] || { cat "$DEB_LOG"; fail "the cache's recovery was logged $n times"; }
[ -s "$R/var/lib/anchor-cache/revocations.json" ] || fail "no cache written"
pass "unwritable cache: 1 line over 3 s of polls every 100 ms, 1 line when it recovered: $(grep -o 'wrote the revocation cache.*' "$DEB_LOG")"

# The CA down for 3 s, then back: one line each.
CA_PORT=$PORT
stop_anchor_serve
sleep 3
n=$(count "cannot follow the revocation feed" "$DEB_LOG")
[ "$n" = 1 ] || { cat "$DEB_LOG"; fail "the CA down was logged $n times in 3 s"; }
SERVE_LISTEN="127.0.0.1:$CA_PORT" start_anchor_serve
for _ in $(seq 1 50); do has "following the revocation feed.*(after" "$DEB_LOG" && break; sleep 0.1; done
sleep 1
n=$(count "following the revocation feed of $BASE: 0 revoked serial(s), cursor 0 (after [0-9]* attempts failed since" "$DEB_LOG")
[ "$n" = 1 ] || { cat "$DEB_LOG"; fail "the CA's return was logged $n times"; }
pass "CA down 3 s then back: one line each"

# A device publishing 50 times where it may not, and a revoked device retrying 10 times: one line
# each (a repeat of a logged event is held back for a minute, then counted).
anchor issue --cn pump-1 --profile device --cert pump.crt --key pump.key -q 2>/dev/null
anchor issue --cn pump-2 --profile device --cert pump2.crt --key pump2.key -q 2>/dev/null
MQ=(-h localhost -p "$MQTT_PORT" --cafile "$ANCHOR_HOME/root.crt")
seq 1 50 | mosquitto_pub "${MQ[@]}" --cert pump.crt --key pump.key -t devices/pump-2/telemetry -l \
  || fail "pump-1 could not connect"
for _ in $(seq 1 30); do has "denied publish 'devices/pump-2/telemetry' to 'pump-1'" "$DEB_LOG" && break; sleep 0.1; done
n=$(count "denied publish 'devices/pump-2/telemetry' to 'pump-1'" "$DEB_LOG")
[ "$n" = 1 ] || { tail -20 "$DEB_LOG"; fail "50 denied publishes were logged $n times"; }
anchor revoke --server "$BASE" "$(openssl x509 -in pump2.crt -noout -serial | cut -d= -f2)" -q
for _ in $(seq 1 50); do
  mosquitto_pub "${MQ[@]}" --cert pump2.crt --key pump2.key -t devices/pump-2/telemetry -m x \
    2>/dev/null || break
  sleep 0.1
done
for _ in $(seq 1 10); do
  mosquitto_pub "${MQ[@]}" --cert pump2.crt --key pump2.key -t devices/pump-2/telemetry -m x \
    2>/dev/null && fail "revoked pump-2 was admitted"
done
n=$(count "with certificate 'pump-2': certificate .* is revoked" "$DEB_LOG")
[ "$n" = 1 ] || { tail -20 "$DEB_LOG"; fail "a revoked device retrying 11 times was logged $n times"; }
pass "50 denied publishes: 1 line; a revoked device refused 11 times: 1 line"

# The broker's certificate replaced by a client-only one behind its back: named on SIGHUP.
anchor issue --cn localhost --profile device --cert device.crt --key device.key -q 2>/dev/null
cat device.crt "$ANCHOR_HOME/intermediate.crt" > "$ANCHOR_DIR/broker.crt"
install -o mosquitto -m 0600 device.key "$ANCHOR_DIR/broker.key"
kill -HUP "$MOSQ_PID"
for _ in $(seq 1 30); do has "cannot serve TLS to MQTT clients" "$DEB_LOG" && break; sleep 0.1; done
has "anchor: the listener's certificate $ANCHOR_DIR/broker.crt .*cannot serve TLS to MQTT clients: its extended key usage is clientAuth without serverAuth" "$DEB_LOG" \
  || { tail -5 "$DEB_LOG"; fail "a client-only certificate reloaded on SIGHUP is not named"; }
pass "SIGHUP with a client-only certificate in place: named in the log at once"
