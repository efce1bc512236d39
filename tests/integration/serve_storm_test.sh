#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An enrollment storm: 2,000 EST enrollments (each with its own one-time token and key) from 32
# concurrent clients (bench/anchor-load); no error, 2,000 distinct serials, each one in the
# store (read with Python's sqlite3) with its token consumed; the server's resident memory is
# reported before and after.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_LOAD:?ANCHOR_LOAD must name bench/anchor-load}"

anchor init --name storm -q
start_anchor_serve
rss() { ps -o rss= -p "$SERVE_PID" | tr -d ' '; }
idle_kib=$(rss)
"$ANCHOR_LOAD" enroll --url "$BASE" --ca "$ANCHOR_HOME/root.crt" \
  --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
  --n 2000 --concurrency 32 --serials serials.txt > storm.out || { cat storm.out; fail "storm"; }
storm_kib=$(rss)
[ "$(wc -l < serials.txt)" = 2000 ] || fail "expected 2000 certificates, got $(wc -l < serials.txt)"
[ "$(sort -u serials.txt | wc -l)" = 2000 ] || fail "serials are not distinct"
python3 - "$ANCHOR_HOME/anchor.db" serials.txt <<'PY' || fail "store check"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
serials = [s.strip() for s in open(sys.argv[2])]
stored = {r[0] for r in db.execute("SELECT serial FROM certificates WHERE profile = 'device'")}
missing = [s for s in serials if s not in stored]
assert not missing, f"{len(missing)} issued serials are not in the store"
used = db.execute("SELECT COUNT(*) FROM tokens WHERE used_at > 0").fetchone()[0]
assert used == 2000, f"{used} tokens consumed"
PY
pass "storm: $(cat storm.out) — 2000 distinct serials, all stored, 2000 tokens consumed"
pass "anchor serve resident memory: ${idle_kib} KiB idle, ${storm_kib} KiB after the storm"
stop_anchor_serve
