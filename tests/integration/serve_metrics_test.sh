#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# /metrics without the admin certificate: `anchor serve --metrics-listen` serves it over plain
# HTTP and nothing else there; the exposition parses with the Prometheus client's own parser
# (python3-prometheus-client) and passes `promtool check metrics`; the CA certificates' seconds
# to notAfter match what openssl reads from the files; certificates by status are counted from
# the store at scrape time, so an offline `anchor sign` and `anchor revoke` show; per-route
# counters and latency histograms count requests; the sample alert rules pass `promtool check
# rules` and `promtool test rules`. [server] metrics_listen does the same as the flag.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || { echo "SKIP: promtool (Debian package prometheus) is missing"; exit 77; }
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null \
  || { echo "SKIP: python3-prometheus-client is missing"; exit 77; }

anchor init --name metrics -q
anchor ocsp signer > /dev/null  # a delegated OCSP signer: its expiry is a gauge too
start_anchor_serve --metrics-listen 127.0.0.1:0
MPORT=$(sed -n 's/.*metrics on http:\/\/127.0.0.1:\([0-9]*\)\/metrics.*/\1/p' serve.log)
[ -n "$MPORT" ] || { cat serve.log; fail "no metrics listener"; }
MURL="http://127.0.0.1:$MPORT"
"${CURL[@]}" -o /dev/null "$BASE/healthz"
"${CURL[@]}" -o /dev/null "$BASE/no/such" || true

scrape() { curl -sS --max-time 10 -o "$1" -w '%{http_code}' "$MURL/metrics"; }
[ "$(scrape m1.txt)" = 200 ] || fail "scrape without a certificate"
promtool check metrics < m1.txt > promtool.out 2>&1 || { cat promtool.out; fail "promtool check metrics"; }
pass "promtool check metrics: $(wc -l < m1.txt) lines, no problem"

# check_metrics FILE VALID REVOKED: parsed with prometheus_client's parser, compared with openssl.
check_metrics() {
  /usr/bin/python3 - "$1" "$2" "$3" "$ANCHOR_HOME" <<'PY'
import subprocess, sys, time
from datetime import datetime, timezone
from prometheus_client.parser import text_string_to_metric_families
path, valid, revoked, home = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
fam = {f.name: f for f in text_string_to_metric_families(open(path).read())}
for name in ["anchor_certificate_expiry_seconds", "anchor_certificates", "anchor_build_info",
             "anchor_http_requests", "anchor_http_request_duration_seconds",
             "anchor_revocation_feed_last_read_timestamp_seconds", "anchor_revocation_sequence",
             "anchor_certificates_issued", "anchor_open_connections"]:
    assert name in fam, f"{name} missing: {sorted(fam)}"
assert fam["anchor_http_requests"].type == "counter"
assert fam["anchor_http_request_duration_seconds"].type == "histogram"
expiry = {s.labels["role"]: s for s in fam["anchor_certificate_expiry_seconds"].samples}
assert set(expiry) == {"root", "intermediate", "server", "ocsp"}, expiry
files = {"root": "root.crt", "intermediate": "intermediate.crt", "server": "server.crt", "ocsp": "ocsp.crt"}
for role, f in files.items():
    out = subprocess.run(["openssl", "x509", "-in", f"{home}/{f}", "-noout", "-enddate", "-serial"],
                         capture_output=True, text=True, check=True).stdout
    end = out.split("notAfter=")[1].split("\n")[0]
    not_after = datetime.strptime(end, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=timezone.utc)
    want = not_after.timestamp() - time.time()
    got = expiry[role].value
    assert abs(got - want) < 120, (role, got, want)
    serial = out.split("serial=")[1].strip().lower()
    assert expiry[role].labels["serial"] == serial, (role, expiry[role].labels, serial)
status = {s.labels["status"]: s.value for s in fam["anchor_certificates"].samples}
assert status == {"valid": valid, "revoked": revoked, "expired": 0}, status
routes = {(s.labels["route"], s.labels["status_class"]): s.value
          for s in fam["anchor_http_requests"].samples if s.name == "anchor_http_requests_total"}
assert routes.get(("/healthz", "2xx"), 0) >= 1 and routes.get(("other", "4xx"), 0) >= 1, routes
counts = [s for s in fam["anchor_http_request_duration_seconds"].samples
          if s.name.endswith("_count") and s.labels["route"] == "/healthz"]
assert counts and counts[0].value >= 1, counts
info = fam["anchor_build_info"].samples[0]
assert info.value == 1 and info.labels["version"], info
print(f"ok: {len(fam)} families parse; expiry of {sorted(expiry)} within 2 min of openssl's "
      f"notAfter; certificates {status}; routes {sorted(routes)}")
PY
}
# init issued the server and admin certificates; `anchor ocsp signer` one more.
check_metrics m1.txt 3 0 || fail "metrics content"

