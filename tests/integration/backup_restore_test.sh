#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Backup and restore: `anchor backup` while `anchor serve` answers an enrollment storm
# (bench/anchor-load), then `anchor restore`. Every certificate a client had received when the
# backup started is in its restore; a backup taken after the storm, with the server still
# running (the rows still in the WAL), holds every certificate the clients received; both
# restores pass `anchor audit verify` (checked with Python's sqlite3 too, not only anchor), and
# the restored home serves again with its restored keys. A truncated, corrupted, wrong-passphrase
# or passphrase-less backup and a non-empty target are refused with one line, leaving nothing.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_LOAD:?ANCHOR_LOAD must name bench/anchor-load}"

export ANCHOR_PASSPHRASE="correct horse battery staple"
anchor init --name backup -q
start_anchor_serve
load() {  # load N SERIALS-FILE: N enrollments, 16 at a time
  "$ANCHOR_LOAD" enroll --url "$BASE" --ca "$ANCHOR_HOME/root.crt" \
    --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
    --n "$1" --concurrency 16 --serials "$2"
}
load 300 before.txt > before.out || { cat before.out; fail "first storm"; }

# The storm: the backup starts while it runs.
load 1500 during.txt > during.out 2>&1 &
LOAD_PID=$!
PIDS+=($LOAD_PID)
# Up to 60 s for the storm to record its first 150 (a sanitizer build on a loaded machine is
# slow to start it): a backup taken before would prove nothing about one taken during it.
for _ in $(seq 1 1200); do
  [ "$(row_count)" -gt 450 ] && break
  sleep 0.05
done
anchor backup --out storm.backup --with-keys > backup1.out || fail "backup during the storm"
wait "$LOAD_PID" || { cat during.out; fail "storm"; }
forget_pid "$LOAD_PID"
pass "during the storm: $(cat backup1.out)"
# After the storm, the server still running: what it committed may be only in the WAL.
anchor backup --out after.backup --with-keys > backup2.out || fail "backup after the storm"
pass "after the storm: $(cat backup2.out)"
# (Information only: whether rows are still in the WAL now depends on SQLite's checkpoints; the
# restore below must hold every certificate either way.)
echo "note: the live store's WAL holds $(stat -c %s "$ANCHOR_HOME/anchor.db-wal" 2>/dev/null || echo 0) bytes at backup time"
anchor backup --out nokeys.backup > backup3.out 2>backup3.err || fail "backup without keys"
stop_anchor_serve

# The backup file is a SQLite database (docs/OPERATIONS.md): read its manifest with Python.
python3 - storm.backup nokeys.backup <<'PY' || fail "backup layout"
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
m = dict(db.execute("SELECT key, value FROM anchor_backup_manifest"))
n = db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]
assert int(m["certificate_count"]) == n, (m, n)
keys = db.execute("SELECT path FROM anchor_backup_files WHERE kind = 'key'").fetchall()
assert len(keys) >= 4, keys
for (pem,) in db.execute("SELECT content FROM anchor_backup_files WHERE kind = 'key'"):
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"), pem[:40]
nk = open(sys.argv[2], "rb").read()
assert b"PRIVATE KEY-----" not in nk, "a key in a backup made without --with-keys"
PY
pass "backup files: manifest count matches, keys only as ENCRYPTED PRIVATE KEY, none without --with-keys"

