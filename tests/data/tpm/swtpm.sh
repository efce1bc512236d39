#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A software TPM 2.0 for tests, manufactured as a TPM maker does: an RSA-2048 endorsement key at
# 0x81010001 with its certificate (issued by a local "manufacturer" CA, swtpm_localca) in NV
# index 0x01c00002.
#   swtpm.sh start DIR   set it up in DIR (new or empty), start it on a free port of 127.0.0.1,
#                        print the TCTI string (swtpm:host=127.0.0.1,port=P); DIR/manufacturer.pem
#                        is the maker's root and issuing CA, DIR/swtpm.pid its PID
#   swtpm.sh stop DIR    stop it by its PID
# swtpm has no resource manager and three transient object slots: callers flush what they load.
set -euo pipefail
cmd=$1 D=$(realpath -m "$2")
case "$cmd" in
  start)
    mkdir -p "$D/state" "$D/localca"
    printf 'statedir = %s\nsigningkey = %s\nissuercert = %s\ncertserial = %s\n' "$D/localca" \
      "$D/localca/signkey.pem" "$D/localca/issuercert.pem" "$D/localca/certserial" \
      > "$D/swtpm-localca.conf"
    printf -- '--platform-manufacturer anchor-tests\n--platform-version 2.1\n--platform-model swtpm\n' \
      > "$D/swtpm-localca.options"
    printf 'create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = %s\ncreate_certs_tool_options = %s\nactive_pcr_banks = sha256\n' \
      "$D/swtpm-localca.conf" "$D/swtpm-localca.options" > "$D/swtpm_setup.conf"
    swtpm_setup --tpm2 --tpmstate "$D/state" --create-ek-cert --config "$D/swtpm_setup.conf" \
      --overwrite > "$D/setup.log" 2>&1 || { cat "$D/setup.log" >&2; exit 1; }
    cat "$D/localca/swtpm-localca-rootca-cert.pem" "$D/localca/issuercert.pem" > "$D/manufacturer.pem"
    for _ in 1 2 3 4 5; do
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      if swtpm socket --tpm2 --tpmstate dir="$D/state" \
        --server type=tcp,port=$port,bindaddr=127.0.0.1 \
        --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
        --pid file="$D/swtpm.pid" --log file="$D/swtpm.log" --daemon 2> /dev/null; then
        echo "swtpm:host=127.0.0.1,port=$port"
        exit 0
      fi
    done
    echo "swtpm did not start" >&2
    exit 1
    ;;
  stop)
    [ -s "$D/swtpm.pid" ] && kill "$(cat "$D/swtpm.pid")" 2> /dev/null || true
    ;;
  *)
    echo "usage: swtpm.sh start|stop DIR" >&2
    exit 2
    ;;
esac
