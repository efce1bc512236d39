#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor-agent on a full disk: the device's directory is a 256 KiB tmpfs (in a user and mount
# namespace of this test's own) filled to the last byte. A due renewal fails with one line
# saying so; the working key and certificate are untouched and still a pair, with no staged or
# temporary file left; the daemon keeps running and retries; once space is freed it renews by
# itself, and the new key and certificate are a pair.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"

if ! unshare --user --map-root-user --mount true 2>/dev/null; then
  echo "SKIP: this kernel does not allow user and mount namespaces (unshare -rm)"
  exit 77
fi
anchor init --name disk -q
start_anchor_serve
anchor token create --cn pump-9 -q > token.txt
mkdir dev

cat > inside.sh <<'INSIDE'
set -euo pipefail
source "$TESTS_DIR/lib.sh.inside"
mount -t tmpfs -o size=256k tmpfs "$WORK/dev"
AGENT=("$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn pump-9
       --key "$WORK/dev/pump.key" --cert "$WORK/dev/pump.crt" --token-file "$WORK/token.txt")
"${AGENT[@]}" --once 2> enroll.log || { cat enroll.log; fail "first enrollment"; }
pair() { [ "$(openssl x509 -in "$WORK/dev/pump.crt" -noout -pubkey)" = "$(openssl pkey -in "$WORK/dev/pump.key" -pubout)" ]; }
cp dev/pump.crt crt.before; cp dev/pump.key key.before
dd if=/dev/zero of=dev/filler bs=4k 2>/dev/null || true  # until the disk is full
[ "$(df --output=avail dev | tail -1 | tr -d ' ')" = 0 ] || fail "the disk is not full"

rc=0; "${AGENT[@]}" --once --renew-at 0 2> full.log || rc=$?
[ $rc -ne 0 ] || fail "a renewal on a full disk reported success"
grep -q "No space left on device" full.log || { cat full.log; fail "the error does not say the disk is full"; }
cmp -s dev/pump.crt crt.before && cmp -s dev/pump.key key.before || fail "a failed renewal changed the files"
pair || fail "the key and certificate are no longer a pair"
[ "$(ls dev)" = "$(printf 'filler\npump.crt\npump.crt.state.json\npump.key')" ] || { ls dev; fail "files left behind"; }
pass "disk full: renewal refused with '$(grep -o 'No space left on device' full.log | head -1)', the working pair untouched"

"${AGENT[@]}" --renew-at 0 2> daemon.log &
DAEMON=$!
for _ in $(seq 1 50); do grep -q "renewal failed" daemon.log && break; sleep 0.1; done
grep -q "renewal failed: .*No space left on device.*the current certificate stays" daemon.log \
  || { cat daemon.log; kill $DAEMON; fail "the daemon did not report the full disk"; }
kill -0 $DAEMON || fail "the daemon died on a full disk"
rm dev/filler
for _ in $(seq 1 150); do grep -q "renewed" daemon.log && break; sleep 0.1; done
kill -TERM $DAEMON; wait $DAEMON || fail "the daemon did not stop cleanly"
grep -q "renewed" daemon.log || { cat daemon.log; fail "the daemon did not renew once space was free"; }
! cmp -s dev/pump.crt crt.before || fail "not renewed"
pair || fail "the renewed key and certificate are not a pair"
pass "the daemon kept running on the full disk, retried, and renewed once space was freed"
INSIDE

# Inside the namespace only what lib.sh's helpers need, without its scratch directory and traps.
sed -n '/^fail()/,/^pass()/p' "$TESTS_DIR/lib.sh" > "$WORK/lib.sh.inside"
TESTS_DIR="$WORK" WORK="$WORK" BASE="$BASE" ANCHOR_HOME="$ANCHOR_HOME" ANCHOR_AGENT="$ANCHOR_AGENT" \
  unshare --user --map-root-user --mount bash inside.sh
