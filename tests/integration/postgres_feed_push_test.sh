#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Revocations pushed across replicas: two `anchor serve` on one PostgreSQL database (ctest's
# `postgres` fixture). A feed request waiting on replica 2 (curl, ?wait=30s) answers as soon as
# replica 1 commits a revocation through its admin API, and one waiting on each replica answers
# when an offline `anchor revoke` (a third process) commits: PostgreSQL's NOTIFY reaches every
# replica's LISTEN. Twenty revocations alternating between the replicas, each followed at once by
# a waiting request on the other: every one is seen, in order, with no cursor skipped.
source "$(dirname "$0")/lib.sh"
test_database anchor_push

anchor init --name pushca --store "$URL" -q 2> init.err || { cat init.err; fail "anchor init --store"; }
for i in $(seq 1 24); do
  anchor issue --cn "dev-$i" --profile device --cert "dev$i.crt" --key "dev$i.key" -q
done
start_replica 1
start_replica 2
R1="https://127.0.0.1:$PORT_1"
R2="https://127.0.0.1:$PORT_2"
CURL=(curl -sS --max-time 40 --cacert "$ANCHOR_HOME/root.crt")
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
revoke_on() {  # revoke_on URL SERIAL
  [ "$("${CURL[@]}" -o revoke.out -w '%{http_code}' "${ADMIN[@]}" -H "Content-Type: application/json" \
    --data-binary '{"reason":"keyCompromise"}' "$1/api/v1/certificates/$2/revoke")" = 200 ] \
    || { cat revoke.out; fail "revoke $2 on $1"; }
}

# Each replica listens on one session of its own, named like its others (pg_stat_activity).
for pid in "$PID_1" "$PID_2"; do
  [ "$(dbsql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND application_name LIKE 'anchor:$pid@%'")" = 1 ] \
    || fail "replica $pid has no LISTEN session named anchor:$pid@HOST: $(dbsql "SELECT application_name, query FROM pg_stat_activity WHERE datname = current_database()")"
done
pass "each replica LISTENs on one session, named anchor:PID@HOST in pg_stat_activity"

# Waiting on replica 2, revoked on replica 1.
s=$(serial_of dev1.crt)
"${CURL[@]}" "$R2/api/v1/revocations?since=0&wait=30s" > w2.json &
waiter=$!
still_waiting "$waiter" "the request on replica 2"
t1=$(now_ms)
revoke_on "$R1" "$s"
wait "$waiter" || fail "the waiting request on replica 2"
lag=$(( $(now_ms) - t1 ))
[ "$(feed_serials w2.json)" = "$s" ] || fail "replica 2's answer: $(cat w2.json)"
[ "$lag" -lt 3000 ] || fail "replica 2 answered $lag ms after the revoke on replica 1 was sent"
pass "a request waiting on replica 2 answers $lag ms after replica 1's revocation was sent"

# An offline revocation, from a third process: both replicas' waiters answer.
c=$(feed_cursor w2.json)
s=$(serial_of dev2.crt)
"${CURL[@]}" "$R1/api/v1/revocations?since=$c&wait=30s" > o1.json &
w1=$!
"${CURL[@]}" "$R2/api/v1/revocations?since=$c&wait=30s" > o2.json &
w2=$!
still_waiting "$w1" "the request on replica 1"
t1=$(now_ms)
anchor revoke "$s" --reason superseded -q || fail "offline anchor revoke"
wait "$w1" || fail "waiter on replica 1"
wait "$w2" || fail "waiter on replica 2"
lag=$(( $(now_ms) - t1 ))
[ "$(feed_serials o1.json)" = "$s" ] && [ "$(feed_serials o2.json)" = "$s" ] \
  || fail "answers to the offline revoke: $(cat o1.json) / $(cat o2.json)"
[ "$lag" -lt 3000 ] || fail "the offline revoke was seen after $lag ms"
pass "an offline anchor revoke wakes the waiters on both replicas ($lag ms from its start, process start included)"

# Twenty revocations, alternating replicas, each followed by a long-poll on the other: each is
# answered in order, and the cursors chain with nothing skipped.
c=$(feed_cursor o1.json)
seen=()
for i in $(seq 3 22); do
  s=$(serial_of "dev$i.crt")
  on=$R1; other=$R2
  [ $((i % 2)) = 0 ] && { on=$R2; other=$R1; }
  "${CURL[@]}" "$other/api/v1/revocations?since=$c&wait=30s" > "a$i.json" &
  waiter=$!
  revoke_on "$on" "$s"
  wait "$waiter" || fail "waiter for revocation $i"
  got=$(feed_serials "a$i.json")
  if [ "$got" != "$s" ]; then
    # The wait may have begun after the commit (then it answers at once): still exactly one.
    fail "revocation $i: expected $s, got '$got'"
  fi
  next=$(feed_cursor "a$i.json")
  [ "$next" = $((c + 1)) ] || fail "revocation $i: cursor $c -> $next"
  c=$next
  seen+=("$s")
done
"${CURL[@]}" "$R1/api/v1/revocations?since=0&limit=100" > all1.json
"${CURL[@]}" "$R2/api/v1/revocations?since=0&limit=100" > all2.json
cmp -s all1.json all2.json || fail "the replicas' feeds differ"
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["revocations"]))' all1.json)" = 22 ] \
  || fail "the feed does not hold 22 revocations: $(cat all1.json)"
pass "20 revocations alternating between replicas: each answered to a waiter on the other, cursors consecutive"

kill -TERM "$PID_1" "$PID_2"
wait "$PID_1" "$PID_2" || fail "a replica did not stop cleanly"
forget_pid "$PID_1"
forget_pid "$PID_2"
pass "both replicas stop cleanly"
