# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the integration tests (sourced, not run).
# Each test gets: $DCR (the binary), $T (a private temp dir, removed on exit),
# run CODE CMD... (runs CMD, asserts its exit code, keeps $T/out and $T/err),
# has FILE TEXT (asserts FILE contains TEXT), fail MSG.
set -u
DCR=${DCR_BIN:?DCR_BIN must point at the dcr binary}
T=$(mktemp -d "${TMPDIR:-/tmp}/dcr-it-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
checks=0

fail() {
	echo "FAIL: $*" >&2
	for f in out err; do
		[ -s "$T/$f" ] && { echo "--- std$f:" >&2; head -c 4000 "$T/$f" >&2; }
	done
	exit 1
}

# run CODE CMD...: CMD must exit with CODE.
run() {
	local want=$1 got
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
	checks=$((checks + 1))
}

# has FILE TEXT: FILE (out, err or a path) contains TEXT (fixed string).
has() {
	local f=$1
	[ -f "$f" ] || f="$T/$1"
	grep -qF -- "$2" "$f" || fail "$1 lacks '$2'"
	checks=$((checks + 1))
}

# hasnt FILE TEXT
hasnt() {
	local f=$1
	[ -f "$f" ] || f="$T/$1"
	grep -qF -- "$2" "$f" && fail "$1 contains '$2'"
	checks=$((checks + 1))
}

done_ok() {
	echo "ok: $checks checks"
	exit 0
}
