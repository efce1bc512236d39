#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor init --store` on PostgreSQL never leaves half a CA: interrupted (SIGINT, SIGTERM) at
# moments spread over its run, each attempt ends either with a whole CA (exit 0, the home in
# place, its records in the database: psql) or with nothing (no home, no staging directory with
# keys beside it, no record in the database); and a home that appears while init runs leaves
# the database empty.
source "$(dirname "$0")/lib.sh"
# cert_rows: the certificates in the database, 0 when it has no anchor tables.
cert_rows() {
  if [ "$(dbsql "SELECT to_regclass('certificates') IS NULL")" = t ]; then
    echo 0
  else
    dbsql "SELECT count(*) FROM certificates"
  fi
}
whole=0
nothing=0
for delay in 0.005 0.01 0.02 0.03 0.05 0.07 0.09 0.12; do  # init takes about 0.12 s
  for sig in INT TERM; do
    test_database anchor_intr
    home="$WORK/h-$sig-$delay"
    "$ANCHOR" init --home "$home" --name intr --store "$URL" -q > init.out 2>&1 &
    pid=$!
    sleep "$delay"
    kill "-$sig" "$pid" 2>/dev/null || true
    rc=0; wait "$pid" || rc=$?
    rows=$(cert_rows)
    leftovers=$(find "$WORK" -maxdepth 1 -name ".h-$sig-$delay.init-*" | wc -l)
    [ "$leftovers" = 0 ] || fail "SIG$sig after ${delay}s left a staging directory (keys) beside the home"
    if [ "$rc" = 0 ]; then
      [ -f "$home/anchor.toml" ] && [ -f "$home/intermediate.key" ] && [ "$rows" -ge 2 ] \
        || fail "SIG$sig after ${delay}s: exit 0 but the CA is not whole (rows $rows)"
      whole=$((whole + 1))
    else
      [ ! -e "$home" ] && [ "$rows" = 0 ] \
        || fail "SIG$sig after ${delay}s: exit $rc left $( [ -e "$home" ] && echo 'a home' || echo 'no home') and $rows rows"
      nothing=$((nothing + 1))
    fi
  done
done
pass "16 interrupted anchor init --store: $whole ended whole, $nothing left nothing (no home, no staging keys, no row)"

# A home that appears while init runs: init refuses, and the database stays empty.
test_database anchor_intr
home="$WORK/raced"
"$ANCHOR" init --home "$home" --name raced --store "$URL" -q > raced.out 2>&1 &
pid=$!
mkdir "$home" && echo x > "$home/notes.txt"
rc=0; wait "$pid" || rc=$?
rows=$(cert_rows)
[ "$rc" != 0 ] && [ "$rows" = 0 ] && [ "$(ls "$home")" = notes.txt ] \
  || { cat raced.out; fail "a home made during init: exit $rc, $rows rows, home holds $(ls "$home" | tr '\n' ' ')"; }
pass "a home made while init ran: refused ($(head -c 120 raced.out)), the database holds no record"
