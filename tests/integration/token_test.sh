#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor token create` prints a token once and stores only its SHA-256 (checked with Python's
# sqlite3 and hashlib, not anchor); tokens for names policy refuses are not created.
source "$(dirname "$0")/lib.sh"

anchor init --name tokens -q
token=$(anchor token create --cn sensor-7 --ttl 30m -q)
[[ "$token" =~ ^anc_[0-9a-f]{64}$ ]] || fail "unexpected token format '$token'"
/usr/bin/python3 - "$ANCHOR_HOME/anchor.db" "$token" <<'PY' || fail "token storage"
import hashlib, sqlite3, sys
db, token = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db)
rows = conn.execute("SELECT hash, common_name, profile, expires_at - created_at, used_at FROM tokens").fetchall()
assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "sensor-7", "device", 1800, None)], rows
dump = "\n".join(conn.iterdump())
assert token not in dump and token[4:] not in dump, "the token itself is in the database"
PY
pass "token printed once, stored as its SHA-256 only, bound to CN and profile"

sed -i '/^\[profiles.server\]/,/^\[/{s/^dns_suffixes = .*/dns_suffixes = ["example.com"]/}' "$ANCHOR_HOME/anchor.toml"
expect_fail "a token for a name policy refuses" anchor token create --cn www.evil.org --profile server
expect_fail "a bad ttl" anchor token create --cn sensor-8 --ttl forever
[ "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM tokens").fetchone()[0])' "$ANCHOR_HOME/anchor.db")" = 1 ] \
  || fail "a refused token was stored"
anchor audit verify >/dev/null || fail "token creation must keep the audit chain intact"
pass "refused tokens are not stored; the audit chain holds"
