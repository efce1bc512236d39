#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor serve reads what the RFCs allow and refuses what they do not, against curl, openssl and
# raw requests from Python's ssl: media types by the RFC 9110 grammar (EST, OCSP, admin JSON),
# auth schemes in any case, base64 bodies wrapped with CRLF, header names in any case,
# Connection tokens, HEAD, absolute-form targets, Expect: 100-continue, OCSP GET in every
# URL-encoding, percent-encoded query names; and, with a one-line answer and a closed
# connection, every framing RFC 9112 forbids (h06's kind: Transfer-Encoding not ending in
# chunked, TE with Content-Length, HTTP/1.0 with TE), a missing or doubled Host, and heads too
# large (431) or too long (414). Each refusal is one line in the server's log.
source "$(dirname "$0")/lib.sh"

anchor init --name tolerance -q
start_anchor_serve --threads 2
ROOT="$ANCHOR_HOME/root.crt"

# --- EST: Content-Type, auth scheme and body encoding ------------------------------------------
n=0
enroll() {  # enroll CONTENT-TYPE AUTH-SCHEME [wrap]: prints the status of a fresh enrollment
  n=$((n + 1))
  local cn="dev-$n" tok
  tok=$(anchor token create --cn "$cn" -q)
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "k$n.key" \
    -subj "/CN=$cn" -outform DER -out "r$n.der" 2>/dev/null
  if [ "${3:-}" = wrap ]; then  # RFC 2045: lines of 76 characters, CRLF
    base64 -w 76 "r$n.der" | sed 's/$/\r/' > "r$n.b64"
  else
    base64 -w 0 "r$n.der" > "r$n.b64"
  fi
  local auth="$2 $tok"
  [ "$2" = basic ] && auth="bAsIc $(printf 'device:%s' "$tok" | base64 -w 0)"
  http_status -H "Authorization: $auth" -H "Content-Type: $1" --data-binary @"r$n.b64" \
    "$BASE/.well-known/est/simpleenroll"
}
for type in "application/pkcs10" "Application/PKCS10" "application/pkcs10 ; charset=us-ascii" \
            "application/pkcs10;charset=\"us-ascii\"" "application/pkcs10;"; do
  [ "$(enroll "$type" Bearer)" = 200 ] || fail "Content-Type '$type': $(cat http.out)"
done
pass "simpleenroll takes the media type in any case, with OWS and quoted parameters"
for type in "application/pkcs10x" "application / pkcs10" "application/pkcs10; charset" "text/plain"; do
  [ "$(enroll "$type" Bearer)" = 415 ] || fail "Content-Type '$type' should be 415"
done
pass "simpleenroll refuses other media types and malformed ones (415)"
for scheme in bearer BEARER basic; do
  [ "$(enroll application/pkcs10 "$scheme")" = 200 ] || fail "auth scheme '$scheme': $(cat http.out)"
done
[ "$(enroll application/pkcs10 Token)" = 401 ] || fail "an unknown auth scheme should be 401"
pass "auth schemes in any case (RFC 9110 11.1); another scheme is 401"
[ "$(enroll application/pkcs10 Bearer wrap)" = 200 ] || fail "a CRLF-wrapped base64 body: $(cat http.out)"
printf '*' >> "r$n.b64"
[ "$(http_status -H "Authorization: Bearer $(anchor token create --cn dev-x -q)" \
      -H "Content-Type: application/pkcs10" --data-binary @"r$n.b64" \
      "$BASE/.well-known/est/simpleenroll")" = 400 ] || fail "a body with a stray '*' should be 400"
pass "a base64 body wrapped at 76 characters with CRLF is read; one with a stray character is 400"

# --- OCSP: POST media type, POST to /ocsp/, GET in every URL-encoding ---------------------------
cat "$ROOT" "$ANCHOR_HOME/intermediate.crt" > trust.pem
ocsp_ok() {  # ocsp_ok RESPONSE.der: openssl verifies the answer to req.der and reads "good"
  openssl ocsp -reqin req.der -respin "$1" -CAfile trust.pem -resp_text > ocsp.out 2>&1 \
    && has "Response verify OK" < ocsp.out && has "Cert Status: good" < ocsp.out
}
# A request whose base64 holds '+' or '/' (serials are random), so that escaping matters.
for i in $(seq 1 40); do
  anchor issue --cn "ocsp-$i" --profile client --cert "ocsp-$i.crt" --key "ocsp-$i.key" -q
  openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert "ocsp-$i.crt" -no_nonce \
    -reqout req.der > /dev/null 2>&1
  b64=$(base64 -w 0 req.der)
  case "$b64" in *[+/]*) break ;; esac
