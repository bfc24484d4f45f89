#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `dcr sql` against SQLite on ~400 random queries over random tables (fixed seed):
# tests/sql/crosscheck.py generates both, runs both and compares; any difference fails.
set -u

: "${DCR_BIN:?DCR_BIN must point to the dcr binary}"
SRC=${DCR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dcr-sql-crosscheck.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Until the engine lands, `dcr sql` says "not built yet": skip loudly rather than fail
# (set DCR_SQL_REQUIRE=1 to fail instead).
printf 'x\n1\n' >"$tmp/one.csv"
"$DCR_BIN" sql --table one="$tmp/one.csv" "SELECT x FROM one" >"$tmp/out" 2>"$tmp/err"
if [ $? = 1 ] && grep -q "not built yet" "$tmp/err" && [ "${DCR_SQL_REQUIRE:-0}" != 1 ]; then
	echo "SKIP: 'dcr sql' is not built yet; the SQLite cross-check did not run"
	exit 0
fi

# To reproduce one failure by hand: crosscheck.py --dcr "$DCR_BIN" --keep DIR writes the
# tables and every query to DIR.
exec python3 "$SRC/tests/sql/crosscheck.py" --dcr "$DCR_BIN" --seed 20260131 --queries 400
