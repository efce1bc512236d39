# SPDX-License-Identifier: Apache-2.0
# Sourced by tests and benchmarks that run Debian's nginx as an mTLS peer.

# write_nginx_mtls_conf DIR PORT SERVER_CERT SERVER_KEY CLIENT_CA DIRECTIVE...: writes
# DIR/nginx.conf for one unprivileged, single-process nginx (no daemon, everything under DIR) on
# 127.0.0.1:PORT with TLS 1.3 and `ssl_verify_client on`; each DIRECTIVE is one more line of the
# server block (a location, ssl_crl, ...). Errors go to DIR/logs/error.log, at $NGINX_LOG_LEVEL
# (default info, which names the reason for a refused client certificate).
write_nginx_mtls_conf() {
  local dir=$1 port=$2 cert=$3 key=$4 ca=$5
  shift 5
  mkdir -p "$dir/logs" "$dir/tmp"
  {
    cat <<CONF
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log ${NGINX_LOG_LEVEL:-info};
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_client_certificate $ca;
    ssl_verify_client on;
    ssl_verify_depth 2;
CONF
    printf '    %s\n' "$@"
    printf '  }\n}\n'
  } > "$dir/nginx.conf"
}