done
for type in "application/ocsp-request" "Application/OCSP-Request" "application/ocsp-request ; x=1"; do
  for path in /ocsp /ocsp/; do
    "${CURL[@]}" -o resp.der -H "Content-Type: $type" --data-binary @req.der "$BASE$path"
    ocsp_ok resp.der || fail "OCSP POST $path with '$type'"
  done
done
upper=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$b64")
lower=$(python3 -c 'import re,sys; print(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), sys.argv[1]))' "$upper")
for tail in "$b64" "$upper" "$lower" "/$upper"; do
  "${CURL[@]}" --path-as-is -o resp.der "$BASE/ocsp/$tail"
  ocsp_ok resp.der || fail "OCSP GET /ocsp/$tail"
done
[ "$(http_status "$BASE/ocsp/%zz$upper")" = 400 ] || fail "a malformed escape should be 400"
pass "OCSP: POST with the media type in any spelling, to /ocsp and /ocsp/; GET with '+/=' raw or escaped in either case, or after '//' (openssl reads each answer)"

# --- admin API: JSON media type, percent-encoded query names ------------------------------------
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
for type in "application/json" "Application/JSON; charset=UTF-8" "application/json ; charset=\"utf-8\""; do
  [ "$(http_status "${ADMIN[@]}" -H "Content-Type: $type" -d '{"cn": "json-dev"}' \
       "$BASE/api/v1/tokens")" = 201 ] || fail "admin JSON with '$type': $(cat http.out)"
done
[ "$(http_status "${ADMIN[@]}" -H "Content-Type: application/jsonp" -d '{"cn": "json-dev"}' \
     "$BASE/api/v1/tokens")" = 400 ] || fail "application/jsonp is not JSON"
[ "$(http_status "${ADMIN[@]}" "$BASE/api/v1/certificates?%70rofile=client&li%6Dit=1")" = 200 ] \
  && python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["certificates"]; sys.exit(0 if len(c)==1 and c[0]["profile"]=="client" else 1)' http.out \
  || fail "percent-encoded query parameter names: $(cat http.out)"
pass "admin API: application/json in any spelling (not application/jsonp); percent-encoded query names"

# --- raw HTTP/1.1 from Python: header names, Connection, HEAD, absolute-form, 100-continue, ----
# --- framing, Host, sizes ----------------------------------------------------------------------
token=$(anchor token create --cn raw-1 -q)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout raw.key -subj /CN=raw-1 \
  -outform DER 2>/dev/null | base64 -w 0 > raw.b64
python3 - "$PORT" "$ROOT" "$token" raw.b64 req.der <<'PY' || fail "raw HTTP checks"
import re, socket, ssl, sys
port, ca, token, csr_file, ocsp_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
csr = open(csr_file, "rb").read()
ocsp = open(ocsp_file, "rb").read()
ctx = ssl.create_default_context(cafile=ca)

def connect():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                        server_hostname="localhost")
    return s

