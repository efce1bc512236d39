#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGHUP on anchor-agent: its settings are flags (a restart changes them), but the files they
# name are read by every attempt, so a reload runs an attempt at once. Here the CA is down when
# the agent starts: it backs off; the CA comes up; SIGHUP makes the agent enroll at once, long
# before its back-off would have, with one log line saying so. A SIGHUP when nothing is due
# keeps the agent running and changes nothing; SIGTERM still ends it with 0.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"

anchor init --name agent-reload -q
port=$(free_port)
token=$(anchor token create --cn pump-9 -q)
"$ANCHOR_AGENT" run --server "https://localhost:$port" --ca-cert "$ANCHOR_HOME/root.crt" \
  --cn pump-9 --token "$token" --key pump.key --cert pump.crt 2>agent.log &
AGENT_PID=$!
PIDS+=($AGENT_PID)
# Three failed attempts: the next one is then at least 10 s away (5 s doubling, half jitter).
for i in $(seq 1 400); do
  [ "$(grep -c "next attempt at" agent.log || true)" -ge 3 ] && break
  sleep 0.1
done
[ "$(grep -c "next attempt at" agent.log || true)" -ge 3 ] || { cat agent.log; fail "the agent did not back off"; }
next=$(grep "next attempt at" agent.log | tail -1 | sed 's/.*next attempt at //')
SERVE_LISTEN="127.0.0.1:$port" start_anchor_serve
hup_at=$(date +%s)
[ $(( $(date -d "$next" +%s) - hup_at )) -ge 4 ] || fail "the scheduled attempt ($next) is too close to prove anything"
kill -HUP "$AGENT_PID"
for i in $(seq 1 50); do
  [ -s pump.crt ] && has "enrolled" agent.log && break
  sleep 0.1
done
has "reload (SIGHUP)" agent.log || { cat agent.log; fail "no reload line"; }
has "enrolled" agent.log || { cat agent.log; fail "SIGHUP did not run an attempt"; }
[ "$(date +%s)" -lt "$(date -d "$next" +%s)" ] || fail "enrolled only at the scheduled time"
openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediate.crt" pump.crt >/dev/null ||
  fail "the enrolled certificate does not verify"
pass "SIGHUP: enrolled at once (the back-off had the next attempt at $next)"

serial=$(openssl x509 -in pump.crt -noout -serial)
kill -HUP "$AGENT_PID"
sleep 2
kill -0 "$AGENT_PID" || fail "the agent died on SIGHUP"
[ "$(grep -c "reload (SIGHUP)" agent.log)" = 2 ] || fail "expected two reload lines"
[ "$(openssl x509 -in pump.crt -noout -serial)" = "$serial" ] || fail "a SIGHUP renewed a certificate that was not due"
kill -TERM "$AGENT_PID"
rc=0; wait "$AGENT_PID" || rc=$?; forget_pid "$AGENT_PID"
[ $rc = 0 ] || { cat agent.log; fail "the agent exited $rc on SIGTERM"; }
pass "SIGHUP when nothing is due: still running, same certificate; SIGTERM exits 0"
stop_anchor_serve
