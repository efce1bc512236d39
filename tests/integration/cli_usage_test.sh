#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every program's command line keeps the same contract: --version prints "PROGRAM VERSION" and
# exits 0; a usage error exits 2 (never CLI11's 105/106) and names a mistyped command or option
# with the registered name it is closest to; durations take the usual forms.
source "$TESTS_DIR/lib.sh"
: "${ANCHOR_AGENT:?}"
WORKER="$(dirname "$ANCHOR_AGENT")/anchor-agent-worker"
version=$(sed -n 's/^project(anchor VERSION \([0-9.]*\) .*/\1/p' "$TESTS_DIR/../../CMakeLists.txt")
[ -n "$version" ] || fail "no version in CMakeLists.txt's project()"

# exit_of CMD...: runs CMD, output in out.txt, and prints its exit code.
exit_of() { local rc=0; "$@" >out.txt 2>&1 || rc=$?; echo $rc; }

for prog in "$ANCHOR:anchor" "$ANCHOR_AGENT:anchor-agent" "$WORKER:anchor-agent-worker"; do
  bin=${prog%%:*} name=${prog#*:}
  [ "$(exit_of "$bin" --version)" = 0 ] || { cat out.txt; fail "$bin --version did not exit 0"; }
  [ "$(cat out.txt)" = "$name $version" ] || fail "$bin --version printed '$(cat out.txt)'"
done
# --version after a command too, in every program (anchor's options fall through to commands).
for cmd in "$ANCHOR list" "$ANCHOR_AGENT run" "$ANCHOR_AGENT status" "$WORKER run"; do
  # shellcheck disable=SC2086
  [ "$(exit_of $cmd --version)" = 0 ] || { cat out.txt; fail "$cmd --version did not exit 0"; }
done
has -F "anchor-agent-worker: usage: " <("$WORKER" --bogus 2>&1) || fail "the worker's usage line names another program"
pass "--version on every program: 'anchor $version', also after a command"

# check_usage EXPECTED CMD...: CMD exits 2 and its one line of output contains EXPECTED.
check_usage() {
  local expected=$1; shift
  local rc
  rc=$(exit_of "$@")
  [ "$rc" = 2 ] || { cat out.txt; fail "$*: exit $rc, expected 2"; }
  [ "$(wc -l < out.txt)" = 1 ] || { cat out.txt; fail "$*: more than one line"; }
  has -F -e "$expected" out.txt || { cat out.txt; fail "$*: does not say '$expected'"; }
}
check_usage "unknown command 'isue'; did you mean 'issue'?" "$ANCHOR" isue --cn x
check_usage "unknown command 'craete'; did you mean 'create'?" "$ANCHOR" token craete --cn x
check_usage "unknown option '--tll'; did you mean '--ttl'?" "$ANCHOR" token create --cn x --tll 5m
check_usage "unknown option '--hoem'; did you mean '--home'?" "$ANCHOR" list --hoem x
check_usage "unknown option '--sever'; did you mean '--server'?" \
  "$ANCHOR_AGENT" run --sever https://x --key k --cert c
check_usage "unknown command 'stauts'; did you mean 'status'?" "$ANCHOR_AGENT" stauts --cert c
check_usage "unknown option '--fingerprnt'; did you mean '--fingerprint'?" \
  "$WORKER" run --server https://x --key k --cert c --fingerprnt AB
check_usage "unknown command 'bogus'; use one of: run, status" "$ANCHOR_AGENT" bogus
check_usage "--cn is required" "$ANCHOR" token create
check_usage "unknown option '--no-such-flag'" "$ANCHOR_AGENT" run --server https://x --key k --cert c --no-such-flag
# An unknown option is named first: not hidden behind a missing required option, nor behind
# "A subcommand is required"; a short one is only ever matched to the same letter.
check_usage "unknown option '--output'; did you mean '--out'?" "$ANCHOR" backup --output x
check_usage "unknown option '--output'; did you mean '--out'?" "$ANCHOR" key --output
check_usage "unknown option '--bogus'" "$ANCHOR_AGENT" run --bogus
check_usage "unknown option '--bogus'" "$ANCHOR_AGENT" status --bogus
check_usage "unknown option '--bogus'" "$ANCHOR" --bogus
check_usage "unknown option '--bogus'" "$ANCHOR_AGENT" --bogus
check_usage "unknown option '-O'; did you mean '-o'?" "$ANCHOR" backup -O x
check_usage "unknown option '-x'" "$ANCHOR" backup -x
has -F "'-h'" out.txt && fail "-x should not be taken for -h"
# A value the command line gives that cannot be read is a usage error, before any work.
check_usage "--ttl: '5x' is not a duration" "$ANCHOR" token create --cn x --ttl 5x
check_usage "--listen: 'nonsense' is not ADDRESS:PORT" "$ANCHOR" serve --listen nonsense
check_usage "--http-listen: '[::1]:http' has no valid port" "$ANCHOR" serve --http-listen '[::1]:http'
check_usage "--out: an empty path" "$ANCHOR" backup --out ''
check_usage "--out: an empty path" "$ANCHOR" key --out ''
check_usage "--out: an empty path" "$ANCHOR" crl --out ''
check_usage "--threads: Value 999 not in range" "$ANCHOR" serve --threads 999
# A SHA-1 fingerprint (40 hex digits, what `openssl x509 -fingerprint` prints without -sha256).
sha1=$(printf 'AB:%.0s' $(seq 1 19))AB
check_usage "--fingerprint: '$sha1' is not a SHA-256 fingerprint" \
  "$ANCHOR" enroll --server https://x --cn x --fingerprint "$sha1"
check_usage "--fingerprint: '$sha1' is not a SHA-256 fingerprint" \
  "$ANCHOR_AGENT" run --server https://x --key k --cert c --fingerprint "$sha1"
# --server takes https://HOST[:PORT] alone: refused while the command line is read.
check_usage "--server: the URL http://ca:8443 is not an https:// URL" \
  "$ANCHOR" revoke --server http://ca:8443 00ff
check_usage "--server: the URL holds user information" \
  "$ANCHOR" list --server https://user:secret@ca:8443
! has secret out.txt || fail "the refusal of a URL with user information repeats the password"
check_usage "--server: the URL https://ca:8443/est has a path" \
  "$ANCHOR" token create --server https://ca:8443/est --cn x
pass "usage errors exit 2 in every program, with the name that was meant"

# Durations: the token's lifetime as the store records it (read with Python's sqlite3).
anchor init --name durations -q --no-passphrase >/dev/null 2>&1
ttl_of() {
  /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT expires_at - created_at FROM tokens WHERE common_name = ?", (sys.argv[2],)).fetchone()[0])' \
    "$ANCHOR_HOME/anchor.db" "$1"
}
for pair in 90s:90 90m:5400 1h30m:5400 7d:604800 1d12h:129600 2w:1209600 366d:31622400; do
  text=${pair%%:*} seconds=${pair#*:}
  anchor token create --cn "ttl-$text" --ttl "$text" -q >/dev/null
  [ "$(ttl_of "ttl-$text")" = "$seconds" ] || fail "--ttl $text: $(ttl_of "ttl-$text") s, expected $seconds"
done
pass "token --ttl takes 90s, 90m, 1h30m, 7d, 1d12h, 2w"
# Not a duration: a usage error (2). A duration beyond the token's bound: refused by the CA (1).
for bad in 90:2 1.5h:2 30m1h:2 forever:2 0s:2 367d:1; do
  rc=$(exit_of anchor token create --cn "bad-ttl" --ttl "${bad%%:*}")
  [ "$rc" = "${bad#*:}" ] || { cat out.txt; fail "--ttl ${bad%%:*}: exit $rc, expected ${bad#*:}"; }
  [ "$(wc -l < out.txt)" = 1 ] || { cat out.txt; fail "--ttl $bad: more than one line"; }
done
rc=$(exit_of anchor token create --cn bad-ttl --ttl 90)
has -F "write e.g. 90s, 30m, 1h30m" out.txt || { cat out.txt; fail "a bad duration does not show the forms"; }
[ "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
  "SELECT COUNT(*) FROM tokens WHERE common_name = ?", ("bad-ttl",)).fetchone()[0])' \
  "$ANCHOR_HOME/anchor.db")" = 0 ] || fail "a refused --ttl left a token row"
pass "a bad --ttl (90, 1.5h, 30m1h, forever, 0s: exit 2; 367d: exit 1) is one line, no row"

# init --home DIR/ (a trailing slash) makes DIR; a refused init leaves no directory behind.
anchor init --home "$WORK/slash/" --name slash -q --no-passphrase >/dev/null 2>&1 ||
  fail "init --home DIR/ failed"
[ -f "$WORK/slash/anchor.toml" ] || fail "init --home DIR/ made no CA in DIR"
rc=$(exit_of anchor init --home "$WORK/new/deep/ca/" --permit-dns example.com --san other.org \
  -q --no-passphrase)
[ "$rc" = 1 ] || { cat out.txt; fail "a SAN outside --permit-dns: exit $rc, expected 1"; }
[ ! -e "$WORK/new" ] || { ls -laR "$WORK/new"; fail "a refused init left $WORK/new behind"; }
pass "init --home DIR/ works; a refused init leaves no directory behind"

# Ctrl-C at the passphrase prompt (a real pty, Python's pty module) ends init by SIGINT with the
# terminal's echo back on, and nothing written.
/usr/bin/python3 - "$ANCHOR" "$WORK/interrupted" > ctrlc.out <<'PY'
import os, pty, select, signal, sys, termios, time
anchor, home = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ["ANCHOR_HOME"] = home
    os.environ.pop("ANCHOR_PASSPHRASE", None)
    os.execv(anchor, [anchor, "init", "--name", "interrupted"])
seen = b""
end = time.time() + 20
while b"unencrypted): " not in seen and time.time() < end:
    if select.select([fd], [], [], 1.0)[0]:
        try:
            seen += os.read(fd, 4096)
        except OSError:
            break
echo_at_prompt = termios.tcgetattr(fd)[3] & termios.ECHO
os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground process
_, status = os.waitpid(pid, 0)
echo_after = termios.tcgetattr(fd)[3] & termios.ECHO  # the pty's settings, as the shell finds them
print("prompted=%d echo_at_prompt=%d signal=%s echo_after=%d" % (
    b"unencrypted): " in seen, bool(echo_at_prompt),
    signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else "none",
    bool(echo_after)))
PY
[ "$(cat ctrlc.out)" = "prompted=1 echo_at_prompt=0 signal=SIGINT echo_after=1" ] ||
  { cat ctrlc.out; fail "Ctrl-C at the passphrase prompt: the terminal was not restored"; }
[ ! -e "$WORK/interrupted" ] || fail "an interrupted init left $WORK/interrupted behind"
pass "Ctrl-C at the passphrase prompt restores the terminal's echo"

# serve where there is no CA: the one line that says so, and nothing left in the directory.
mkdir "$WORK/not-a-ca"
for dir in "$WORK/not-a-ca" "$WORK/no-such-dir"; do
  rc=$(exit_of anchor serve --home "$dir" --listen 127.0.0.1:0)
  [ "$rc" = 1 ] && has -F "no CA in $dir; run \`anchor init\` first" out.txt \
    || { cat out.txt; fail "serve --home $dir: exit $rc"; }
done
[ -z "$(ls -A "$WORK/not-a-ca")" ] || fail "serve left $(ls -A "$WORK/not-a-ca") in a directory without a CA"
pass "serve where there is no CA says so in one line and leaves nothing behind"