def read_response(s):
    """One response: (status, headers dict lower-cased, body); None when the server closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest

def read_all(s):
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data

def answers(data):
    """How many status lines `data` holds."""
    return len(re.findall(rb"(?:^|\n)HTTP/1\.[01] \d{3} ", data))

def closed(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True

def check(what, ok, got=None):
    if not ok:
        print("FAIL: %s (got %r)" % (what, got), file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)

def exchange(raw):
    s = connect()
    s.sendall(raw)
    return s, read_response(s)

# Header names in any case; the token in a lower-case Authorization.
s, r = exchange(b"POST /.well-known/est/simpleenroll HTTP/1.1\r\nhOsT: x\r\nCONTENT-TYPE: application/PKCS10\r\n"
                b"authorization: BEARER " + token.encode() + b"\r\ncontent-LENGTH: " +
                str(len(csr)).encode() + b"\r\n\r\n" + csr)
check("header names in any case (an enrollment with lower/upper-case names)", r and r[0] == 200)

# Connection tokens: close in any case, among others, closes after the answer; keep-alive keeps.
s, r = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n")
check("'Connection: Keep-Alive, CLOSE' closes after the answer", r and r[0] == 200 and closed(s))
s, r = exchange(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
r2 = read_response(s)
check("HTTP/1.0 without Host, kept alive by 'Connection: keep-alive'", r and r[0] == 200 and r2 and r2[0] == 200)

# HEAD: the headers of GET and no content; the connection stays usable.
s, r = exchange(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
r2 = read_response(s)
check("HEAD /healthz: 200, Content-Length 3, no body; the next request on the connection works",
      r and r[0] == 200 and r[1].get("content-length") == "3" and r[2] == b"" and r2 and r2[2] == b"ok\n")

# Absolute-form target (RFC 9112 3.2.2: a server MUST accept it).
s, r = exchange(b"GET https://localhost:%d/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" % port)
check("absolute-form target", r and r[0] == 200)

# Expect: 100-continue: the 100 comes before the body is sent.
s = connect()
s.sendall(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
          b"Expect: 100-continue\r\nContent-Length: " + str(len(ocsp)).encode() + b"\r\n\r\n")
r = read_response(s)
s.sendall(ocsp)
r2 = read_response(s)
check("Expect: 100-continue answered with 100 before the body, then 200", r and r[0] == 100 and r2 and r2[0] == 200)

# Chunked in any case is read.
chunked = b"%x\r\n" % len(ocsp) + ocsp + b"\r\n0\r\n\r\n"
s, r = exchange(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
                b"Transfer-Encoding: Chunked\r\n\r\n" + chunked)
check("'Transfer-Encoding: Chunked' is read", r and r[0] == 200)

# Framings RFC 9112 forbids: one answer, then the connection is closed; the request smuggled
# behind it is never answered.
smuggled = b"GET /api/v1/revocations?since=0 HTTP/1.1\r\nHost: x\r\n\r\n"
post = b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: application/ocsp-request\r\n"
for name, head, body, status in [
        ("TE gzip", b"Transfer-Encoding: gzip\r\n", smuggled, 400),
        ("TE xchunked + CL", b"Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + smuggled, 400),
        ("TE chunked, gzip", b"Transfer-Encoding: chunked, gzip\r\n", b"0\r\n\r\n" + smuggled, 400),
        ("TE chunked twice", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + smuggled, 400),
        ("TE gzip, chunked", b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n" + smuggled, 501),
        ("TE chunked + CL", b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + smuggled, 400)]:
    s = connect()
    s.sendall(post + head + b"\r\n" + body)
    data = read_all(s)
    check("%s: %d, one answer, closed, nothing smuggled" % (name, status),
          data.startswith(b"HTTP/1.1 %d" % status) and answers(data) == 1 and b"cursor" not in data)
s = connect()
s.sendall(b"POST /ocsp HTTP/1.0\r\nContent-Type: application/ocsp-request\r\nTransfer-Encoding: chunked\r\n"
          b"Content-Length: 5\r\n\r\n0\r\n\r\n" + smuggled)
data = read_all(s)
check("HTTP/1.0 with Transfer-Encoding: 400 and closed", data.startswith(b"HTTP/1.1 400") and answers(data) == 1)

# Host: HTTP/1.1 needs exactly one.
for name, raw in [("no Host", b"GET /healthz HTTP/1.1\r\n\r\n"),
                  ("two Host lines", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]:
    s = connect()
    s.sendall(raw)
    data = read_all(s)
    check("%s: 400 and closed" % name, data.startswith(b"HTTP/1.1 400") and answers(data) == 1,
          data[:200])

# Two Content-Type lines are combined, not one silently taken: the result is no media type.
s, r = exchange(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Type: application/ocsp-request\r\n"
                b"Content-Length: " + str(len(ocsp)).encode() + b"\r\n\r\n" + ocsp)
check("two Content-Type lines: 415", r and r[0] == 415)

# Sizes: a long target is 414, long header fields 431, each with a body and Connection: close.
for name, raw, status in [
        ("a 9000-byte target", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("a 20 KB request line", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("a 20 KB header field", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431),
        ("5,000 header fields", b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 5000 + b"\r\n", 431)]:
    s = connect()
    s.sendall(raw)
    data = read_all(s)
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    check("%s: %d with a reason and 'connection: close'" % (name, status),
          data.startswith(b"HTTP/1.1 %d" % status) and b"connection: close" in head and
          len(data.split(b"\r\n\r\n", 1)[1]) > 0)

# A malformed request line is 400, not a silent close.
s = connect()
s.sendall(b"GET\x01/ HTTP/1.1\r\nHost: x\r\n\r\n")
check("a malformed request line: 400", read_all(s).startswith(b"HTTP/1.1 400"))
PY
pass "raw requests: header names, Connection tokens, HEAD, absolute-form, 100-continue, forbidden framings, Host, sizes"

[ "$(http_status "$BASE/api/v1/revocations?%73ince=0")" = 200 ] && has '"cursor"' < http.out \
  || fail "the feed with a percent-encoded parameter name"
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "the server stopped serving"
# One log line per refusal, with the client's address and the reason.
has 'remote=127.0.0.1 .*method=POST path=/ocsp .*status=400 .*error="Transfer-Encoding must end in chunked' < serve.log \
  || { cat serve.log; fail "no log line for a refused framing"; }
has 'method=POST path=/ocsp .*status=501 .*error="the transfer coding' < serve.log || fail "no log line for 501"
has 'status=431 .*error="the request header fields are larger than 16 KiB' < serve.log || fail "no log line for 431"
pass "each refusal is one line in the server's log; the server keeps serving"
stop_anchor_serve
