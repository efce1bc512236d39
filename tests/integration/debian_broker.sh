# SPDX-License-Identifier: Apache-2.0
# Mosquitto run as Debian runs it, for the broker tests: a scratch root $R laid out as the
# `mosquitto` package and its systemd unit leave / (etc/mosquitto with Debian's own mosquitto.conf
# and conf.d/, var/lib, var/log and run/mosquitto owned by the user mosquitto), the plugin at
# $R/usr/lib/anchor and anchor's programs at $R/usr/bin, and Mosquitto started as root with that
# configuration, so that it drops to the user `mosquitto` as it does in production. Source after
# lib.sh. Needs root and the user `mosquitto` (Debian's package makes it): exit 77 otherwise.
: "${WORK:?source lib.sh first}"
: "${ANCHOR_PLUGIN:?ANCHOR_PLUGIN must name anchor_mosquitto.so}"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
[ "$(id -u)" = 0 ] || { echo "skip: needs root, to run Mosquitto as Debian does (dropping to mosquitto)"; exit 77; }
getent passwd mosquitto >/dev/null || { echo "skip: no user mosquitto (apt-get install mosquitto)"; exit 77; }
[ -f /etc/mosquitto/mosquitto.conf ] || { echo "skip: no /etc/mosquitto/mosquitto.conf"; exit 77; }
README="$TESTS_DIR/../../README.md"

# The user mosquitto must reach everything below $WORK (mktemp made it 0700).
chmod 0755 "$WORK"
R="$WORK/root"
mkdir -p "$R/etc/mosquitto/conf.d" "$R/var/lib/mosquitto" "$R/var/log/mosquitto" \
  "$R/run/mosquitto" "$R/usr/lib/anchor" "$R/usr/bin"
chown mosquitto "$R/var/lib/mosquitto" "$R/var/log/mosquitto" "$R/run/mosquitto"
cp "$ANCHOR_PLUGIN" "$R/usr/lib/anchor/anchor_mosquitto.so"
cp "$ANCHOR" "$R/usr/bin/anchor"
cp "$ANCHOR_AGENT" "$(dirname "$ANCHOR_AGENT")/anchor-agent-worker" "$R/usr/bin/"
# Debian's own file, with its paths moved under $R.
DEB_LOG="$R/var/log/mosquitto/mosquitto.log"

# localize: a README text on stdin, with its host names, port and absolute paths moved to this
# test's CA ($BASE), loopback port $MQTT_PORT and root $R.
localize() {
  sed -e "s#https://ca.example:8443#${BASE:-}#g" -e "s#mqtt\.example\.com#localhost#g" \
    -e "s#SHA256_OF_ROOT#${ROOT_FP:-SHA256_OF_ROOT}#g" \
    -e "s#^listener 8883\$#listener ${MQTT_PORT:-8883} 127.0.0.1#" -e "s#-p 8883#-p ${MQTT_PORT:-8883}#g" \
    -e "s#\([ '\"(]\)/etc/mosquitto#\1$R/etc/mosquitto#g" -e "s#^/etc/mosquitto#$R/etc/mosquitto#" \
    -e "s#\([ '\"(]\)/var/lib/mosquitto#\1$R/var/lib/mosquitto#g" \
    -e "s#\([ '\"(]\)/var/log/mosquitto#\1$R/var/log/mosquitto#g" \
    -e "s#\([ '\"(]\)/run/mosquitto#\1$R/run/mosquitto#g" \
    -e "s#/usr/lib/anchor/#$R/usr/lib/anchor/#g" \
    -e "s#\banchor-agent run#$R/usr/bin/anchor-agent run#g"
}
localize < /etc/mosquitto/mosquitto.conf > "$R/etc/mosquitto/mosquitto.conf"
has "include_dir $R/etc/mosquitto/conf.d" "$R/etc/mosquitto/mosquitto.conf" \
  || { cat "$R/etc/mosquitto/mosquitto.conf"; fail "Debian's mosquitto.conf was not localized"; }

# readme_block N: the code block of the README after the line "<!-- broker-readme-step N -->".
readme_block() {
  awk -v mark="<!-- broker-readme-step $1 -->" '
    $0 == mark { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$README"
}

# start_debian_mosquitto: `mosquitto -c /etc/mosquitto/mosquitto.conf` as the unit runs it, as
# root; MOSQ_PID once its log says it runs. Returns 1 (log on stderr) when it exits instead.
start_debian_mosquitto() {
  rm -f "$DEB_LOG"  # Mosquitto makes it, as mosquitto
  env ${ANCHOR_BROKER_PRELOAD:+LD_PRELOAD=$ANCHOR_BROKER_PRELOAD} ASAN_OPTIONS=detect_leaks=0 \
    mosquitto -c "$R/etc/mosquitto/mosquitto.conf" >>"$WORK/mosquitto.out" 2>&1 &
  MOSQ_PID=$!
  PIDS+=($MOSQ_PID)
  local i
  for i in $(seq 1 300); do
    grep -q " running" "$DEB_LOG" 2>/dev/null && return 0
    kill -0 "$MOSQ_PID" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

# mosquitto_fails_to_start: Mosquitto must exit non-zero by itself within 10 s.
mosquitto_fails_to_start() {
  rm -f "$DEB_LOG"  # Mosquitto makes it, as mosquitto
  local rc=0
  env ${ANCHOR_BROKER_PRELOAD:+LD_PRELOAD=$ANCHOR_BROKER_PRELOAD} ASAN_OPTIONS=detect_leaks=0 \
    timeout 10 mosquitto -c "$R/etc/mosquitto/mosquitto.conf" >>"$WORK/mosquitto.out" 2>&1 || rc=$?
  [ $rc -ne 0 ] && [ $rc -ne 124 ] || { cat "$DEB_LOG"; fail "mosquitto started (rc $rc)"; }
}

# wait_for_file FILE PID: up to 30 s for FILE to appear while PID runs.
wait_for_file() {
  local i
  for i in $(seq 1 300); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  [ -s "$1" ]
}

# count PATTERN FILE: how many lines of FILE match PATTERN.
count() { grep -c -- "$1" "$2" || true; }
