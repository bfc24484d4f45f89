# SPDX-License-Identifier: Apache-2.0
# dcr verify-evidence on sim evidence: exit codes and the messages a user
# sees for good, tampered, truncated and foreign evidence and for bad usage.
set -u

: "${DCR_BIN:?DCR_BIN must name the dcr binary}"
: "${DCR_TEST_BIN:?DCR_TEST_BIN must name the test helper directory}"
HELPER="$DCR_TEST_BIN/helper_sim_evidence"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dcr-ve-XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# run NAME WANT_EXIT ARGS...: runs dcr, keeps stdout/stderr in $TMP/NAME.{out,err}
run() {
	local name=$1 want=$2 got
	shift 2
	"$DCR_BIN" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$name: exit $got, expected $want (dcr $*)"
		sed 's/^/    stdout: /' "$TMP/$name.out" >&2
		sed 's/^/    stderr: /' "$TMP/$name.err" >&2
	fi
}

# expect_in NAME STREAM TEXT: the output STREAM (out|err) of NAME contains TEXT
expect_in() {
	if ! grep -qF -- "$3" "$TMP/$1.$2"; then
		fail "$1: std$2 lacks \"$3\""
		sed 's/^/    /' "$TMP/$1.$2" >&2
	fi
}

RD=$(printf '5a%.0s' $(seq 64))            # 64 bytes of 0x5a
OTHER=$(printf '00%.0s' $(seq 64))
MEAS=$(sha384sum "$HELPER" | cut -d' ' -f1) # the helper's own executable
mkdir "$TMP/data"
if ! "$HELPER" "$TMP/data" "$RD" "$TMP/ev.bin"; then
	echo "FAIL: helper_sim_evidence could not make evidence" >&2
	exit 1
fi
[ "$(stat -c %s "$TMP/ev.bin")" = 224 ] || fail "sim evidence is not 224 bytes"

# -- good evidence -------------------------------------------------------
run ok 0 verify-evidence "$TMP/ev.bin"
expect_in ok out "tee:         sim"
expect_in ok out "SIMULATED: proves nothing about hardware"
expect_in ok out "report_data: $RD"
expect_in ok out "measurement: $MEAS"
expect_in ok out "debug:       yes"
[ "$(tail -n 1 "$TMP/ok.out")" = "evidence verified" ] ||
	fail "ok: last line is not 'evidence verified'"
expect_in ok err "SIMULATED"

run ok_tee 0 verify-evidence --tee sim "$TMP/ev.bin"

# -- --json --------------------------------------------------------------
run json 0 verify-evidence "$TMP/ev.bin" --json --expect "report_data=$RD"
if ! python3 -m json.tool "$TMP/json.out" >/dev/null; then
	fail "json: output does not parse"
else
	python3 - "$TMP/json.out" "$RD" "$MEAS" <<'EOF' || fail "json: wrong content"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tee"] == "sim", o
assert o["verified"] is True, o
assert o["debug"] is True, o
assert o["report_data"] == sys.argv[2], o
assert o["measurements"] == {"measurement": sys.argv[3]}, o
assert o["expectations"] == {"report_data": True}, o
assert o["timestamp"].endswith("Z") and len(o["timestamp"]) == 20, o
EOF
fi

# -- --expect ------------------------------------------------------------
run expect_ok 0 verify-evidence "$TMP/ev.bin" --expect "report_data=$RD" \
	--expect "measurement=${MEAS^^}"
expect_in expect_ok out "expect report_data: OK"
expect_in expect_ok out "expect measurement: OK"

run expect_bad 3 verify-evidence "$TMP/ev.bin" --expect "report_data=$OTHER"
expect_in expect_bad out "expect report_data: MISMATCH"
expect_in expect_bad err "--expect report_data: the evidence has $RD, expected $OTHER"
grep -qx "evidence verified" "$TMP/expect_bad.out" && fail "expect_bad: says 'evidence verified'"

