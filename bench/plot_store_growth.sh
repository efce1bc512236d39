#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Plots the CSV of bench/store_growth.sh into a PNG of four panels (gnuplot, Debian's
# gnuplot-nox, which `scripts/setup.sh --bench` installs):
#   rates relative to an empty control store, OCSP latency, the times of list/feed/CRL, serve's RSS.
# Usage: bench/plot_store_growth.sh [CSV [PNG]]   (default docs/store_growth.csv, docs/store_growth.png)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
CSV=${1:-$HERE/docs/store_growth.csv}
PNG=${2:-$HERE/docs/store_growth.png}
command -v gnuplot >/dev/null || { echo "needs gnuplot: bash scripts/setup.sh --bench" >&2; exit 1; }
gnuplot <<GP
set datafile separator ","
set datafile columnheaders
set terminal pngcairo size 1400,1000 font "DejaVu Sans,11"
set output "$PNG"
set multiplot layout 2,2 title "anchor: costs as the store grows (one run; x: certificates in the store)"
set logscale x
set format x "%.0s%c"
set grid
set key top left box opaque
set xlabel "certificates in the store"

set title "filled store / empty control, paired rounds, median (aim: >= 0.9)"
set yrange [0:2]
set ylabel "ratio"
plot "$CSV" using "certs":"enroll_ratio" with linespoints lw 2 pt 7 lc 1 title "EST enrollments/s (c=8)", \
     "" using "certs":"ocsp_cached_ratio" with linespoints lw 2 pt 5 lc 2 title "OCSP GET, cached, /s (c=1)", \
     "" using "certs":"ocsp_nonce_ratio" with linespoints lw 2 pt 9 lc 3 title "OCSP POST with nonce, /s (c=1)", \
     "" using "certs":"enroll_p50_ratio" with linespoints dt 3 lw 2 pt 7 lc 1 title "  by median latency", \
     "" using "certs":"ocsp_cached_p50_ratio" with linespoints dt 3 lw 2 pt 5 lc 2 title "  by median latency", \
     "" using "certs":"ocsp_nonce_p50_ratio" with linespoints dt 3 lw 2 pt 9 lc 3 title "  by median latency", \
     0.9 with lines dt 2 lc rgb "red" title "0.9"

set title "OCSP latency, one client, keep-alive"
set autoscale y
set logscale y
set ylabel "µs"
plot "$CSV" using "certs":"ocsp_cached_p50_us" with linespoints lw 2 pt 5 title "cached p50", \
     "" using "certs":"ocsp_cached_p99_us" with linespoints dt 2 pt 5 title "cached p99", \
     "" using "certs":"ocsp_nonce_p50_us" with linespoints lw 2 pt 9 title "nonce (store + sign) p50", \
     "" using "certs":"ocsp_nonce_p99_us" with linespoints dt 2 pt 9 title "nonce p99"

set title "list, revocation feed and CRL"
set yrange [0.01:3000]
set ylabel "ms"
set key top left box opaque font ",9"
plot "$CSV" using "certs":"list_ms" with linespoints lw 2 pt 7 title "anchor list --expiring-within 7 (CLI)", \
     "" using "certs":"feed100_p50_ms" with linespoints lw 2 pt 5 title "feed: the last 100 events", \
     "" using "certs":"feed_page_p50_ms" with linespoints lw 2 pt 4 title "feed: a page of up to 10,000", \
     "" using "certs":"feed_walk_ms" with linespoints lw 2 pt 6 title "feed: whole walk from 0", \
     "" using "certs":"crl_build_ms" with linespoints lw 2 pt 9 title "CRL build (query + sign)", \
     1000 with lines dt 2 lc rgb "red" title "1 s"

set title "anchor serve resident memory"
unset logscale y
set yrange [0:*]
set ylabel "MiB"
set key top left box opaque font ",11"
plot "$CSV" using "certs":(column("rss_idle_kib")/1024) with linespoints lw 2 pt 7 title "idle after start", \
     "" using "certs":(column("rss_enroll_kib")/1024) with linespoints lw 2 pt 5 title "after the enrollments", \
     "" using "certs":(column("hwm_enroll_kib")/1024) with linespoints dt 2 pt 5 title "peak during them", \
     "" using "certs":(column("rss_crl_kib")/1024) with linespoints lw 2 pt 9 title "after GET /crl"
unset multiplot
GP
echo "wrote $PNG"
