#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor demo` end to end: all eight steps pass, every process it started is gone afterwards
# and so is its directory; Ctrl-C stops everything; with --keep the system stays up and works by
# hand (a new subscriber gets a message over the kept broker), then stops by the printed PIDs;
# a missing Mosquitto is named with the package to install.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?}" "${ANCHOR_PLUGIN:?}"
# A sanitizer build: only the broker, which loads the sanitized plugin, needs the runtime.
DEMO=(env TMPDIR="$WORK" "$ANCHOR" demo --agent "$ANCHOR_AGENT" --plugin "$ANCHOR_PLUGIN"
      --mosquitto "$(mosquitto_for_demo)")

alive() {  # alive PID...: prints the PIDs among its arguments that still run (not zombies)
  local p
  for p in "$@"; do
    [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && echo "$p"
  done
  true
}

start=$(date +%s%N)
"${DEMO[@]}" > demo.out 2>&1 || { cat demo.out; fail "anchor demo failed"; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
has "All 8 steps passed" demo.out || { cat demo.out; fail "not every step passed"; }
[ "$(grep -c '✓' demo.out)" -eq 8 ] || fail "expected 8 check marks"
has "client_b received: devices/client_a/telemetry" demo.out || fail "no delivery shown"
has "dropped [0-9]* ms after" demo.out || fail "the drop time is not printed"
[ -z "$(running_in "$WORK/anchor-demo.")" ] || fail "processes of the demo outlived it: $(running_in "$WORK/anchor-demo.")"
[ -z "$(ls -d "$WORK"/anchor-demo.* 2>/dev/null)" ] || fail "the demo's directory was left behind"
[ "$ms" -lt 30000 ] || fail "the demo took $ms ms, over 30 s"
pass "anchor demo: 8 steps passed in $ms ms, $(grep -o 'dropped [0-9]* ms' demo.out); nothing left running or on disk"

# Ctrl-C in the middle: every process stopped, the directory removed, a non-zero exit.
"${DEMO[@]}" > int.out 2>&1 &
DEMO_PID=$!
PIDS+=($DEMO_PID)
for _ in $(seq 1 100); do has "^3\. " int.out && break; sleep 0.05; done
kill -INT "$DEMO_PID"
rc=0; wait "$DEMO_PID" || rc=$?
forget_pid "$DEMO_PID"
[ $rc -ne 0 ] || fail "an interrupted demo exited 0"
has "interrupted" int.out || { cat int.out; fail "the interruption is not reported"; }
[ -z "$(running_in "$WORK/anchor-demo.")" ] || fail "processes outlived the interrupted demo"
sleep 0.2
[ -z "$(ls -d "$WORK"/anchor-demo.* 2>/dev/null)" ] || fail "the interrupted demo left its directory"
pass "Ctrl-C: exit $rc, every process stopped, directory removed"

# --keep: the system stays up; use it by hand, then stop it by the printed PIDs.
"${DEMO[@]}" --keep --dir "$WORK/kept" > keep.out 2>&1 || { cat keep.out; fail "anchor demo --keep"; }
kept=$(sed -n 's/^Stop it all with: kill \([0-9 ]*\) &&.*/\1/p' keep.out)
[ -n "$kept" ] || { cat keep.out; fail "--keep printed no PIDs to stop"; }
PIDS+=($kept)
[ "$(alive $kept | wc -l)" -eq "$(echo $kept | wc -w)" ] || fail "--keep: not everything is running"
port=$(sed -n 's/.*mosquitto_sub -h localhost -p \([0-9]*\) .*/\1/p' keep.out | head -1)
cd "$WORK/kept"
mosquitto_sub -h localhost -p "$port" --cafile ca/root.crt --cert client_b/client_b.crt \
  --key client_b/client_b.key -t 'devices/client_a/#' -C 1 -W 10 > "$WORK/hand.out" 2>&1 &
SUB=$!
PIDS+=($SUB)
for _ in $(seq 1 100); do has " 0 devices/client_a/#" broker/mosquitto.log && break; sleep 0.05; done
ANCHOR_HOME="$WORK/kept/ca" "$ANCHOR" issue --cn client_a --profile device --cert a2.crt --key a2.key -q 2>/dev/null \
  || fail "anchor issue in the kept CA"
mosquitto_pub -h localhost -p "$port" --cafile ca/root.crt --cert a2.crt --key a2.key \
  -t devices/client_a/telemetry -m by-hand || fail "publishing by hand on the kept broker"
wait "$SUB" || { cat "$WORK/hand.out"; fail "no message by hand on the kept broker"; }
forget_pid "$SUB"
cd "$WORK"
kill $kept
for _ in $(seq 1 50); do [ -z "$(alive $kept)" ] && break; sleep 0.1; done
[ -z "$(alive $kept)" ] || fail "the kept processes did not stop on SIGTERM"
for p in $kept; do forget_pid "$p"; done
pass "--keep: left running, used by hand (a new client_a certificate publishes to client_b), stopped by the printed PIDs"

expect_fail "a demo without Mosquitto" "$ANCHOR" demo --mosquitto /nonexistent/mosquitto
has "apt-get install mosquitto mosquitto-clients" "$WORK/last.err" || fail "the package is not named"
pass "no Mosquitto: one line naming the package"
