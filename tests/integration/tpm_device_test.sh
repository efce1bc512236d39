#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A device whose key lives in a TPM 2.0 (swtpm, started here, stopped by PID): anchor-agent
# --tpm makes the key inside the TPM and keeps only the TPM's sealed blob on disk (a TSS2
# PRIVATE KEY, 0600, which openssl cannot read as a key and another TPM cannot load); the CSR is
# signed in the TPM and the certificate's key is the key the TPM holds (read back with
# tpm2-tools, attributes fixedtpm|fixedparent|sensitivedataorigin); renewal presents the TPM key
# over mTLS and makes the new key in the TPM; no TPM object slot is left taken; the device
# connects to Mosquitto through anchor's plugin with its TPM key (libmosquitto with an SSL_CTX
# from anchor's crypto layer) and is admitted, then refused once revoked.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
: "${ANCHOR_PLUGIN:?ANCHOR_PLUGIN must name anchor_mosquitto.so}"
: "${ANCHOR_MQTT_BENCH:?ANCHOR_MQTT_BENCH must name anchor-mqtt-bench}"

start_swtpm "$WORK/tpm"
anchor init --name devices -q
start_anchor_serve
anchor token create --cn tpm-dev -q > token.txt
AGENT=("$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn tpm-dev
       --key dev.key --cert dev.crt --ca-out ca.pem --token-file token.txt --tpm "$TPM_TCTI")

# tpm_public KEYFILE: the public key (PEM) of the TPM object the blob loads as, read by
# tpm2-tools from the TPM itself; the object's attributes go to KEYFILE.attrs. Loading needs the
# very TPM that sealed the blob. The loaded object is flushed again (3 slots, no manager).
tpm_public() {
  tpm2_load -r "$1" -c "$WORK/obj.ctx" >/dev/null 2>"$WORK/load.err" || return 1
  tpm2_readpublic -c "$WORK/obj.ctx" -f pem -o "$WORK/obj.pub.pem" > "$1.attrs"
  tpm2_flushcontext -t >/dev/null
  openssl pkey -pubin -in "$WORK/obj.pub.pem"
}
transient_handles() { tpm2_getcap handles-transient | grep -c 0x || true; }

"${AGENT[@]}" --once 2> agent.log || { cat agent.log; fail "enrollment with the key in the TPM"; }
has "with a key made in the TPM" agent.log || { cat agent.log; fail "the log does not say where the key was made"; }
[ "$(stat -c %a dev.key)" = 600 ] || fail "key file mode $(stat -c %a dev.key)"
head -1 dev.key | has -x -- "-----BEGIN TSS2 PRIVATE KEY-----" || { head -1 dev.key; fail "the key file is not a TSS2 PRIVATE KEY"; }
! has "BEGIN PRIVATE KEY\|BEGIN EC PRIVATE KEY" dev.key || fail "the key file holds a plain key"
! openssl pkey -in dev.key -noout 2>/dev/null || fail "openssl reads the device key without the TPM"
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem -untrusted dev.crt dev.crt >/dev/null \
  || fail "the device's chain does not verify"
tpm_pub=$(tpm_public dev.key) || { cat load.err; fail "the TPM cannot load the device key"; }
[ "$tpm_pub" = "$(openssl x509 -in dev.crt -noout -pubkey)" ] \
  || fail "the certificate's key is not the key in the TPM"
for attr in fixedtpm fixedparent sensitivedataorigin sign; do
  has -w "$attr" dev.key.attrs || { cat dev.key.attrs; fail "the TPM key lacks $attr"; }
done
[ "$(transient_handles)" = 0 ] || { tpm2_getcap handles-transient; fail "the agent left TPM objects loaded"; }
serial1=$(serial_of dev.crt)
pass "enrolled with the key made in the TPM: TSS2 blob 0600, the certificate's key is the TPM's (fixedtpm, sensitivedataorigin), no slot left taken"

# Another TPM cannot load the blob: it is sealed to this TPM's storage hierarchy.
SAVED_TCTI=$TPM_TCTI; SAVED_PID=$SWTPM_PID
start_swtpm "$WORK/other-tpm"
if tpm2_load -r dev.key -c other.ctx >/dev/null 2>&1; then fail "another TPM loaded the device key"; fi
stop_pid "$SWTPM_PID"
TPM_TCTI=$SAVED_TCTI; SWTPM_PID=$SAVED_PID; export TPM2TOOLS_TCTI=$TPM_TCTI
pass "another TPM refuses the blob"

