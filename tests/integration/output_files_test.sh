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
