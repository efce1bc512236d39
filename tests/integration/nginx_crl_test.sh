#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# nginx (Debian's) with ssl_verify_client on and ssl_crl from `anchor serve`'s GET /crl: a client
# certificate revoked through the admin API is refused, a valid one gets in, no certificate is
# refused. nginx checks every level (CRL_CHECK_ALL), so the root's CRL (`anchor crl --root`)
# goes beside the intermediate's.
source "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || fail "nginx is not installed (Debian package nginx-light)"

anchor init --name edge -q
anchor issue --cn localhost --profile server --cert srv.crt --key srv.key -q
anchor issue --cn good-device --profile client --cert good.crt --key good.key -q
anchor issue --cn lost-device --profile client --cert lost.crt --key lost.key -q
start_anchor_serve
anchor revoke --server "$BASE" --cert lost.crt --reason keyCompromise -q

"${CURL[@]}" "$BASE/crl" -o served.crl
openssl crl -inform DER -in served.crl -out crl.pem
anchor crl --root --pem >> crl.pem

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
source "$TESTS_DIR/nginx_mtls.sh"
write_nginx_mtls_conf "$WORK/nginx" "$NGINX_PORT" "$WORK/srv.crt" "$WORK/srv.key" \
  "$ANCHOR_HOME/root.crt" "ssl_crl $WORK/crl.pem;" \
  'location / { return 200 "hello $ssl_client_s_dn\n"; }'
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>nginx/stderr &
PIDS+=($!)
NCURL=(curl -sS --max-time 5 --resolve "localhost:$NGINX_PORT:127.0.0.1" --cacert "$ANCHOR_HOME/root.crt")
for _ in $(seq 1 50); do
  "${NCURL[@]}" -o /dev/null "https://localhost:$NGINX_PORT/" 2>/dev/null && break
  sleep 0.1
done

"${NCURL[@]}" --cert good.crt --key good.key "https://localhost:$NGINX_PORT/" > good.out \
  || { cat nginx/logs/error.log nginx/stderr; fail "nginx refused the valid certificate"; }
grep -q "hello CN=good-device" good.out || fail "unexpected answer: $(cat good.out)"
pass "nginx ssl_verify_client + ssl_crl: the valid client certificate gets in"

status=$("${NCURL[@]}" -o lost.out -w '%{http_code}' --cert lost.crt --key lost.key \
  "https://localhost:$NGINX_PORT/" || true)
[ "$status" = 400 ] || fail "nginx let the revoked certificate in (status $status)"
grep -q "certificate revoked" nginx/logs/error.log || fail "nginx should log the revocation"
status=$("${NCURL[@]}" -o none.out -w '%{http_code}' "https://localhost:$NGINX_PORT/" || true)
[ "$status" = 400 ] || fail "nginx let a client without certificate in (status $status)"
pass "nginx refuses the certificate revoked through anchor (\"certificate revoked\"), and no certificate"

stop_anchor_serve