# Due: simplereenroll over mTLS with the TPM key (the handshake is signed in the TPM), and a new
# key, made in the TPM too.
cp dev.key key.before
"${AGENT[@]}" --once --renew-at 0 2>> agent.log || { cat agent.log; fail "renewal with the TPM key"; }
serial2=$(serial_of dev.crt)
[ "$serial2" != "$serial1" ] || fail "not renewed"
! cmp -s dev.key key.before || fail "the renewal kept the key"
head -1 dev.key | has -x -- "-----BEGIN TSS2 PRIVATE KEY-----" || fail "the new key is not in the TPM"
tpm_pub=$(tpm_public dev.key) || { cat load.err; fail "the TPM cannot load the new key"; }
[ "$tpm_pub" = "$(openssl x509 -in dev.crt -noout -pubkey)" ] || fail "the renewed certificate's key is not the TPM's"
[ "$(transient_handles)" = 0 ] || fail "the renewal left TPM objects loaded"
pass "renewed over mTLS with the TPM key, the new key made in the TPM"

# `anchor enroll --tpm` and `anchor renew --rekey`: the same flows from the CLI.
anchor token create --cn tpm-dev2 -q > token2.txt
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn tpm-dev2 --key dev2.key \
  --cert dev2.crt --token-file token2.txt --tpm "$TPM_TCTI" > enroll2.log 2>&1 \
  || { cat enroll2.log; fail "anchor enroll --tpm"; }
has "made in the TPM" enroll2.log || { cat enroll2.log; fail "anchor enroll does not say the key is in the TPM"; }
anchor renew --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cert dev2.crt --key dev2.key \
  --rekey --tpm "$TPM_TCTI" > renew2.log 2>&1 || { cat renew2.log; fail "anchor renew --rekey with the TPM key"; }
head -1 dev2.key | has -x -- "-----BEGIN TSS2 PRIVATE KEY-----" || fail "anchor renew --rekey made a file key"
tpm_pub=$(tpm_public dev2.key) || { cat load.err; fail "the TPM cannot load dev2's key"; }
[ "$tpm_pub" = "$(openssl x509 -in dev2.crt -noout -pubkey)" ] || fail "dev2's certificate is not for its TPM key"
[ "$(transient_handles)" = 0 ] || fail "anchor enroll/renew left TPM objects loaded"
pass "anchor enroll --tpm and anchor renew --rekey: the key made and renewed in the TPM"

# What a careless script or a stuck TPM does (review): an empty TCTI is a usage error, not a key
# made outside the TPM; a TCTI tpm2-tss cannot use is not retried; enroll --tpm does not take a
# file key as if it were the TPM's; a TPM whose slots another program holds is "try again"
# (exit 75), not "damaged key"; and `run --once` against a TPM that never answers stops on
# SIGTERM.
rc=0; "${AGENT[@]}" --once --tpm '' > empty.out 2>&1 || rc=$?
[ "$rc" = 2 ] && has "an empty TCTI" empty.out || { cat empty.out; fail "--tpm '': exit $rc"; }
rc=0; "$ANCHOR_AGENT" run --once --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn bogus \
  --key bogus.key --cert bogus.crt --token-file token.txt --tpm bogus:xyz > bogus.out 2>&1 || rc=$?
[ "$rc" = 1 ] && has "not one tpm2-tss can use" bogus.out || { cat bogus.out; fail "--tpm bogus:xyz: exit $rc"; }
anchor key --out plain.key -q
anchor token create --cn tpm-dev3 -q > token3.txt
expect_fail "enroll --tpm with an existing file key" anchor enroll --server "$BASE" \
  --ca-cert "$ANCHOR_HOME/root.crt" --cn tpm-dev3 --key plain.key --cert dev3.crt \
  --token-file token3.txt --tpm "$TPM_TCTI"
has "outside the TPM" "$WORK/last.err" || fail "enroll --tpm does not say why"
for i in 1 2 3; do
  tpm2_createprimary -C o -c "$WORK/fill$i.ctx" > /dev/null 2>&1 || true  # not flushed: slots taken
