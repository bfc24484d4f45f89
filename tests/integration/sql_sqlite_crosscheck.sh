#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `dcr sql` against SQLite on ~400 random queries over random tables (fixed seed):
# tests/sql/crosscheck.py generates both, runs both and compares; any difference fails.
set -u

: "${DCR_BIN:?DCR_BIN must point to the dcr binary}"
SRC=${DCR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dcr-sql-crosscheck.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# To reproduce one failure by hand: crosscheck.py --dcr "$DCR_BIN" --keep DIR writes the
# tables and every query to DIR.
exec python3 "$SRC/tests/sql/crosscheck.py" --dcr "$DCR_BIN" --seed 20260131 --queries 400
