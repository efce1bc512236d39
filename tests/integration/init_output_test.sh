#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor init` tells what a person must know: the root's SHA-256 fingerprint (what openssl
# prints, and what a device pins with --fingerprint: it enrolls with it), and plainly when the
# CA keys are written unencrypted. On a terminal (a real pty, from Python's pty module) it asks
# for a passphrase twice without echo; without one it never asks.
source "$TESTS_DIR/lib.sh"

# 1. No terminal, no passphrase: nothing asked, the keys unencrypted and said so.
anchor init --name plain -q </dev/null >init.out 2>init.err
printed=$(sed -n 's/^root SHA-256 fingerprint: //p' init.out)
expected=$(openssl x509 -in "$ANCHOR_HOME/root.crt" -noout -fingerprint -sha256 | sed 's/.*=//')
[ -n "$printed" ] && [ "$printed" = "$expected" ] || { cat init.out; fail "fingerprint '$printed', openssl says '$expected'"; }
has -F "are NOT encrypted" init.err || { cat init.err; fail "unencrypted keys not said"; }
has -F -- "--passphrase-file" init.err || fail "does not say how to encrypt"
has -i "passphrase for" init.err && fail "asked for a passphrase without a terminal"
has -F "BEGIN PRIVATE KEY" "$ANCHOR_HOME/root.key" || fail "root.key should be unencrypted here"
pass "no terminal: no prompt; fingerprint = openssl's; 'NOT encrypted' said, with how to fix"

# The printed fingerprint is what a device pins: anchor enroll fetches and pins the CA with it.
start_anchor_serve
token=$(anchor token create --cn pinned-1 -q)
anchor enroll --server "https://127.0.0.1:$PORT" --fingerprint "$printed" --token "$token" \
  --cn pinned-1 --key dev.key --cert dev.crt --ca-out pinned.pem -q 2>enroll.err ||
  { cat enroll.err; fail "enroll with the printed fingerprint"; }
openssl verify -CAfile pinned.pem -untrusted dev.crt dev.crt >/dev/null || fail "pinned CA does not verify"
stop_anchor_serve
pass "a device enrolls pinning the printed fingerprint"

# 2. A passphrase file: nothing asked, nothing warned, keys encrypted.
printf 'from-a-file\n' > pass.txt
ANCHOR_HOME="$WORK/filed" anchor init --passphrase-file pass.txt -q >/dev/null 2>filed.err
has -F "NOT encrypted" filed.err && fail "warned although a passphrase was given"
has -F "ENCRYPTED PRIVATE KEY" "$WORK/filed/root.key" || fail "root.key not encrypted"
pass "passphrase file: keys encrypted, no warning"

# 3. On a terminal: asked twice, no echo; the keys encrypted with what was typed.
# pty_init HOME ANSWER1 [ANSWER2]: anchor init on a pty; prints everything the terminal showed,
# then "exit=N".
pty_init() {
  /usr/bin/python3 - "$ANCHOR" "$@" <<'PY'
import os, pty, select, sys, time
anchor, home, answers = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["ANCHOR_HOME"] = home
    os.environ.pop("ANCHOR_PASSPHRASE", None)
    os.execv(anchor, [anchor, "init", "--name", "typed"])
seen = b""
def read_until(marker, limit=20.0):
    global seen
    end = time.time() + limit
    while marker not in seen and time.time() < end:
        if not select.select([fd], [], [], max(0.0, end - time.time()))[0]:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return marker in seen
for n, answer in enumerate(answers):
    if not read_until(b"again: " if n else b"unencrypted): "):
        break
    os.write(fd, answer.encode() + b"\n")
read_until(b"\x00", 30.0)  # the rest, until the child closes the terminal
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
print("exit=%d" % os.waitstatus_to_exitcode(status))
PY
}
pty_init "$WORK/typed" "s3cret-typed" "s3cret-typed" > typed.out
has -F "exit=0" typed.out || { cat typed.out; fail "init on a terminal failed"; }
[ "$(grep -c "passphrase" typed.out)" -ge 2 ] || { cat typed.out; fail "not asked twice"; }
has -F "s3cret-typed" typed.out && { cat typed.out; fail "the passphrase was echoed"; }
has -F "NOT encrypted" typed.out && fail "warned although a passphrase was typed"
openssl pkey -in "$WORK/typed/intermediate.key" -passin pass:s3cret-typed -noout ||
  fail "intermediate.key does not open with the typed passphrase"
ANCHOR_PASSPHRASE=s3cret-typed ANCHOR_HOME="$WORK/typed" anchor issue --cn after-typed \
  --profile client --cert t.crt --key t.key -q 2>/dev/null || fail "the CA does not sign with the typed passphrase"
pass "terminal: asked twice, not echoed, keys encrypted with it"

pty_init "$WORK/differ" "one-thing" "another-thing" > differ.out
has -F "exit=1" differ.out || { cat differ.out; fail "two different passphrases accepted"; }
has -F "differ" differ.out || { cat differ.out; fail "the mismatch is not said"; }
[ ! -e "$WORK/differ/root.crt" ] || fail "a CA was written after a mismatch"
pass "terminal: two different answers refused, nothing written"

pty_init "$WORK/empty" "" > empty.out
has -F "exit=0" empty.out || { cat empty.out; fail "an empty answer should leave the keys unencrypted"; }
has -F "NOT encrypted" empty.out || { cat empty.out; fail "unencrypted after an empty answer, not said"; }
pass "terminal: an empty answer writes unencrypted keys and says so"
