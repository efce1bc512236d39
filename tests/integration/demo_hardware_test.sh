#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor demo --hardware`: seed 002's system with the CA's keys made in a SoftHSM2 token and one
# device's key (client_t) made in a software TPM (swtpm): every step passes, the CA key files
# name token keys, client_t's key file is a TPM blob and its TPM-keyed MQTT connection is
# admitted by the plugin; nothing is left running (swtpm included) or on disk, also when the
# demo's output is cut short by a reader that stops (SIGPIPE used to kill it before it stopped
# its processes).
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?}" "${ANCHOR_PLUGIN:?}"
DEMO=(env TMPDIR="$WORK" "$ANCHOR" demo --hardware --agent "$ANCHOR_AGENT" --plugin "$ANCHOR_PLUGIN"
      --mosquitto "$(mosquitto_for_demo)")

"${DEMO[@]}" --keep --dir "$WORK/hw" > demo.out 2>&1 || { cat demo.out; fail "anchor demo --hardware"; }
has "All 9 steps passed" demo.out || { cat demo.out; fail "not every step passed"; }
has "key in PKCS#11 token 'anchor-demo' key 'intermediate', not extractable" demo.out \
  || fail "the demo does not say the intermediate key is in the token"
has "^pkcs11:token=anchor-demo;object=intermediate;" "$WORK/hw/ca/intermediate.key" \
  || fail "ca/intermediate.key does not name the token key"
has "^-----BEGIN TSS2 PRIVATE KEY-----" "$WORK/hw/client_t/client_t.key" \
  || fail "client_t's key file is not a TPM blob"
openssl verify -CAfile "$WORK/hw/ca/root.crt" -untrusted "$WORK/hw/ca/intermediate.crt" \
  "$WORK/hw/client_t/client_t.crt" > /dev/null || fail "client_t's certificate"
has "client_t connected over mTLS (its handshake signed inside the TPM), was admitted" demo.out \
  || fail "client_t's MQTT connection is not shown"
grep -E "New client connected from 127.0.0.1:[0-9]+ as .* u'client_t'" "$WORK/hw/broker/mosquitto.log" \
  > /dev/null || fail "the broker's log has no connection of client_t"
SOFTHSM2_CONF="$WORK/hw/hsm/softhsm2.conf" pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
  --token-label anchor-demo --login --pin "$(cat "$WORK/hw/hsm/pin")" --list-objects 2>/dev/null \
  | grep -c "never extractable" | has "^2$" || fail "the token does not hold two non-extractable keys"
pass "demo --hardware: 9 steps; CA keys in SoftHSM2 (never extractable), client_t's key in swtpm, its connection admitted"
# --keep printed how to stop it: by the PIDs it lists.
pids=$(sed -n 's/.*kill \([0-9 ]*\).*/\1/p' demo.out | tail -1)
[ -n "$pids" ] || { cat demo.out; fail "--keep printed no PIDs to stop"; }
kill $pids 2>/dev/null || true
for _ in $(seq 1 50); do [ -z "$(running_in "$WORK/hw")" ] && break; sleep 0.1; done
[ -z "$(running_in "$WORK/hw")" ] || fail "processes of the kept demo outlived their PIDs: $(running_in "$WORK/hw")"
pass "the kept demo stopped by the PIDs it printed (swtpm among them)"

# The reader stops after a few lines: the demo still stops everything it started.
set +o pipefail
"${DEMO[@]}" 2>&1 | head -3 > /dev/null
set -o pipefail
sleep 1
[ -z "$(running_in "$WORK/anchor-demo.")" ] || fail "a demo whose reader went away left processes: $(running_in "$WORK/anchor-demo.")"
pass "a demo whose output reader stops early still stops its processes"
