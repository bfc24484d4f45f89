#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Golden tests of `dcr sql` (docs/SQL.md): runs every tests/sql/*.sql and compares
# with its .expected, then checks that absurdly deep nesting is refused, not a crash.
#
# A .sql file starts with directive comments, then holds ONE query:
#   -- tables: p=people.csv o=orders.csv   (NAME=FILE, FILE relative to tests/sql/data)
#   -- contract: contract.json             (optional, in tests/sql/data)
#   -- format: json|table                  (optional; default csv)
#   -- args: --threads 4                   (optional extra arguments)
#   -- exit: N                             (optional: the expected non-zero exit code)
#   -- unordered                           (optional: compare the rows as a multiset)
#   -- any other comment line is a note for the reader
# The query is everything after the leading block of `--` lines, passed verbatim.
# Expected: with `-- exit: N`, exit code N, a stderr line starting "dcr: error: ", stderr
# containing each non-empty line of .expected (a fixed string, any case; a line "re:RE" is
# a case-sensitive extended regex instead), and for exit 2 and 4 nothing on stdout.
# Otherwise exit 0 and stdout equal to .expected: byte for byte for CSV; as the
# same JSON values for json (docs/SQL.md does not fix the layout); for table, the lines of
# .expected, with cell borders and border lines ignored, appear in order in the output.
# DCR_SQL_ONLY=GLOB runs only the matching files (e.g. DCR_SQL_ONLY='join_*').
set -u

: "${DCR_BIN:?DCR_BIN must point to the dcr binary}"
SRC=${DCR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SQLDIR=$SRC/tests/sql
DATA=$SQLDIR/data
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dcr-sql-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

total=0
failed=0
failed_names=()

# json_same EXPECTED ACTUAL: the same JSON values (numbers by value, key order kept)
json_same() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
from decimal import Decimal
def load(p):
    return json.load(open(p, encoding="utf-8"), parse_float=Decimal, parse_int=Decimal,
                     object_pairs_hook=lambda kv: ("object", [(k, v) for k, v in kv]))
def tag(v):
    if isinstance(v, tuple):
        return ("object", [(k, tag(x)) for k, x in v[1]])
    if isinstance(v, list):
        return ("array", [tag(x) for x in v])
    if isinstance(v, bool) or v is None:
        return ("lit", v)
    if isinstance(v, Decimal):
        return ("num", v.normalize() if v.is_finite() else v)
    return ("str", v)
try:
    same = tag(load(sys.argv[1])) == tag(load(sys.argv[2]))
except ValueError as e:
    print("not valid JSON:", e)
    same = False
sys.exit(0 if same else 1)
EOF
}

# table_same EXPECTED ACTUAL: the cells of EXPECTED appear, line by line and in order,
# in ACTUAL (lines of borders only are dropped; | and box characters are separators).
table_same() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
BORDER = re.compile(r"^[\s\-+=|:\u2500-\u257f]*$")
def cells(p):
    out = []
    for line in open(p, encoding="utf-8"):
        if BORDER.match(line):
            continue
        out.append(re.sub(r"[|\u2502\u2503\u2551]", " ", line).split())
    return out
want, got = cells(sys.argv[1]), cells(sys.argv[2])
i = 0
for line in got:
    if i < len(want) and line == want[i]:
        i += 1
sys.exit(0 if want and i == len(want) else 1)
EOF
}

# rows_sorted FILE: the header line, then the other lines sorted
rows_sorted() {
	head -n 1 "$1"
	tail -n +2 "$1" | sort
}

show_cmd() {
	printf '  command:'
	printf ' %q' "$@"
	printf '\n'
}

