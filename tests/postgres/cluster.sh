#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster for the tests, with Debian's own binaries: `cluster.sh start DIR`
# makes DIR, runs initdb and starts the server listening only on a Unix socket in DIR (no TCP),
# writes the libpq DSN to DIR/dsn and prints it; `cluster.sh stop DIR` stops the server by the
# PID in its postmaster.pid (SIGINT: fast shutdown), waits for it to exit and removes DIR.
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user that
# Debian's package creates. Trust authentication on the socket only: the cluster lives as long
# as the test run, holds nothing but test data, and its directory is the user's alone. fsync is
# off: durability is not what these tests measure; the benchmarks set PG_FSYNC=on.
set -euo pipefail
cmd=${1:?usage: cluster.sh start|stop|pause|resume DIR}
dir=${2:?usage: cluster.sh start|stop|pause|resume DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "cluster.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }

stop() {
  local pid
  [ -f "$dir/data/postmaster.pid" ] || { rm -rf "$dir"; return 0; }
  pid=$(head -1 "$dir/data/postmaster.pid")
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

# pause stops the server and keeps its data; resume starts it again on the same socket (a
# database restart, as a test of reconnection sees it).
server_start() {
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-k $dir -c listen_addresses='' -c fsync=${PG_FSYNC:-off} -c max_connections=300" start > /dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
}
as=()
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u postgres --)
fi

case $cmd in
  pause)
    pid=$(head -1 "$dir/data/postmaster.pid")
    kill -INT "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || exit 0
      sleep 0.1
    done
    echo "cluster.sh: the server (pid $pid) did not stop" >&2
    exit 1
    ;;
  resume) server_start ;;
  start)
    stop  # a cluster left by an interrupted run
    mkdir -p "$dir"
    chmod 0700 "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$dir"
    fi
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U anchor --auth=trust -E UTF8 --no-locale --no-sync \
      > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    server_start
    echo "host=$dir user=anchor dbname=postgres" > "$dir/dsn"
    cat "$dir/dsn"
    ;;
  stop) stop ;;
  *) echo "cluster.sh: start, stop, pause or resume, not '$cmd'" >&2; exit 2 ;;
esac