# Offline issuance and revocation, while serve runs: the next scrape counts them.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dev.key \
  -subj "/CN=offline-device" -out dev.csr 2>/dev/null
anchor sign dev.csr --profile client --out dev.crt -q
anchor revoke --cert dev.crt -q
[ "$(scrape m2.txt)" = 200 ] || fail "second scrape"
check_metrics m2.txt 3 1 || fail "offline sign and revoke do not show"
pass "offline anchor sign and anchor revoke show at the next scrape"

# The metrics listener serves /metrics alone.
for path in /healthz /api/v1/certificates /.well-known/est/cacerts /crl /ocsp /hello; do
  code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$MURL$path")
  [ "$code" = 404 ] || fail "$path on the metrics listener: $code"
done
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST -d x "$MURL/metrics")
[ "$code" = 404 ] || fail "POST /metrics on the metrics listener: $code"
pass "the metrics listener answers 404 to everything but GET /metrics"
# Those 404s are counted (and logged) under a route of their own: the main listener's routes count
# only its requests (one GET /healthz, answered 200, before).
[ "$(scrape m3.txt)" = 200 ] || fail "scrape after the 404s"
/usr/bin/python3 - m3.txt serve.log <<'PY' || fail "requests to the metrics listener mixed into the main routes"
import sys
from prometheus_client.parser import text_string_to_metric_families
fam = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
routes = {(s.labels["route"], s.labels["status_class"]): s.value
          for s in fam["anchor_http_requests"].samples if s.name == "anchor_http_requests_total"}
assert routes.get(("/healthz", "4xx"), 0) == 0, routes
assert routes.get(("/healthz", "2xx"), 0) == 1, routes
assert routes.get(("metrics_listener", "4xx"), 0) == 7, routes  # six paths and the POST
assert routes.get(("metrics_listener", "2xx"), 0) >= 2, routes  # the scrapes before this one
logged = [l for l in open(sys.argv[2]) if " request " in l and "route=metrics_listener" in l]
assert any("path=/healthz" in l and "status=404" in l for l in logged), logged
print(f"ok: metrics listener: {routes[('metrics_listener', '4xx')]:.0f} 404s and "
      f"{routes[('metrics_listener', '2xx')]:.0f} scrapes under route=metrics_listener")
PY
# Over TLS, /metrics still needs the admin certificate.
[ "$(http_status "$BASE/metrics")" = 401 ] || fail "TLS /metrics without a certificate"
stop_anchor_serve

# The [server] key does what the flag does.
sed -i 's/^idle_timeout_seconds = .*/&\nmetrics_listen = "127.0.0.1:0"/' "$ANCHOR_HOME/anchor.toml"
grep -q '^metrics_listen = "127.0.0.1:0"' "$ANCHOR_HOME/anchor.toml" || fail "anchor.toml has no metrics_listen line"
start_anchor_serve
has "metrics on http://127.0.0.1:" serve.log || fail "[server] metrics_listen is not used"
stop_anchor_serve
pass "[server] metrics_listen opens the metrics listener"

promtool check rules "$TESTS_DIR/../../docs/prometheus/anchor-alerts.yml" > rules.out 2>&1 \
  || { cat rules.out; fail "promtool check rules"; }
(cd "$TESTS_DIR/prometheus" && promtool test rules anchor-alerts.test.yml) > rules-test.out 2>&1 \
  || { cat rules-test.out; fail "promtool test rules"; }
pass "docs/prometheus/anchor-alerts.yml: promtool check rules and test rules pass"
