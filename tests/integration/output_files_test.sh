#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where certificates are written, and what is read: every output path is planned and checked
# before anything is signed or recorded (two requests to one file, a missing directory); a file
# that still cannot be written after the commit (a full device) names the serial, and
# `anchor list --serial S --pem` gives the certificate back, as openssl reads it; an output to
# a device is written into it, not renamed over it; input files are read with a bound
# (`anchor sign /dev/zero` fails at once with one line, in bounded memory).
source "$(dirname "$0")/lib.sh"

anchor init --name files -q
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout a.key \
  -subj /CN=a.example.com -out a.csr 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout b.key \
  -subj /CN=b.example.com -out b.req 2>/dev/null
mkdir in && cp a.csr in/x.csr && cp b.req in/x.req

rows=$(row_count)
expect_fail "two requests that would write one file" anchor sign in/x.csr in/x.req --out-dir out
has -F "in/x.csr and in/x.req would both be written to out/x.crt" last.err || fail "not named"
expect_fail "an output in a directory that does not exist" anchor sign a.csr --out nowhere/a.crt
has "the directory nowhere does not exist" last.err || fail "the directory is not named"
expect_fail "an output that is a directory" anchor sign a.csr --out in
expect_fail "anchor issue into a directory that does not exist" anchor issue --cn c --profile client \
  --cert nowhere/c.crt --key c.key
[ ! -e c.key ] || fail "anchor issue wrote a key before it knew the certificate could be written"
expect_fail "anchor issue with --cert and --key one file" anchor issue --cn y.example --profile server \
  --cert s.pem --key ./s.pem
has "name the same file" last.err && [ ! -e s.pem ] || fail "one file for key and certificate"
[ "$(row_count)" = "$rows" ] && [ ! -e out ] || fail "something was signed or written"
pass "outputs are planned before signing: nothing signed, recorded or written"

# A batch with several bad requests names each of them, signs none and makes no directory.
mkdir two_bad && cp a.csr two_bad/good.csr
printf 'not a request' > two_bad/junk.csr
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj "/CN=bad id" -out two_bad/device.csr 2>/dev/null
expect_fail "a batch with a bad device id" anchor sign two_bad/good.csr two_bad/device.csr \
  --profile device --out-dir batch_out
rm two_bad/junk.csr
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj "/CN=also bad" -out two_bad/device2.csr 2>/dev/null
expect_fail "a batch with two bad device ids" anchor sign two_bad/*.csr --profile device \
  --out-dir batch_out
has "anchor: refused: two_bad/device.csr: " last.err && has "anchor: refused: two_bad/device2.csr: " last.err \
  && has "2 of 3 requests are refused; nothing was signed" last.err || { cat last.err; fail "not each named"; }
[ ! -e batch_out ] && [ "$(row_count)" = "$rows" ] || fail "a refused batch left a directory or rows"
pass "a batch names every refused request, signs none and makes no directory"

expect_fail "an output that fills up after the commit" anchor sign a.csr --profile server --out /dev/full
serial=$(sed -n 's/.*certificate \([0-9a-f]*\) (CN=a.example.com) is issued and recorded, but .*No space left on device.*/\1/p' last.err)
[ -n "$serial" ] || { cat last.err; fail "the error does not name the serial"; }
[ -c /dev/full ] || fail "/dev/full was replaced"
anchor list --serial "$serial" --pem > back.pem
openssl x509 -in back.pem -noout -subject | has "CN *= *a.example.com" || fail "anchor list --pem"
openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediate.crt" back.pem \
  >/dev/null || fail "the certificate given back does not verify"
[ "$(openssl x509 -in back.pem -noout -serial | cut -d= -f2 | tr A-F a-f)" = "$serial" ] || fail "serial"
pass "a certificate that could not be written is named by its serial and given back by anchor list"

anchor sign b.req --profile server --out /dev/stdout -q 2>/dev/null | openssl x509 -noout -subject \
  | has "b.example.com" || fail "--out /dev/stdout"
[ -L /dev/stdout ] || [ -e /dev/stdout ] || fail "/dev/stdout is gone"
pass "an output to a device is written into it"

expect_fail "anchor sign /dev/zero" /usr/bin/time -f '%M' -o rss.txt "$ANCHOR" sign /dev/zero --out z.crt
has -F "/dev/zero is larger than 1 MiB" last.err || fail "no bound named"
[ "$(grep -c . last.err)" = 1 ] || fail "not one line"
# Far below what an unbounded read reaches (it grew to 2 GB and more); sanitizers inflate RSS.
[ "$(tail -1 rss.txt)" -lt 524288 ] || fail "read /dev/zero into $(tail -1 rss.txt) KiB"
head -c 1500000 /dev/urandom > big.csr
expect_fail "a 1.5 MB request file" anchor sign big.csr --out big.crt
expect_fail "anchor inspect /dev/zero" anchor inspect /dev/zero
has "larger than 64 MiB" last.err || fail "inspect has no bound"
expect_fail "anchor sign - with an endless standard input" bash -c "\"$ANCHOR\" sign - --out s.crt < /dev/zero"
has "standard input is larger than 1 MiB" last.err || fail "stdin has no bound"
pass "inputs are read with a bound, in bounded memory"

# A device's key, certificate and roots are three files: two on one path (or one file holding
# key and certificate, as HAProxy keeps them) are refused before the CA is asked, so no token is
# used, no certificate recorded and no key lost.
start_anchor_serve
token=$(anchor token create --cn dev-f -q)
rows=$(row_count)
expect_fail "anchor enroll with --key and --cert one file" anchor enroll --server "$BASE" \
  --ca-cert "$ANCHOR_HOME/root.crt" --token "$token" --cn dev-f --key same.pem --cert same.pem
has "name the same file" last.err || fail "not named"
expect_fail "anchor enroll with --ca-out the key file" anchor enroll --server "$BASE" \
  --ca-cert "$ANCHOR_HOME/root.crt" --token "$token" --cn dev-f --key k.pem --cert c.pem --ca-out k.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>/dev/null
ln -s k.pem link.pem
expect_fail "anchor enroll with --cert a link to the key" anchor enroll --server "$BASE" \
  --ca-cert "$ANCHOR_HOME/root.crt" --token "$token" --cn dev-f --key k.pem --cert link.pem
[ "$(row_count)" = "$rows" ] && [ ! -e same.pem ] && [ ! -e c.pem ] && [ -L link.pem ] \
  && openssl pkey -in k.pem -noout 2>/dev/null || fail "something was recorded, written or lost"
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --token "$token" --cn dev-f \
  --key dev-f.key --cert dev-f.crt -q || fail "the token was used up by the refusals"
cat dev-f.key dev-f.crt > combo.pem
expect_fail "anchor renew of a combined key and certificate file" anchor renew --server "$BASE" \
  --ca-cert "$ANCHOR_HOME/root.crt" --cert combo.pem --key combo.pem
openssl pkey -in combo.pem -noout 2>/dev/null || fail "the combined file lost its key"
expect_fail "anchor-agent with --key and --cert one file" "$ANCHOR_AGENT" run --once --server "$BASE" \
  --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-f --key combo.pem --cert combo.pem
openssl pkey -in combo.pem -noout 2>/dev/null || fail "the agent destroyed the combined file"
pass "key, certificate and roots in one file are refused before the CA is asked; nothing lost"

