#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package built from this tree (CPack, as `make deb` builds it) holds the programs,
# the plugin, units, man pages, completion and docs; its Depends come from dpkg-shlibdeps; dpkg
# installs it, and the installed programs run `anchor init` and `anchor demo`; dpkg purges it.
#
# The machine is left as it was: dpkg installs into a scratch directory (--instdir) and records
# into a copy of this machine's dpkg database (--admindir), so its dependency checks run against
# the packages really installed here, but nothing outside $WORK changes. The package has no
# maintainer scripts (nothing to chroot into $WORK for); --no-triggers keeps other packages'
# triggers (man-db's) from running against the scratch tree.
source "$TESTS_DIR/lib.sh"
: "${ANCHOR_AGENT:?}"
BUILD=$(dirname "$(dirname "$ANCHOR")")
[ -f "$BUILD/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $BUILD"
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || { echo "skip: no $tool"; exit 77; }
done

cpack --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg" > cpack.log 2>&1 || { cat cpack.log; fail "cpack"; }
deb=$(ls "$WORK"/pkg/anchor_*.deb)
[ -f "$deb" ] || fail "no .deb made"
dpkg-deb -c "$deb" | awk '{print $6}' > contents.txt
for f in usr/bin/anchor usr/bin/anchor-agent usr/lib/anchor/anchor-agent-worker \
  usr/lib/anchor/anchor_mosquitto.so usr/lib/systemd/system/anchor.service \
  usr/lib/systemd/system/anchor-agent.service usr/share/man/man1/anchor.1.gz \
  usr/share/man/man1/anchor-agent.1.gz usr/share/bash-completion/completions/anchor \
  usr/share/bash-completion/completions/anchor-agent usr/share/doc/anchor/copyright \
  usr/share/doc/anchor/LICENSE usr/share/doc/anchor/README.md usr/share/doc/anchor/OPERATIONS.md; do
  has -x "\./$f" contents.txt || fail "the package lacks /$f"
done
has -v "^\./usr/\|^\./$" contents.txt && fail "the package puts files outside /usr: $(grep -v '^\./usr/' contents.txt)"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libssl3 libsqlite3-0 libcurl4 libstdc++6; do
  echo "$depends" | has -w "$lib" || fail "Depends lacks $lib: $depends"
done
pass "package built: $(du -k "$deb" | cut -f1) KiB; Depends: $depends"

ADMIN="$WORK/admin" ROOT="$WORK/root"
cp -a /var/lib/dpkg "$ADMIN"
rm -f "$ADMIN/lock" "$ADMIN/lock-frontend" "$ADMIN/triggers/Lock"
mkdir -p "$ROOT"
DPKG=(dpkg --admindir="$ADMIN" --instdir="$ROOT" --no-triggers --force-script-chrootless)
"${DPKG[@]}" -i "$deb" > dpkg.log 2>&1 || { cat dpkg.log; fail "dpkg -i"; }
[ "$(dpkg-query --admindir="$ADMIN" -W -f='${Status}' anchor)" = "install ok installed" ] ||
  fail "dpkg does not record anchor as installed"
dpkg-query -W anchor >/dev/null 2>&1 && fail "the real dpkg database learnt of anchor"
pass "dpkg -i into $ROOT: dependencies satisfied by this machine's packages"

# The installed programs, and nothing from the build tree: the worker and the plugin are found
# beside the installed binaries (../lib/anchor/).
unset ANCHOR_AGENT_WORKER
unset -f anchor
export PATH="$ROOT/usr/bin:$PATH"
[ "$(type -P anchor)" = "$ROOT/usr/bin/anchor" ] || fail "not the installed anchor"
"$ROOT/usr/bin/anchor" --version | has -x "anchor [0-9.]*" || fail "installed anchor --version"
"$ROOT/usr/bin/anchor-agent" --version | has -x "anchor-agent [0-9.]*" ||
  fail "installed anchor-agent --version"
ANCHOR_HOME="$WORK/installed-ca" "$ROOT/usr/bin/anchor" init --name packaged </dev/null > init.out 2>&1 ||
  { cat init.out; fail "installed anchor init"; }
has "^root SHA-256 fingerprint: " init.out || fail "installed init printed no fingerprint"
pass "installed anchor init: $(sed -n 's/^root SHA-256 fingerprint: //p' init.out | cut -c1-23)..."

if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then
  fail "mosquitto is not installed (scripts/setup.sh installs it): anchor demo cannot run"
fi
# --mosquitto: Debian's broker, or in a sanitizer build a wrapper preloading the runtime the
# installed (sanitized) plugin needs.
timeout 120 "$ROOT/usr/bin/anchor" demo --mosquitto "$(mosquitto_for_demo)" > demo.out 2>&1 \
  || { cat demo.out; fail "installed anchor demo"; }
# The demo finds the plugin and anchor-agent relative to the running anchor (../lib/anchor/,
# beside it): the installed ones, never the build tree's.
has -F "✗" demo.out && { cat demo.out; fail "a demo step failed"; }
pass "installed anchor demo: $(tail -1 demo.out)"

# The installed units verify against the installed programs.
if command -v systemd-analyze >/dev/null; then
  for unit in anchor.service anchor-agent.service; do
    sed "s|/usr/bin/|$ROOT/usr/bin/|" "$ROOT/usr/lib/systemd/system/$unit" > "$WORK/$unit"
    systemd-analyze verify --man=no "$WORK/$unit" > verify.out 2>&1 && [ ! -s verify.out ] ||
      { cat verify.out; fail "installed $unit does not verify"; }
  done
  pass "installed units verify"
fi

"${DPKG[@]}" --purge anchor > purge.log 2>&1 || { cat purge.log; fail "dpkg --purge"; }
left=$(find "$ROOT" -type f | head -5)
[ -z "$left" ] || fail "purge left files: $left"
pass "dpkg --purge removes every file"
