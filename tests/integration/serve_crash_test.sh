#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 during an enrollment storm. 512 devices, each with its own key and one-time token,
# enroll over EST from 32 concurrent clients (crash_storm.py: Python's ssl and http.client). Ten
# times during the storm, at a random moment (after a random number of devices more have
# finished), the server is killed with SIGKILL and started again on the same port and home. A
# client that got no answer (refused, reset, cut short) or a 5xx sends the same request again
# (same token, same CSR) until it gets an answer, for at most a minute. Then, read with Python's
# sqlite3, openssl and anchor's offline commands, not the server:
#   - every certificate a client received is in the store with the same DER, its name, its key and
#     its token; no serial twice, no two devices with one serial;
#   - every consumed token names a stored certificate paid by it, every certificate paid by a
#     token has that token consumed by it, no token paid for two; one audit entry per certificate;
#   - `anchor audit verify` passes, `anchor list` shows the same certificates, and each received
#     certificate verifies with `openssl verify` (root + intermediate);
#   - no device is stranded: each one ends with its certificate. A device whose certificate was
#     committed but whose response was lost must get that same certificate when it retries with
#     the same token and key, not a 401.
# CRASH_SEED=N replays the kill points of a run (printed at the start); CRASH_KEEP=DIR keeps
# the CA home, the clients' records and the server logs there.
source "$(dirname "$0")/lib.sh"
keep() {
  if [ -n "${CRASH_KEEP:-}" ]; then
    mkdir -p "$CRASH_KEEP" && cp -a "$WORK"/. "$CRASH_KEEP"/ 2>/dev/null || true
  fi
}
trap 'keep; cleanup' EXIT

DEVICES=${CRASH_DEVICES:-512}
KILLS=${CRASH_KILLS:-10}
SEED=${CRASH_SEED:-$$}
RANDOM=$SEED
echo "seed $SEED: $DEVICES devices, 32 clients, $KILLS kills"

anchor init --name crash -q
start_anchor_serve
mkdir out

python3 "$TESTS_DIR/crash_storm.py" storm --port "$PORT" --home "$ANCHOR_HOME" --out out \
  --devices "$DEVICES" --concurrency 32 --deadline 60 >client.log 2>&1 &
CLIENT_PID=$!
PIDS+=($CLIENT_PID)

# client_alive: the storm client has not exited yet.
client_alive() { kill -0 "$CLIENT_PID" 2>/dev/null; }
# count_finished: FINISHED, the devices that have their final answer (no fork: it is polled).
count_finished() {
  local lines=()
  [ -f out/progress ] && mapfile -t lines <out/progress
  FINISHED=${#lines[@]}
}

# The client makes its keys and tokens first (through the admin API): no kill before it is ready.
for i in $(seq 1 600); do
  [ -f out/ready ] && break
  client_alive || break
  sleep 0.1
done
[ -f out/ready ] || { cat client.log; fail "the storm client did not get ready"; }

# The kill schedule: ten random points between 2 % and 75 % of the devices finished, so that it
# does not depend on how fast this machine is. The server is killed at the first moment the
# count reaches the next point and at least 1 to 4 devices more have finished since it started
# (it is busy: requests are in flight, some of them committing), plus up to 10 ms.
points=()
for i in $(seq 1 "$KILLS"); do
  points+=($((DEVICES * 2 / 100 + RANDOM % (DEVICES * 73 / 100))))
done
mapfile -t points < <(printf '%s\n' "${points[@]}" | sort -n)
kills=0
while [ $kills -lt "$KILLS" ]; do
  count_finished
  target=$((FINISHED + 1 + RANDOM % 4))
  [ "${points[$kills]}" -gt "$target" ] && target=${points[$kills]}
  jitter=$(printf '0.%03d' $((RANDOM % 11)))
  for i in $(seq 1 6000); do  # 30 s at most
    count_finished
    [ "$FINISHED" -ge "$target" ] && break
    client_alive || break
    sleep 0.005
  done
  client_alive || { cat client.log; fail "the storm ended after $kills kills; expected $KILLS"; }
  [ "$FINISHED" -ge "$target" ] || fail "no progress for 30 s after $kills kills"
  sleep "$jitter"
  echo "kill $(date +%s.%N)" >>out/timeline
  kill -KILL "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
  forget_pid "$SERVE_PID"
  kills=$((kills + 1))
  count_finished
  echo "kill $kills at $FINISHED devices finished (point $target)"
  restart_anchor_serve
  echo "up $(date +%s.%N)" >>out/timeline
done

# The rest of the storm with the server up; the client gives up by its own deadline.
rc=0
wait "$CLIENT_PID" || rc=$?
forget_pid "$CLIENT_PID"
[ $rc -eq 0 ] || { cat client.log; fail "the storm client exited $rc"; }
# Used tokens with another key are refused; a replay gets the same certificate or 401.
python3 "$TESTS_DIR/crash_storm.py" probe --port "$PORT" --home "$ANCHOR_HOME" --out out \
  >probe.out 2>&1 || { cat probe.out; fail "probes of used tokens"; }
stop_anchor_serve
cat serve.log >>serve-all.log

# The store against what the clients received (crash_storm.py check: sqlite3, cryptography).
rc=0
python3 "$TESTS_DIR/crash_storm.py" check --home "$ANCHOR_HOME" --out out --kills "$kills" \
  >check.out 2>check.err || rc=$?
counts=$(cat check.out)
echo "$counts"
if [ $rc -eq 1 ]; then
  cat check.err >&2
  fail "the store does not match what the clients received"
fi
[ $rc -eq 0 ] || [ $rc -eq 3 ] || { cat check.err >&2; fail "check exited $rc"; }

# anchor's own offline view agrees: the audit chain, and the list of certificates.
anchor audit verify >audit.out 2>&1 || { cat audit.out; fail "anchor audit verify"; }
anchor list --status any --profile device --json >list.json || fail "anchor list"
python3 - "$ANCHOR_HOME/anchor.db" list.json <<'PY' || fail "anchor list differs from the store"
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
stored = {int(s, 16) for (s,) in db.execute("SELECT serial FROM certificates WHERE profile = 'device'")}
listed = json.load(open(sys.argv[2]))
listed = listed.get("certificates", listed) if isinstance(listed, dict) else listed
serials = [int(c["serial"], 16) for c in listed]
assert len(serials) == len(set(serials)), "anchor list shows a serial twice"
assert set(serials) == stored, f"anchor list: {len(serials)} certificates, store: {len(stored)}"
PY

# Each received certificate verifies with openssl (one invocation for all of them).
received=$(ls out/received | wc -l)
if [ "$received" -gt 0 ]; then
  (cd out/received && openssl verify -CAfile "$ANCHOR_HOME/root.crt" \
    -untrusted "$ANCHOR_HOME/intermediate.crt" -purpose sslclient *.pem) >verify.out 2>&1 ||
    { grep -v ': OK$' verify.out | head; fail "openssl verify"; }
  [ "$(grep -c ': OK$' verify.out)" = "$received" ] || fail "openssl verify: not every certificate OK"
fi

# Server-side evidence: 5xx answers it logged during the storm.
five=$(grep -cE '" 5[0-9][0-9]:' serve-all.log || true)
echo "server log: $five answers with a 5xx status across $((kills + 1)) runs; $(cat probe.out)"

if [ $rc -eq 3 ]; then
  grep STRANDED check.err | head -20 >&2
  fail "stranded devices (certificate committed, response lost, retry refused): $counts"
fi
pass "kill -9 storm: $counts; $(cat probe.out); store, tokens, audit chain, anchor list and openssl verify agree"
