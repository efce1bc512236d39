#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor-agent against an EST server (Python's http.server + ssl, not anchor serve) whose cacerts
# holds the root but not the intermediate that issued the new certificate: the agent must not
# install a chain that peers cannot verify. It fails with one line, writes no key and no
# certificate, and counts it as worth a later retry (exit 75). With the intermediate in cacerts
# the same server enrolls it, and openssl verifies what it wrote.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"

anchor init --name estpeer -q
anchor issue --cn localhost --profile server --cert est.crt --key est.key -q
openssl crl2pkcs7 -nocrl -certfile "$ANCHOR_HOME/root.crt" -outform DER -out root-only.p7
cat "$ANCHOR_HOME/intermediate.crt" "$ANCHOR_HOME/root.crt" > both.pem
openssl crl2pkcs7 -nocrl -certfile both.pem -outform DER -out both.p7

cat > est.py <<'PY'
import base64, http.server, os, ssl, subprocess, sys
work, anchor, cacerts = sys.argv[1], sys.argv[2], sys.argv[3]
class Est(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/pkcs7-mime; smime-type=certs-only")
        self.send_header("Content-Transfer-Encoding", "base64")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):  # /.well-known/est/cacerts
        self.answer(base64.encodebytes(open(os.path.join(work, open(cacerts).read().strip()), "rb").read()))
    def do_POST(self):  # simpleenroll: the CSR signed by `anchor sign`, as certs-only PKCS#7
        csr = base64.b64decode(self.rfile.read(int(self.headers["Content-Length"])))
        open(os.path.join(work, "req.der"), "wb").write(csr)
        subprocess.run(["openssl", "req", "-inform", "DER", "-in", "req.der", "-out", "req.csr"],
                       cwd=work, check=True)
        subprocess.run([anchor, "sign", "req.csr", "--profile", "device", "--out", "leaf.pem", "-q"],
                       cwd=work, check=True)
        subprocess.run(["openssl", "crl2pkcs7", "-nocrl", "-certfile", "leaf.pem", "-outform",
                        "DER", "-out", "leaf.p7"], cwd=work, check=True)
        self.answer(base64.encodebytes(open(os.path.join(work, "leaf.p7"), "rb").read()))
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Est)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(os.path.join(work, "est.crt"), os.path.join(work, "est.key"))
server.socket = tls.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
echo root-only.p7 > cacerts.choice
/usr/bin/python3 est.py "$WORK" "$ANCHOR" "$WORK/cacerts.choice" > est.port 2> est.log &
EST_PID=$!
PIDS+=($EST_PID)
for _ in $(seq 1 50); do [ -s est.port ] && break; sleep 0.1; done
EST="https://localhost:$(cat est.port)"
[ "$EST" != "https://localhost:" ] || { cat est.log; fail "the Python EST server did not start"; }
anchor token create --cn dev-7 -q > token.txt  # the Python server does not check it

rc=0
"$ANCHOR_AGENT" run --once --server "$EST" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-7 \
  --token-file token.txt --key dev.key --cert dev.crt 2> agent.log || rc=$?
[ $rc = 75 ] || { cat agent.log est.log; fail "cacerts without the issuer: agent exited $rc, not 75"; }
has "holds no intermediate that issued the new certificate" agent.log || { cat agent.log; fail "no clear line"; }
[ ! -e dev.crt ] && [ ! -e dev.key ] || fail "a certificate or key was written"
pass "cacerts without the issuing intermediate: one line, exit 75, no key or certificate written"

echo both.p7 > cacerts.choice
"$ANCHOR_AGENT" run --once --server "$EST" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-7 \
  --token-file token.txt --key dev.key --cert dev.crt --ca-out ca.pem 2> agent.log \
  || { cat agent.log est.log; fail "enrollment with the intermediate in cacerts"; }
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem -untrusted dev.crt dev.crt >/dev/null \
  || fail "openssl does not verify the chain the agent wrote"
pass "with the intermediate in cacerts the agent enrolls, and openssl verifies its chain"
