#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --json on the commands that print data gives one JSON document on stdout, in the shape the
# README documents (parsed here by Python's json module, not by anchor): an object, or an array
# for a list; times ISO 8601 UTC; serials and SHA-256 lower-case hex; on failure
# {"error": {"code", "message"}} and a non-zero exit.
source "$TESTS_DIR/lib.sh"

# check_json FILE PYTHON-EXPRESSION: FILE is one JSON document `d` for which the expression holds.
check_json() {
  /usr/bin/python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
iso = lambda s: re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", s) is not None
hexs = lambda s: re.fullmatch(r"[0-9a-f]+", s) is not None
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" || { cat "$1"; fail "$1: not ($2)"; }
}

anchor init --name jsonca --json </dev/null > init.json 2>/dev/null
check_json init.json 'd["keys_encrypted"] is False and len(d["sha256"]) == 64 and hexs(d["sha256"]) and d["root_fingerprint"].replace(":", "").lower() == d["sha256"]'
pass "init --json"

anchor token create --cn json-1 --ttl 1h30m --json > token.json 2>/dev/null
check_json token.json 'd["token"].startswith("anc_") and d["common_name"] == "json-1" and iso(d["expires_at"])'
anchor issue --cn json-2 --profile client --cert c.crt --key c.key -q 2>/dev/null
anchor inspect c.crt --json > inspect.json
check_json inspect.json 'isinstance(d, list) and len(d) == 2 and hexs(d[0]["serial"]) and hexs(d[0]["sha256"]) and iso(d[0]["not_after"])'
anchor list --json > list.json
check_json list.json 'isinstance(d, list) and any(r["subject"].endswith("json-2") or "json-2" in json.dumps(r) for r in d)'
anchor verify c.crt --json > verify.json
check_json verify.json 'd["valid"] is True and len(d["chain"]) >= 2'
anchor lint c.crt --json > lint.json
check_json lint.json 'isinstance(d, list) and "findings" in d[0]'
anchor audit verify --json > audit.json
check_json audit.json 'd["intact"] is True and d["entries"] >= 1 and hexs(d["head"])'
anchor audit list --json > audit_list.json
check_json audit_list.json 'isinstance(d, list) and all(iso(e["time"]) for e in d)'
anchor backup --out b.backup --json > backup.json 2>/dev/null
check_json backup.json 'd["file"] == "b.backup" and d["bytes"] > 0 and d["manifest"]["certificates"] >= 2 and iso(d["manifest"]["created_at"]) and hexs(d["manifest"]["content_digest"]) and d["manifest"]["with_keys"] is False'
anchor --home "$WORK/restored" restore b.backup --json > restore.json 2>/dev/null
check_json restore.json 'd["home"].endswith("/restored") and d["files"] >= 3 and d["keys"] == 0 and "intermediate.key" in d["manifest"]["keys_left_out"]'
anchor ca rotate --json > rotate.json 2>/dev/null
check_json rotate.json 'd["generation"] == 2 and d["retired"] == 1 and hexs(d["serial"]) and iso(d["not_after"])'
pass "token create, inspect, list, verify, lint, audit verify, audit list, backup, restore, ca rotate: --json parses, in shape"

rc=0
# A lifetime beyond a token's bound is refused by the CA (exit 1); an unreadable one ("forever")
# is a usage error at parsing (exit 2, cli_usage_test), before any command runs.
anchor token create --cn json-3 --ttl 367d --json > err.json 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "a refused command with --json exited $rc"
check_json err.json 'd["error"]["code"] == "invalid_argument" and "367d" in d["error"]["message"]'
pass "a failure with --json is {error: {code, message}} on stdout, exit 1"

# A failure that is a finding still gives one document: the report goes inside the error.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout v1.key -subj /CN=v1 \
  -out v1.csr 2>/dev/null
openssl x509 -req -in v1.csr -signkey v1.key -days 1 -out v1.crt 2>/dev/null
rc=0
anchor lint v1.crt --json > lint_err.json 2>/dev/null || rc=$?
[ $rc = 1 ] || fail "lint of a certificate with errors exited $rc"
check_json lint_err.json 'd["error"]["code"] == "invalid_argument" and any(f["severity"] == "error" for r in d["error"]["detail"] for f in r["findings"])'
/usr/bin/python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE audit_log SET detail = detail || \" edited\" WHERE seq = 1")
db.commit()' "$ANCHOR_HOME/anchor.db"
rc=0
anchor audit verify --json > audit_err.json 2>/dev/null || rc=$?
[ $rc != 0 ] || fail "audit verify of an edited log exited 0"
check_json audit_err.json 'd["error"]["code"] == "failed_precondition" and d["error"]["detail"]["intact"] is False and d["error"]["detail"]["findings"][0]["seq"] == 1'
pass "lint with errors and audit verify of an edited log: one document, the report as error.detail"