WRONG_MEAS=$(printf '11%.0s' $(seq 48))
run expect_bad_json 3 verify-evidence "$TMP/ev.bin" --json --expect "measurement=$WRONG_MEAS"
python3 - "$TMP/expect_bad_json.out" <<'EOF' || fail "expect_bad_json: expectations not false"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["expectations"] == {"measurement": False}, o
EOF
expect_in expect_bad_json err "--expect measurement"

run expect_unknown_key 2 verify-evidence "$TMP/ev.bin" --expect "mrenclave=${OTHER:0:64}"
expect_in expect_unknown_key err "--expect mrenclave: sim evidence has no such value"
run expect_bad_hex 2 verify-evidence "$TMP/ev.bin" --expect "report_data=zz"
expect_in expect_bad_hex err "not hexadecimal"
run expect_short_hex 2 verify-evidence "$TMP/ev.bin" --expect "report_data=abcd"
expect_in expect_short_hex err "expected 128 hex digits"
run expect_no_eq 2 verify-evidence "$TMP/ev.bin" --expect "report_data"
expect_in expect_no_eq err "expected K=HEX"

# -- tampered and truncated evidence --------------------------------------
python3 - "$TMP/ev.bin" "$TMP/tampered.bin" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[20] ^= 0x01   # inside the report data
open(sys.argv[2], "wb").write(b)
EOF
run tampered 3 verify-evidence "$TMP/tampered.bin"
expect_in tampered err "sim: step 3 (signature)"
grep -q "evidence verified" "$TMP/tampered.out" && fail "tampered: says 'evidence verified'"

run tampered_json 3 verify-evidence --json "$TMP/tampered.bin"
python3 - "$TMP/tampered_json.out" <<'EOF' || fail "tampered_json: no {\"verified\": false} object"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verified"] is False and "step 3 (signature)" in o["error"], o
EOF

head -c 223 "$TMP/ev.bin" >"$TMP/truncated.bin"
run truncated 3 verify-evidence "$TMP/truncated.bin"
expect_in truncated err "sim: step 1 (format): evidence is 223 bytes"

head -c 300 /dev/urandom >"$TMP/noise.bin"
run noise 3 verify-evidence "$TMP/noise.bin"
expect_in noise err "not evidence of any kind this build knows"

# -- kinds ------------------------------------------------------------------
run tee_sgx 3 verify-evidence --tee sgx "$TMP/ev.bin"
expect_in tee_sgx err "sgx: step 1 (header)"
# a kind whose verifier this build lacks (if any is left) is exit 1
for kind in snp azure-vtpm; do
	"$DCR_BIN" verify-evidence --tee "$kind" "$TMP/ev.bin" >/dev/null 2>"$TMP/nb.err"
	if [ $? = 1 ]; then
		grep -qF "the $kind verifier is not built yet" "$TMP/nb.err" ||
			fail "tee_$kind: exit 1 without 'not built yet'"
	fi
done
run tee_unknown 2 verify-evidence --tee nitro "$TMP/ev.bin"
expect_in tee_unknown err "--tee 'nitro': unknown TEE kind"

# -- files and usage --------------------------------------------------------
run missing 1 verify-evidence "$TMP/no-such-file.bin"
expect_in missing err "no-such-file.bin"
run bad_at 2 verify-evidence --at 2025-13-01 "$TMP/ev.bin"
expect_in bad_at err "--at '2025-13-01'"
run good_at 0 verify-evidence --at 2025-07-01T00:00:00Z "$TMP/ev.bin"
run missing_vcek 1 verify-evidence --vcek "$TMP/no-vcek.der" "$TMP/ev.bin"
expect_in missing_vcek err "no-vcek.der"
run no_file 2 verify-evidence
expect_in no_file err "which evidence FILE?"
run two_files 2 verify-evidence "$TMP/ev.bin" "$TMP/ev.bin"
run bad_opt 2 verify-evidence --frobnicate "$TMP/ev.bin"
expect_in bad_opt err "unknown option '--frobnicate'"
run help 0 verify-evidence --help
expect_in help out "Exit codes:"
expect_in help out "--expect K=HEX"

if [ "$failures" != 0 ]; then
	echo "verify_evidence_cli: $failures failure(s)" >&2
	exit 1
fi
echo "verify_evidence_cli: all checks passed"