done
rc=0; "${AGENT[@]}" --once --renew-at 0 > slots.out 2>&1 || rc=$?
tpm2_flushcontext -t > /dev/null
[ "$rc" = 75 ] && has "no free object slot" slots.out || { cat slots.out; fail "slots taken: exit $rc"; }
python3 -c '
import select, socket
# A "TPM" that accepts on its command port and its control port (the next one) and never
# answers, as a hung swtpm or resource manager does.
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); port = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", port + 1)); break
    except OSError:
        a.close(); b.close()
a.listen(8); b.listen(8); print(port, flush=True)
conns = []
while True:
    for s in select.select([a, b], [], [])[0]:
        conns.append(s.accept()[0])
' > silent.port &
SILENT_PID=$!
PIDS+=($SILENT_PID)
for _ in $(seq 1 50); do [ -s silent.port ] && break; sleep 0.1; done
"$ANCHOR_AGENT" run --once --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn tpm-dev \
  --key dev.key --cert dev.crt --token-file token.txt --renew-at 0 \
  --tpm "swtpm:host=127.0.0.1,port=$(cat silent.port)" > silent.out 2>&1 &
HUNG=$!
sleep 1
kill -0 "$HUNG" || { cat silent.out; fail "run --once did not wait on the silent TPM"; }
kill -TERM "$HUNG"
t0=$(now_ms); rc=0; wait "$HUNG" || rc=$?; waited=$(( $(now_ms) - t0 ))
[ "$waited" -lt 3000 ] || fail "run --once ignored SIGTERM while the TPM did not answer ($waited ms)"
stop_pid "$SILENT_PID"
openssl x509 -in dev.crt -noout -pubkey | cmp -s - <(tpm_public dev.key) \
  || fail "the stopped attempt left the certificate and key apart"
pass "an empty TCTI is a usage error, a bogus one is not retried, enroll --tpm refuses a file key, taken slots are exit 75, run --once stops on SIGTERM ($waited ms) with a TPM that never answers"

# Mosquitto with anchor's plugin; the device presents its certificate, the TPM signing the
# handshake (libmosquitto's MOSQ_OPT_SSL_CTX with anchor's SSL_CTX).
anchor issue --cn localhost --profile peer --cert broker.crt --key broker.key -q 2>/dev/null
MP=$(free_port)
mosquitto_conf "$MP" "$ANCHOR_HOME/root.crt" broker.crt broker.key "poll_ms 100" > broker.conf
start_mosquitto broker.conf "$MP"
MQTT=("$ANCHOR_MQTT_BENCH" connect --port "$MP" --cafile "$ANCHOR_HOME/root.crt" --cert dev.crt
      --key dev.key --tpm "$TPM_TCTI" --concurrency 1)
"${MQTT[@]}" --n 3 > mqtt.out 2>&1 || { cat mqtt.out "$WORK/mosquitto-$MP.log"; fail "the TPM-keyed device was not admitted"; }
has "accepted=3" mqtt.out || { cat mqtt.out; fail "connections"; }
[ "$(transient_handles)" = 0 ] || fail "the MQTT client left TPM objects loaded"
# The same certificate with another key is refused by TLS: the TPM's key is the one that counts.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out wrong.key 2>/dev/null
if "$ANCHOR_MQTT_BENCH" connect --port "$MP" --cafile "$ANCHOR_HOME/root.crt" --cert dev.crt \
     --key wrong.key --in-process --n 1 > wrong.out 2>&1; then
  fail "a key that is not the certificate's was accepted"
fi
pass "admitted by Mosquitto and the plugin with the key in the TPM (3 connections)"

anchor revoke "$serial2" --reason keyCompromise -q
for _ in $(seq 1 30); do
  "${MQTT[@]}" --n 1 > mqtt.out 2>&1 || break
  sleep 0.1
done
has "refused=1" mqtt.out || { cat mqtt.out; fail "the revoked TPM-keyed device was still admitted after 3 s"; }
has "certificate $serial2 is revoked" "$WORK/mosquitto-$MP.log" || fail "the broker does not say revoked"
pass "revoked: the plugin refuses the TPM-keyed device"

stop_pid "$MOSQ_PID"
stop_anchor_serve
stop_pid "$SWTPM_PID"
