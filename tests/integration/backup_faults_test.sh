#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Backup and restore against a hostile tester (reviews of anchor backup/restore): backups doctored
# with the real sqlite3 CLI (a trigger, a renamed column, a store-named or unknown file, setuid
# modes, a plaintext key, a missing anchor.toml), odd file names ('%', '?', '#'), odd targets
# (trailing slash, ".", an existing empty directory, a link to one, a mount point when root),
# symbolic links and earlier backups inside the home, Ctrl-C during restore and backup
# (timeout -s INT), an empty --home, and an unreadable home or backup (as user nobody when
# root). Each refusal is one line and leaves nothing behind.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 missing: make setup"; exit 77; }

export ANCHOR_PASSPHRASE="correct horse battery staple"
anchor init --name faults -q 2>/dev/null
for i in 1 2 3; do
  anchor issue --cn "dev-$i" --profile device --cert "d$i.crt" --key "d$i.key" -q
done
anchor backup --out good.backup --with-keys -q || fail "backup"
anchor backup --out nokeys.backup -q || fail "backup without keys"

# doctored NAME SQL: a copy of good.backup changed by the sqlite3 CLI.
doctored() {
  cp good.backup "$1"
  sqlite3 "$1" "$2" || fail "sqlite3 on $1"
}
# refused WHAT BACKUP PATTERN: restore refused with one line matching PATTERN, nothing left.
refused() {
  local what=$1 backup=$2 pattern=$3
  rm -rf "$WORK/bad"
  if anchor restore "$backup" --home "$WORK/bad" >last.out 2>last.err; then
    fail "$what: restored"
  fi
  [ "$(wc -l < last.err)" = 1 ] || { cat last.err; fail "$what: not one line"; }
  has -e "$pattern" last.err || fail "$what: $(cat last.err) (expected /$pattern/)"
  [ ! -e "$WORK/bad" ] || fail "$what: left $WORK/bad"
  ! ls -a "$WORK" | has restore- || fail "$what: left a staging directory"
  pass "$what refused: $(cat last.err)"
}

# 1. The schema: only exactly what this anchor's migrations make.
doctored trigger.backup "CREATE TRIGGER u AFTER UPDATE OF status ON certificates BEGIN
  UPDATE certificates SET status='valid' WHERE serial=NEW.serial; END"
refused "a trigger added to the store" trigger.backup "schema has trigger u"
doctored view.backup "CREATE VIEW v AS SELECT serial FROM certificates"
refused "a view added to the store" view.backup "schema has view v"
doctored column.backup "PRAGMA writable_schema=ON;
  UPDATE sqlite_master SET sql=replace(sql,' fingerprint ',' fingebprint ') WHERE name='certificates'"
refused "a renamed column (one flipped bit)" column.backup "table certificates (on certificates) differs"
doctored noindex.backup "DROP INDEX $(sqlite3 good.backup "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name NOT LIKE 'anchor_backup%' LIMIT 1")"
refused "an index dropped" noindex.backup "schema lacks index"
doctored version.backup "PRAGMA user_version=3"
refused "a schema version changed" version.backup "schema version 3, its manifest says [0-9]"

# 2. Files named as the store, or as nothing a CA home holds.
x_sha=$(printf x | sha256sum | cut -d' ' -f1)
for name in anchor.db anchor.db-wal anchor.db-shm anchor.db-journal; do
  doctored store-name.backup "INSERT INTO anchor_backup_files VALUES('$name',420,'file',0,'$x_sha',CAST('x' AS BLOB))"
  refused "a file named $name" store-name.backup "the store's own name"
done
doctored unknown.backup "INSERT INTO anchor_backup_files VALUES('backups/k1.backup',420,'file',0,'$x_sha',CAST('x' AS BLOB))"
refused "a file that is not a CA home's" unknown.backup "backups/k1.backup, which is not a file of a CA home"

# 3. What a CA home needs is in the backup.
for f in anchor.toml root.crt intermediate.crt; do
  doctored missing.backup "DELETE FROM anchor_backup_files WHERE path='$f'"
  refused "a backup without $f" missing.backup "it has no $f"
done
doctored nokey.backup "DELETE FROM anchor_backup_files WHERE path='intermediate.key'"
refused "a --with-keys backup without intermediate.key" nokey.backup "has no intermediate.key"

