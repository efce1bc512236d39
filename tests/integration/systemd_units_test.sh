#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The systemd units pass `systemd-analyze verify` with no complaint at all (a bad value is only a
# warning there, so any output fails this test), with their /usr/bin paths pointed at this build
# (verify refuses an ExecStart that does not exist); and their sandbox rates "OK" or better in
# `systemd-analyze security --offline`. Each hardening setting the issue asks for is present.
source "$TESTS_DIR/lib.sh"
: "${ANCHOR_AGENT:?}"
command -v systemd-analyze >/dev/null || { echo "skip: no systemd-analyze"; exit 77; }
UNITS="$TESTS_DIR/../../packaging/systemd"

for unit in anchor.service anchor-agent.service; do
  sed -e "s|/usr/bin/anchor-agent |$ANCHOR_AGENT |" -e "s|/usr/bin/anchor |$ANCHOR |" \
    "$UNITS/$unit" > "$WORK/$unit"
  grep -q "/usr/bin/" "$WORK/$unit" && fail "$unit: a /usr/bin path was not pointed at the build"
  for setting in "ProtectSystem=strict" "NoNewPrivileges=yes" "DynamicUser=yes" \
    "ExecReload=/bin/kill -HUP \$MAINPID" "PrivateTmp=yes" "ProtectHome=yes" "UMask=0077"; do
    grep -qxF "$setting" "$WORK/$unit" || fail "$unit: no $setting"
  done
  grep -q "^StateDirectory=" "$WORK/$unit" || fail "$unit: no StateDirectory"
  systemd-analyze verify --man=no "$WORK/$unit" > verify.out 2>&1 || { cat verify.out; fail "$unit: verify failed"; }
  [ ! -s verify.out ] || { cat verify.out; fail "$unit: systemd-analyze verify complained"; }
  systemd-analyze security --offline=yes --no-pager "$WORK/$unit" > security.out 2>&1 ||
    { tail -5 security.out; fail "$unit: security analysis failed"; }
  level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p' security.out)
  [ -n "$level" ] || { tail -3 security.out; fail "$unit: no exposure level"; }
  awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { tail -3 security.out; fail "$unit: exposure $level > 2.0"; }
  pass "$unit: verify clean, hardened, exposure $level"
done

# The check can fail: a misspelt value is reported, and reported as output.
sed 's/^ProtectSystem=strict/ProtectSystem=strct/' "$WORK/anchor.service" > "$WORK/broken.service"
systemd-analyze verify --man=no "$WORK/broken.service" > broken.out 2>&1 || true
[ -s broken.out ] || fail "a misspelt setting went unnoticed by this check"
pass "a misspelt setting is caught"