trim() { # VAR: strip leading and trailing blanks of $VAR in place
	local -n v=$1
	v=${v#"${v%%[![:space:]]*}"}
	v=${v%"${v##*[![:space:]]}"}
}

run_one() {
	local f=$1 name tables="" contract="" format="" exitcode=0 extra="" unordered=0
	local line key rc query="" in_header=1
	name=${f##*/}
	name=${name%.sql}
	# the leading block of `--` lines holds the directives; the rest is the query
	while IFS= read -r line || [ -n "$line" ]; do
		if [ "$in_header" = 1 ]; then
			case $line in
			"-- tables:"*) tables=${line#-- tables:}; continue ;;
			"-- contract:"*) contract=${line#-- contract:}; continue ;;
			"-- format:"*) format=${line#-- format:}; continue ;;
			"-- exit:"*) exitcode=${line#-- exit:}; continue ;;
			"-- args:"*) extra=${line#-- args:}; continue ;;
			"-- unordered"*) unordered=1; continue ;;
			--*) continue ;;
			esac
			in_header=0
			query=$line
		else
			query+=$'\n'$line
		fi
	done <"$f"
	trim contract
	trim format
	trim exitcode
	local -a cmd=("$DCR_BIN" sql)
	[ -n "$contract" ] && cmd+=(--contract "$DATA/$contract")
	for key in $tables; do
		cmd+=(--table "${key%%=*}=$DATA/${key#*=}")
	done
	[ -n "$format" ] && cmd+=(--format "$format")
	# shellcheck disable=SC2206
	[ -n "$extra" ] && cmd+=($extra)
	cmd+=("$query")

	total=$((total + 1))
	timeout 30 "${cmd[@]}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	local why=""
	if [ "$exitcode" != 0 ]; then
		if [ "$rc" != "$exitcode" ]; then
			why="exit code $rc, expected $exitcode"
		elif ! grep -q "^dcr: error: " "$tmp/err"; then
			why="stderr has no line starting 'dcr: error: '"
		elif { [ "$exitcode" = 2 ] || [ "$exitcode" = 4 ]; } && [ -s "$tmp/out" ]; then
			why="stdout is not empty on error"
		else
			while IFS= read -r line; do
				case $line in
				"") continue ;;
				re:*) grep -qE -- "${line#re:}" "$tmp/err" ;;
				*) grep -qiF -- "$line" "$tmp/err" ;;
				esac || { why="stderr lacks '$line'"; break; }
			done <"$SQLDIR/$name.expected"
		fi
	elif [ "$rc" != 0 ]; then
		why="exit code $rc, expected 0"
	else
		case ${format:-csv} in
		json)
			json_same "$SQLDIR/$name.expected" "$tmp/out" ||
				why="JSON values differ (the layout is not compared)"
			;;
		table) table_same "$SQLDIR/$name.expected" "$tmp/out" || why="table differs" ;;
		*)
			if [ "$unordered" = 1 ]; then
				rows_sorted "$SQLDIR/$name.expected" >"$tmp/want"
				rows_sorted "$tmp/out" >"$tmp/got"
				cmp -s "$tmp/want" "$tmp/got" || why="rows differ (compared unordered)"
			else
				cmp -s "$SQLDIR/$name.expected" "$tmp/out" || why="output differs"
			fi
			;;
		esac
	fi
	[ -z "$why" ] && return 0

	failed=$((failed + 1))
	failed_names+=("$name")
	echo "FAIL: tests/sql/$name.sql: $why"
	show_cmd "${cmd[@]}"
	if [ "$exitcode" = 0 ] && [ "$rc" = 0 ]; then
		diff -u --label "expected ($name.expected)" --label "actual (stdout)" \
			"$SQLDIR/$name.expected" "$tmp/out" | head -n 60
	else
		[ "$exitcode" != 0 ] && sed 's/^/  expected in stderr: /' "$SQLDIR/$name.expected"
		echo "  stdout:"; head -c 2000 "$tmp/out" | sed 's/^/    /'
		echo "  stderr:"; head -c 2000 "$tmp/err" | sed 's/^/    /'
	fi
	echo
}

for f in "$SQLDIR"/${DCR_SQL_ONLY:-*}.sql; do
	run_one "$f"
done
if [ -n "${DCR_SQL_ONLY:-}" ]; then
	echo "ran only the $total files matching '$DCR_SQL_ONLY' ($failed failed)"
	exit $((failed > 0))
fi

# Generated: nesting far beyond the limit is refused with exit 4 (no stack overflow),
# and moderate nesting well under it runs.
nest_check() { # WANT_EXIT DESCRIPTION SQL
	local want=$1 what=$2 sql=$3 rc why=""
	total=$((total + 1))
	timeout 30 "$DCR_BIN" sql --table one="$DATA/one.csv" "$sql" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		why="exit code $rc, expected $want"
	elif [ "$want" != 0 ] && ! grep -q "^dcr: error: " "$tmp/err"; then
		why="stderr has no line starting 'dcr: error: '"
	elif [ "$want" = 0 ] && [ "$(cat "$tmp/out")" != "$4" ]; then
		why="output differs"
	fi
	[ -z "$why" ] && return 0
	failed=$((failed + 1))
	failed_names+=("nesting: $what")
	echo "FAIL: nesting: $what: $why"
	echo "  query: ${sql:0:120}... (${#sql} bytes)"
	echo "  stdout:"; head -c 1000 "$tmp/out" | sed 's/^/    /'
	echo "  stderr:"; head -c 1000 "$tmp/err" | sed 's/^/    /'
	echo
}
rep() { # N STRING: STRING repeated N times
	local s
	printf -v s '%*s' "$1" ''
	printf '%s' "${s// /$2}"
}
nest_check 4 "30000 parentheses" "SELECT $(rep 30000 '(')x$(rep 30000 ')') FROM one"
nest_check 4 "30000 NOTs" "SELECT $(rep 30000 'NOT ')TRUE FROM one"
nest_check 4 "30000 unary minus in parentheses" "SELECT $(rep 30000 '-(')x$(rep 30000 ')') FROM one"
nest_check 4 "300 parentheses" "SELECT $(rep 300 '(')x$(rep 300 ')') AS v FROM one"
nest_check 4 "300 nested CASE" \
	"SELECT $(rep 300 'CASE WHEN x = 1 THEN ')x$(rep 300 ' END') AS v FROM one"
nest_check 4 "300 nested additions" "SELECT $(rep 300 'x + (')x$(rep 300 ')') AS v FROM one"
nest_check 0 "100 parentheses" "SELECT $(rep 100 '(')x$(rep 100 ')') AS v FROM one" \
	"$(printf 'v\n1')"
nest_check 0 "100 nested CASE" \
	"SELECT $(rep 100 'CASE WHEN x = 1 THEN ')x$(rep 100 ' END') AS v FROM one" "$(printf 'v\n1')"

if [ "$failed" -gt 0 ]; then
	echo "sql_golden: $failed of $total checks FAILED:"
	printf '  %s\n' "${failed_names[@]}"
	exit 1
fi
echo "ok: sql_golden: $total checks passed"
