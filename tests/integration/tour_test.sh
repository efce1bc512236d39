#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make tour` (scripts/tour.sh), the tutorials' command-line flows one anchor command at a time,
# runs to its end, so the walkthrough the README points to keeps working.
source "$(dirname "$0")/lib.sh"
TMPDIR="$WORK" bash "$TESTS_DIR/../../scripts/tour.sh" "$ANCHOR" > tour.out 2>&1 \
  || { cat tour.out; fail "scripts/tour.sh failed"; }
has "Tour complete" tour.out || fail "the tour did not finish"
pass "the tour ran: $(grep -c '✓' tour.out) steps"
