#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what anchor needs to build and test, by Debian package name, only when missing.
# With --bench, what only the benchmarks add (`make bench`, after `make setup`); `make test` never
# installs those.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang clang-format libclang-rt-14-dev
  libssl-dev libboost1.81-dev libsqlite3-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev
  libcurl4-openssl-dev libgtest-dev libgmock-dev libbenchmark-dev libidn2-dev
  libmosquitto-dev mosquitto-dev libspdlog-dev libpq-dev
  bc time openssl curl nodejs python3 python3-cryptography gnutls-bin golang-cfssl nginx-light
  mosquitto mosquitto-clients python3-paho-mqtt python3-prometheus-client prometheus
  help2man dpkg-dev file sqlite3 postgresql
  libp11-kit-dev softhsm2 opensc
  swtpm swtpm-tools tpm2-openssl tpm2-tools libtss2-dev
)

# Only for `make bench`: gnuplot draws docs/store_growth.png (bench/plot_store_growth.sh).
BENCH_PACKAGES=(gnuplot-nox sqlite3)
if [ "${1:-}" = "--bench" ]; then
  PACKAGES=("${BENCH_PACKAGES[@]}")
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