# 4. Modes: permission bits only; a plaintext key is never written from a backup.
doctored setuid.backup "UPDATE anchor_backup_files SET mode=3583 WHERE path='anchor.toml'"
anchor restore setuid.backup --home "$WORK/r4" > /dev/null || fail "restore setuid.backup"
[ "$(stat -c %a "$WORK/r4/anchor.toml")" = 777 ] || fail "mode 3583 gave $(stat -c %a "$WORK/r4/anchor.toml")"
pass "mode 3583 (setuid, setgid) restored as 777, no special bits"
key_pem=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null)
key_sha=$(printf '%s' "$key_pem" | sha256sum | cut -d' ' -f1)
doctored plainkey.backup "UPDATE anchor_backup_files SET kind='file', mode=438, encrypted_at_rest=0,
  sha256='$key_sha', content=CAST('$key_pem' AS BLOB) WHERE path='server.key'"
refused "a plaintext key stored as a file" plainkey.backup "server.key in it is not stored as an encrypted key"
doctored keyincert.backup "UPDATE anchor_backup_files SET sha256='$key_sha', content=CAST('$key_pem' AS BLOB) WHERE path='root.crt'"
refused "a private key under a certificate's name" keyincert.backup "root.crt in it holds a private key"

# 5. File names are names, not SQLite URIs.
echo "not a backup" > b1.backup
cp good.backup 'b%31.backup'
anchor restore 'b%31.backup' --home "$WORK/r5" > r5.out || fail "restore b%31.backup"
has "3 certificates\|5 certificates" r5.out || fail "b%31.backup: $(cat r5.out)"
cp good.backup 'odd?name#x.backup'
anchor restore 'odd?name#x.backup' --home "$WORK/r5b" > /dev/null || fail "restore odd?name#x.backup"
pass "backups named b%31.backup and odd?name#x.backup restore as themselves"

# 6. Targets: a trailing slash, ".", an existing empty directory, a link to one; checked first.
anchor restore good.backup --home "$WORK/r6/" > /dev/null || fail "--home r6/"
[ -f "$WORK/r6/anchor.toml" ] || fail "--home r6/: no anchor.toml"
mkdir "$WORK/e6" && anchor restore good.backup --home "$WORK/e6/" > /dev/null || fail "empty e6/"
mkdir "$WORK/dot" && (cd "$WORK/dot" && "$ANCHOR" restore ../good.backup --home . > /dev/null) ||
  fail "--home ."
mkdir "$WORK/real" && ln -s "$WORK/real" "$WORK/link"
anchor restore good.backup --home "$WORK/link" > /dev/null || fail "a link to an empty directory"
for d in r6 e6 dot real; do
  anchor list --home "$WORK/$d" | has dev-3 || fail "$d: anchor list"
  [ "$(stat -c %a "$WORK/$d")" = 700 ] || fail "$d: home mode $(stat -c %a "$WORK/$d")"
  [ "$(stat -c %a "$WORK/$d/intermediate.key")" = 600 ] || fail "$d: key mode"
  ! ls -a "$WORK/$d" | has restore- || fail "$d: staging left"
done
pass "restored into r6/, an empty e6/, '.', and a link to an empty directory; each serves anchor list"
mkdir "$WORK/full" && touch "$WORK/full/x"
if anchor restore text-not-there.backup --home "$WORK/full" 2>last.err; then fail "non-empty"; fi
has "is not empty" last.err || fail "the target is not checked first: $(cat last.err)"
pass "a non-empty target is refused before the backup is read: $(cat last.err)"
anchor init --home "$WORK/init6/" -q 2>/dev/null || fail "init --home DIR/"
anchor list --home "$WORK/init6" > /dev/null || fail "init --home DIR/ made no CA"
pass "anchor init --home DIR/ works"
if [ "$(id -u)" = 0 ] && mkdir "$WORK/mnt" && mount -t tmpfs -o size=16m tmpfs "$WORK/mnt" 2>/dev/null; then
  mounted="$WORK/mnt"
  anchor restore good.backup --home "$WORK/mnt" > /dev/null || { umount "$mounted"; fail "a mount point"; }
  anchor list --home "$WORK/mnt" | has dev-3 || { umount "$mounted"; fail "mount point: list"; }
  umount "$mounted"
  pass "restored into an empty mount point (tmpfs)"
