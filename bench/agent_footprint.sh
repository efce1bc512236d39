#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The device agent's footprint: stripped sizes of anchor-agent (resident) and
# anchor-agent-worker (one attempt), the resident part's memory while it waits between renewals,
# the peak of one attempt, and, side by side, the peak of the device side of the seeds'
# hand-made flow (openssl genrsa + openssl req -new) as cron would run it.
# Usage: bash bench/agent_footprint.sh [BUILD_DIR]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
source "$(dirname "$0")/lib.sh"

# peak_kib CMD...: the largest resident set of CMD and its children, from getrusage.
peak_kib() {
  python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

echo "== Stripped sizes (our code plus the static layers it links; shared libraries not counted)"
for b in anchor-agent anchor-agent-worker; do
  strip -o "$b.stripped" "$BUILD/apps/$b"
  printf '%-22s %8d bytes  (%s)\n' "$b" "$(stat -c %s "$b.stripped")" \
    "$(ldd "$BUILD/apps/$b" | awk '{print $1}' | grep -E 'ssl|crypto|curl|stdc' | tr '\n' ' ')"
done

"$ANCHOR" init --name footprint -q
start_anchor_serve
URL=$CA_URL
"$ANCHOR" token create --cn sensor-1 -q > token
"$ANCHOR" token create --cn sensor-2 -q > token2

echo
echo "== anchor-agent run, waiting between renewals (after its first enrollment)"
"$BUILD/apps/anchor-agent" run --server "$URL" --ca-cert "$ANCHOR_HOME/root.crt" --cn sensor-1 \
  --key s1.key --cert s1.crt --token-file token 2> agent.log &
AGENT=$!
PIDS+=($AGENT)
for _ in $(seq 1 100); do [ -s s1.crt ] && break; sleep 0.1; done
sleep 2
awk '/^Rss:|^Pss:|^Private_Dirty:|^Private_Clean:|^Shared_Clean:/ {printf "%-15s %6d KiB\n", $1, $2}' \
  "/proc/$AGENT/smaps_rollup"

echo
echo "== Peak resident set of one attempt (getrusage, the process and its children)"
printf '%-58s %6s KiB\n' "anchor-agent run --once (first enrollment: key, CSR, EST)" \
  "$(peak_kib "$BUILD/apps/anchor-agent" run --once --server "$URL" --ca-cert "$ANCHOR_HOME/root.crt" \
     --cn sensor-2 --key s2.key --cert s2.crt --token-file token2)"
printf '%-58s %6s KiB\n' "anchor-agent run --once (renewal: new key, mTLS EST)" \
  "$(peak_kib "$BUILD/apps/anchor-agent" run --once --renew-at 0 --server "$URL" \
     --ca-cert "$ANCHOR_HOME/root.crt" --key s2.key --cert s2.crt)"
printf '%-58s %6s KiB\n' "seeds, device side: openssl genrsa -out device.key 2048" \
  "$(peak_kib openssl genrsa -out device.key 2048)"
printf '%-58s %6s KiB\n' "seeds, device side: openssl req -new -key device.key -subj" \
  "$(peak_kib openssl req -new -key device.key -subj /CN=sensor-3 -out device.csr)"
echo "(the seeds' flow then needs the CSR carried to the CA and the certificate back by hand)"