# restore_and_check BACKUP DIR SERIALS...: restore, audit verify, each serial in the store.
restore_and_check() {
  local backup=$1 dir=$2; shift 2
  anchor restore "$backup" --home "$dir" > restore.out || fail "restore $backup"
  pass "$(cat restore.out)"
  anchor audit verify --home "$dir" > audit.out || { cat audit.out; fail "audit verify in $dir"; }
  has "audit log intact" audit.out || fail "audit verify: $(cat audit.out)"
  python3 - "$dir/anchor.db" "$@" <<'PY' || fail "certificates of $backup"
import sqlite3, sys
stored = {r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT serial FROM certificates")}
for f in sys.argv[2:]:
    serials = [s.strip() for s in open(f) if s.strip()]
    missing = [s for s in serials if s not in stored]
    assert not missing, f"{len(missing)} of {len(serials)} serials of {f} are not restored"
PY
}
restore_and_check storm.backup "$WORK/r1" before.txt
during_in_r1=$(python3 -c 'import sqlite3,sys; s={r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT serial FROM certificates")}; print(sum(1 for l in open(sys.argv[2]) if l.strip() in s))' "$WORK/r1/anchor.db" during.txt)
[ "$during_in_r1" -gt 0 ] && [ "$during_in_r1" -lt 1500 ] || fail "the backup was not taken during the storm ($during_in_r1 of 1500 in it)"
pass "backup during the storm: all 300 earlier certificates and $during_in_r1 of the storm's 1500"
restore_and_check after.backup "$WORK/r2" before.txt during.txt
pass "backup after the storm, server running: all 1800 certificates the clients received"
[ "$(stat -c %a "$WORK/r2/intermediate.key")" = 600 ] || fail "restored key mode"
head -1 "$WORK/r2/intermediate.key" | has "ENCRYPTED PRIVATE KEY" || fail "intermediate.key restored unencrypted"
head -1 "$WORK/r2/server.key" | has -- "-----BEGIN PRIVATE KEY-----" || fail "server.key not restored as it was"

# The restored home serves, with its restored keys.
ANCHOR_HOME="$WORK/r2" start_anchor_serve
load 20 restored.txt > restored.out || { cat restored.out; fail "enrollment on the restored home"; }
stop_anchor_serve
pass "the restored home serves: $(cat restored.out | cut -d' ' -f1-4)"

# refused_restore WHAT BACKUP [env...]: one line on stderr, nothing left beside the target.
refused_restore() {
  local what=$1 backup=$2; shift 2
  if env "$@" "$ANCHOR" restore "$backup" --home "$WORK/bad" >last.out 2>last.err; then
    fail "$what: restored"
  fi
  [ "$(wc -l < last.err)" = 1 ] || { cat last.err; fail "$what: not one line"; }
  [ ! -e "$WORK/bad" ] || fail "$what: left $WORK/bad"
  ! ls -a "$WORK" | has restore- || fail "$what: left a staging directory"
  pass "$what refused: $(cat last.err)"
}
size=$(stat -c %s after.backup)
head -c $((size / 2)) after.backup > truncated.backup
refused_restore "a truncated backup" truncated.backup
head -c 100 after.backup > stub.backup
refused_restore "a 100-byte backup" stub.backup
python3 - after.backup corrupted.backup "$WORK/r2/anchor.db" <<'PY'
import sqlite3, sys
data = bytearray(open(sys.argv[1], "rb").read())
der = sqlite3.connect(sys.argv[3]).execute("SELECT der FROM certificates LIMIT 1 OFFSET 900").fetchone()[0]
at = data.find(der)
assert at > 0
data[at + len(der) // 2] ^= 0x01  # one bit of one certificate
open(sys.argv[2], "wb").write(data)
PY
refused_restore "a backup with one bit flipped in a certificate" corrupted.backup
echo "not a backup" > text.backup
refused_restore "a text file" text.backup
refused_restore "a wrong passphrase" after.backup ANCHOR_PASSPHRASE=wrong
refused_restore "no passphrase for a backup with keys" after.backup ANCHOR_PASSPHRASE=
mkdir "$WORK/full" && touch "$WORK/full/x"
expect_fail "a non-empty target" anchor restore after.backup --home "$WORK/full"
[ "$(ls "$WORK/full")" = x ] || fail "the non-empty target was changed"
expect_fail "--with-keys without a passphrase" env ANCHOR_PASSPHRASE= "$ANCHOR" backup --out x.backup --with-keys
[ ! -e x.backup ] || fail "a refused backup left a file"
expect_fail "a backup over an existing file" anchor backup --out after.backup

# Without keys: the restore has every file but the keys.
mkdir "$WORK/r3"
anchor restore nokeys.backup --home "$WORK/r3" > /dev/null || fail "restore into an empty directory"
[ -e "$WORK/r3/root.crt" ] && [ ! -e "$WORK/r3/root.key" ] || fail "keys in a no-keys restore"
anchor audit verify --home "$WORK/r3" | has "audit log intact" || fail "audit verify r3"
pass "a backup without keys restores into an empty directory, certificates and store only"