else
  echo "note: not root or no mount: the mount-point case is not run"
fi

# 7. Only the CA home's own files go into a backup; earlier backups in the home are left out.
mkdir "$ANCHOR_HOME/backups"
cp good.backup "$ANCHOR_HOME/backups/k1.backup"
cp good.backup "$ANCHOR_HOME/k0.backup"
anchor backup --out again.backup --with-keys > again.out 2> again.err || fail "backup beside backups"
has "not backed up (not a CA home's files): backups, k0.backup" again.err || fail "$(cat again.err)"
n=$(sqlite3 again.backup "SELECT COUNT(*) FROM anchor_backup_files WHERE path LIKE '%backup%'")
[ "$n" = 0 ] || fail "$n earlier backups inside the new one"
[ "$(stat -c %s again.backup)" -lt $(( $(stat -c %s good.backup) * 3 / 2 )) ] || fail "backup grew"
rm -rf "$ANCHOR_HOME/backups" "$ANCHOR_HOME/k0.backup"
pass "earlier backups in the home are left out and named: $(cat again.err)"

# 3 again. Symbolic links in the home: followed for a known file, said so; restored as files.
mv "$ANCHOR_HOME/anchor.toml" "$WORK/real-anchor.toml"
ln -s "$WORK/real-anchor.toml" "$ANCHOR_HOME/anchor.toml"
mv "$ANCHOR_HOME/intermediate.key" "$WORK/real-intermediate.key"
ln -s "$WORK/real-intermediate.key" "$ANCHOR_HOME/intermediate.key"
anchor backup --out links.backup --with-keys 2> links.err > /dev/null || fail "backup with links"
has "symbolic link.*anchor.toml -> " links.err || fail "links not said: $(cat links.err)"
has "symbolic link.*intermediate.key -> " links.err || fail "links not said: $(cat links.err)"
anchor restore links.backup --home "$WORK/r3" > /dev/null || fail "restore links.backup"
[ -f "$WORK/r3/anchor.toml" ] && [ ! -L "$WORK/r3/anchor.toml" ] || fail "anchor.toml not a file"
anchor list --home "$WORK/r3" | has dev-3 || fail "the restored home of links.backup"
ln -sf "$WORK/nowhere" "$ANCHOR_HOME/anchor.toml"
expect_fail "a dangling symbolic link anchor.toml" anchor backup --out dangling.backup
has "anchor.toml is a symbolic link that leads nowhere" "$WORK/last.err" || fail "$(cat "$WORK/last.err")"
[ ! -e dangling.backup ] || fail "a refused backup left a file"
rm "$ANCHOR_HOME/anchor.toml" "$ANCHOR_HOME/intermediate.key"
mv "$WORK/real-anchor.toml" "$ANCHOR_HOME/anchor.toml"
mv "$WORK/real-intermediate.key" "$ANCHOR_HOME/intermediate.key"
pass "symbolic links: targets backed up and said, restored as plain files; a dangling one refused"

# 8. Without keys no key is read; permission problems are called so (as nobody, when root).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  chmod 755 "$WORK" "$ANCHOR_HOME"
  mkdir -m 777 "$WORK/out8"
  as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/nonexistent "$@"; }
  as_nobody "$ANCHOR" backup --home "$ANCHOR_HOME" --out "$WORK/out8/n.backup" -q > /dev/null ||
    fail "a backup without keys as nobody (keys unreadable)"
  pass "a backup without keys does not read the keys (0600, root's) as nobody"
  chmod 700 "$ANCHOR_HOME"
  if as_nobody "$ANCHOR" backup --home "$ANCHOR_HOME" --out "$WORK/out8/m.backup" 2>last.err; then
    fail "unreadable home"
  fi
  has "permission denied for user nobody" last.err || fail "unreadable home: $(cat last.err)"
  pass "an unreadable home: $(cat last.err)"
  if as_nobody "$ANCHOR" restore "$WORK/good.backup" --home "$WORK/out8/r" 2>last.err; then
    fail "unreadable backup"
  fi
  has "permission denied for user nobody" last.err || fail "unreadable backup: $(cat last.err)"
  pass "an unreadable backup: $(cat last.err)"
  chmod 700 "$WORK"
