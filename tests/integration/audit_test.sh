#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The audit log is hash-chained: `anchor audit verify` passes on an untouched log and detects an
# edited entry and a deleted one (edited with Python's sqlite3, as an attacker with file access).
source "$(dirname "$0")/lib.sh"

anchor init --name audited -q
anchor issue --cn dev-1 --profile device --cert d1.crt --key d1.key -q
anchor issue --cn dev-2 --profile device --cert d2.crt --key d2.key -q
anchor revoke --cert d1.crt -q
anchor crl --out crl.der -q
anchor audit verify >verify.out || { cat verify.out; fail "an untouched log must verify"; }
grep -q "intact: 7 entries" verify.out || { cat verify.out; fail "expected 7 entries"; }
pass "untouched audit log verifies"

cp "$ANCHOR_HOME/anchor.db" pristine.db
/usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE audit_log SET subject='CN=nobody' WHERE seq=4\"); c.commit()" "$ANCHOR_HOME/anchor.db"
expect_fail "an edited audit entry" anchor audit verify
grep -q "entry 4: was edited" last.out || { cat last.out; fail "the edit was not located"; }

cp pristine.db "$ANCHOR_HOME/anchor.db"
rm -f "$ANCHOR_HOME/anchor.db-wal" "$ANCHOR_HOME/anchor.db-shm"
/usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM audit_log WHERE seq=3'); c.commit()" "$ANCHOR_HOME/anchor.db"
expect_fail "a deleted audit entry" anchor audit verify
grep -q "missing" last.out || { cat last.out; fail "the deletion was not reported"; }