else
  echo "note: not root: the unreadable-file cases are not run"
fi

# 10. Ctrl-C during restore and backup leaves no staging directory, no temporary file, no key.
for i in $(seq 1 200); do
  rm -f b.crt b.key && anchor issue --cn "bulk-$i" --profile device --cert b.crt --key b.key -q
done
anchor backup --out big.backup --with-keys -q || fail "big backup"
interrupted=0
backups_interrupted=0
for delay in 0.05 0.1 0.15 0.2 0.25 0.3 0.4 0.5 0.7; do
  rm -rf "$WORK/r10"
  timeout -s INT "$delay" "$ANCHOR" restore big.backup --home "$WORK/r10" > /dev/null 2>&1 && rc=0 || rc=$?
  [ "$rc" = 0 ] || interrupted=$((interrupted + 1))
  ! ls -a "$WORK" | has restore- || fail "SIGINT after ${delay}s left a staging directory"
  [ "$rc" != 0 ] || [ -f "$WORK/r10/anchor.toml" ] || fail "rc 0 without a home"
  # A signal that lands once the home is in place (the restore finished, the process not yet
  # exited) ends the process but leaves a whole home: never a part of one.
  [ ! -e "$WORK/r10" ] || [ -f "$WORK/r10/anchor.toml" ] || fail "SIGINT after ${delay}s left a partial $WORK/r10"
  mkdir -p "$WORK/e10" && rm -rf "$WORK/e10"/* "$WORK/e10"/.[!.]*
  timeout -s TERM "$delay" "$ANCHOR" restore big.backup --home "$WORK/e10" > /dev/null 2>&1 && rc=0 || rc=$?
  [ -z "$(ls -A "$WORK/e10")" ] || [ -f "$WORK/e10/anchor.toml" ] \
    || fail "SIGTERM after ${delay}s into e10 left a partial home: $(ls -A "$WORK/e10")"
  rm -f big2.backup
  timeout -s INT "$delay" "$ANCHOR" backup --out big2.backup --with-keys -q > /dev/null 2>&1 \
    || backups_interrupted=$((backups_interrupted + 1))
  ! ls -a "$WORK" | has "big2.backup.tmp-\|journal" || fail "SIGINT after ${delay}s left $(ls "$WORK" | grep big2)"
done
[ "$interrupted" -gt 0 ] || fail "no restore was interrupted"
[ "$backups_interrupted" -gt 0 ] || fail "no backup was interrupted: the check above checked nothing"
pass "SIGINT/SIGTERM during restore ($interrupted of 9 interrupted) and backup ($backups_interrupted of 9) left nothing behind"
# A restore killed outright (SIGKILL) leaves its staging directory: the next run removes it.
dead=$(sh -c 'echo $$')
mkdir -m 700 "$WORK/.r11.restore-$dead-abcdef" && touch "$WORK/.r11.restore-$dead-abcdef/intermediate.key"
anchor restore good.backup --home "$WORK/r11" > /dev/null || fail "restore r11"
[ ! -e "$WORK/.r11.restore-$dead-abcdef" ] || fail "a dead run's staging directory stayed"
pass "a killed run's staging directory is removed by the next restore"

# 12. An empty --home is a usage error, not ~/.anchor.
"$ANCHOR" --home '' restore good.backup > /dev/null 2>last.err && rc=0 || rc=$?
[ "$rc" = 2 ] || fail "--home '' exit $rc: $(cat last.err)"
pass "--home '' is a usage error (exit 2): $(cat last.err)"

# Smaller: an empty file, a directory, a FIFO as the backup; a restore without keys names them.
: > empty.backup
refused "an empty file" empty.backup "it is empty"
mkdir dir.backup
refused "a directory" dir.backup "is a directory, not a backup file"
mkfifo fifo.backup
refused "a FIFO" fifo.backup "not a regular file"
anchor restore nokeys.backup --home "$WORK/r13" 2> r13.err > /dev/null || fail "restore without keys"
has "copy admin.key, intermediate.key, root.key, server.key from the original home" r13.err ||
  fail "keys to copy not named: $(cat r13.err)"
pass "a restore without keys names the keys to copy in: $(cat r13.err)"
