# SPDX-License-Identifier: Apache-2.0
# dcr verify-evidence on the real Intel DCAP quotes and collateral in
# ../shared/testdata (values from its SOURCES.md): what it prints, --expect,
# --json, the collateral's TCB status, and refusals at the named step.
set -u

: "${DCR_BIN:?DCR_BIN must name the dcr binary}"
: "${DCR_TESTDATA:?DCR_TESTDATA must name the shared test data}"
T=$DCR_TESTDATA
SGX=$T/sgx_quote_v3_dcapqvl.dat
COLL=$T/sgx_quote_v3_dcapqvl.collateral.json
TDX4=$T/tdx_quote_v4_spr_e4.dat
TDX5=$T/tdx_quote_v5_sample.dat
for f in "$SGX" "$COLL" "$TDX4" "$TDX5"; do
	[ -r "$f" ] || { echo "SKIP: $f is missing"; exit 0; }
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dcr-dcap-XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

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

expect_in() {
	if ! grep -qF -- "$3" "$TMP/$1.$2"; then
		fail "$1: std$2 lacks \"$3\""
		sed 's/^/    /' "$TMP/$1.$2" >&2
	fi
}

AT=2025-07-01T00:00:00Z    # the SGX collateral is valid 2025-06-19 .. 2025-07-19
AT_TDX=2026-02-03T00:00:00Z # both TDX samples' PCK certificates are valid
MRENCLAVE=33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb
MRSIGNER=815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6
SGX_RD=48656c6c6f2c20776f726c6421$(printf '00%.0s' $(seq 51))
MRTD4=6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb
RTMR0=2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc80af42976823adf08f833c1e50b51779c6593f32a
RTMR1=2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538c25a5f589c4b56d035c59107c6bc5800db2cacb61
RTMR2=8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b3e6466fe59c7368b3c2287fc7c3bf5c924eb4424e
RTMR3=$(printf '00%.0s' $(seq 48))
TDX4_RD=6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8acb281f1113
MRTD5=7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876
TDX5_RD=945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd4a4933a4dd537ed1255c9c79ecb3ed82cd1b486233e31c25c3a

# -- SGX quote v3, with and without collateral ------------------------------
run sgx 0 verify-evidence "$SGX" --at "$AT" --expect "mrenclave=$MRENCLAVE" \
	--expect "mrsigner=$MRSIGNER" --expect "report_data=$SGX_RD"
expect_in sgx out "tee:         sgx"
expect_in sgx out "debug:       no"
expect_in sgx out "fmspc:       00a067110000"
expect_in sgx out "tcb status:  unknown (no collateral)"
expect_in sgx out "expect mrenclave: OK"
[ "$(tail -n 1 "$TMP/sgx.out")" = "evidence verified" ] || fail "sgx: not verified"

run sgx_coll 0 verify-evidence "$SGX" --collateral "$COLL" --at "$AT" \
	--expect "mrenclave=$MRENCLAVE"
expect_in sgx_coll out "tcb status:  ConfigurationAndSWHardeningNeeded"
expect_in sgx_coll out "advisories:  INTEL-SA-00289, INTEL-SA-00615"

run sgx_json 0 verify-evidence "$SGX" --collateral "$COLL" --at "$AT" --json
python3 - "$TMP/sgx_json.out" "$MRENCLAVE" "$MRSIGNER" "$SGX_RD" <<'PY' || fail "sgx_json: wrong content"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tee"] == "sgx" and o["verified"] is True and o["debug"] is False, o
assert o["measurements"] == {"mrenclave": sys.argv[2], "mrsigner": sys.argv[3]}, o
assert o["report_data"] == sys.argv[4], o
assert o["fmspc"] == "00a067110000", o
assert o["tcb_status"] == "ConfigurationAndSWHardeningNeeded", o
assert o["advisories"] == ["INTEL-SA-00289", "INTEL-SA-00615"], o
assert "warning" not in o, o
PY

run sgx_wrong 3 verify-evidence "$SGX" --at "$AT" --expect "mrenclave=${MRSIGNER}"
expect_in sgx_wrong out "expect mrenclave: MISMATCH"

# the collateral expired 2025-07-19; before 2025-06-19 it was not issued yet
run sgx_coll_late 3 verify-evidence "$SGX" --collateral "$COLL" --at 2025-08-01T00:00:00Z
expect_in sgx_coll_late err "sgx: step 8 (collateral validity): the TCB info expired"
run sgx_coll_json_late 3 verify-evidence "$SGX" --collateral "$COLL" --at 2025-08-01T00:00:00Z --json
python3 - "$TMP/sgx_coll_json_late.out" <<'PY' || fail "sgx_coll_json_late: no failure object"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["verified"] is False and "step 8 (collateral validity)" in o["error"], o
PY

# changed collateral: the TCB info's signature no longer matches
python3 - "$COLL" "$TMP/coll_forged.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["tcb_info"] = c["tcb_info"].replace("ConfigurationAndSWHardeningNeeded", "UpToDate", 1)
json.dump(c, open(sys.argv[2], "w"))
PY
run sgx_coll_forged 3 verify-evidence "$SGX" --collateral "$TMP/coll_forged.json" --at "$AT"
expect_in sgx_coll_forged err "sgx: step 7 (collateral signature): the TCB info signature does not match"

# SGX collateral is not TDX collateral
run tdx_sgx_coll 3 verify-evidence "$TDX4" --collateral "$COLL" --at "$AT"
expect_in tdx_sgx_coll err "tdx: step 6 (collateral format)"

# -- changed quote bytes ------------------------------------------------------
flip() { # flip IN OUT OFFSET XOR
	python3 - "$@" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3])] ^= int(sys.argv[4], 0)
open(sys.argv[2], "wb").write(b)
PY
}
flip "$SGX" "$TMP/sgx_body.dat" 120 0x01          # inside MRENCLAVE
run sgx_body 3 verify-evidence "$TMP/sgx_body.dat" --at "$AT"
expect_in sgx_body err "sgx: step 2 (quote signature)"
flip "$SGX" "$TMP/sgx_qe.dat" 700 0x01            # inside the QE report (@564)
run sgx_qe 3 verify-evidence "$TMP/sgx_qe.dat" --at "$AT"
expect_in sgx_qe err "sgx: step 3 (QE report signature)"
flip "$TDX4" "$TMP/tdx_auth.dat" 1225 0x01        # inside the QE auth data (@1220)
run tdx_auth 3 verify-evidence "$TMP/tdx_auth.dat" --at "$AT_TDX"
expect_in tdx_auth err "tdx: step 4 (QE report)"
head -c 4000 "$TDX4" >"$TMP/tdx_short.dat"
run tdx_short 3 verify-evidence "$TMP/tdx_short.dat"
expect_in tdx_short err "tdx: step 1 (header): the quote is truncated"

# -- TDX quotes v4 and v5 ---------------------------------------------------
run tdx4 0 verify-evidence "$TDX4" --at "$AT_TDX" --expect "mrtd=$MRTD4" \
	--expect "rtmr0=$RTMR0" --expect "rtmr1=$RTMR1" --expect "rtmr2=$RTMR2" \
	--expect "rtmr3=$RTMR3" --expect "report_data=$TDX4_RD"
expect_in tdx4 out "tee:         tdx"
expect_in tdx4 out "fmspc:       50806f000000"
for k in mrtd rtmr0 rtmr1 rtmr2 rtmr3 report_data; do
	expect_in tdx4 out "expect $k: OK"
done
# the PCK leaf expires 2029-09-20
run tdx4_late 3 verify-evidence "$TDX4" --at 2030-01-01T00:00:00Z
expect_in tdx4_late err "tdx: step 5 (PCK chain)"
expect_in tdx4_late err "expired"

run tdx5 0 verify-evidence "$TDX5" --at "$AT_TDX" --expect "mrtd=$MRTD5" \
	--expect "report_data=$TDX5_RD" --json
python3 - "$TMP/tdx5.out" "$MRTD5" <<'PY' || fail "tdx5: wrong content"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tee"] == "tdx" and o["verified"] is True, o
assert o["measurements"]["mrtd"] == sys.argv[2], o
assert sorted(o["measurements"]) == ["mrconfigid", "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3"], o
assert o["fmspc"] == "90c06f000000" and o["tcb_status"] == "unknown (no collateral)", o
assert o["expectations"] == {"mrtd": True, "report_data": True}, o
PY

# the wrong verifier says why
run tdx_as_sgx 3 verify-evidence --tee sgx "$TDX4"
expect_in tdx_as_sgx err "sgx: step 1 (header)"

# -- RA-TLS certificates --------------------------------------------------------
GRAMINE=$T/ratls_gramine_sgx_cert.pem
RATS=$T/ratls_rats_tls_cert_expired.pem
if [ -r "$GRAMINE" ] && [ -r "$RATS" ]; then
	run ratls 0 verify-evidence --tee ratls "$GRAMINE" --at "$AT_TDX" \
		--expect mrenclave=0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585 \
		--expect mrsigner=adc53501f21ced9b998e37a7a18e061c63e00315045fa57a49c18ef0a30d02ca
	expect_in ratls out "ra-tls:      Gramine legacy extension, TCG DICE extension"
	expect_in ratls out "report_data: 5a5a5b2d177433048e9d62409d1acc4ec526c06e294d09e69a36cff9369e4851"
	expect_in ratls out "debug:       yes"
	run ratls_json 0 verify-evidence --tee ratls "$GRAMINE" --at "$AT_TDX" --json
	python3 - "$TMP/ratls_json.out" <<'PY' || fail "ratls_json: wrong content"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tee"] == "sgx" and o["verified"] is True and o["ratls"] == ["legacy", "dice"], o
assert o["fmspc"] == "00606a000000", o
PY
	# the rats-tls certificate expired on 2024-02-22
	run ratls_expired 3 verify-evidence --tee ratls "$RATS"
	expect_in ratls_expired err "ratls: step 2 (certificate validity): the certificate expired on 2024-02-22"
	run ratls_expired_json 3 verify-evidence --tee ratls "$RATS" --json
	expect_in ratls_expired_json out '"tee": "ratls"'
	expect_in ratls_expired_json out "expired"
	run ratls_then 0 verify-evidence --tee ratls "$RATS" --at 2023-06-01T00:00:00Z \
		--expect mrenclave=38e1b40b8c68186f359c97ecb6a89965d9d8638f2df06fbe18e84d79a266c041
	expect_in ratls_then out "ra-tls:      TCG DICE extension"
	# a quote is not a certificate; a certificate is not evidence by itself
	run ratls_quote 3 verify-evidence --tee ratls "$SGX"
	expect_in ratls_quote err "ratls: step 1 (certificate)"
	run ratls_probe 3 verify-evidence "$GRAMINE"
	expect_in ratls_probe err "not evidence of any kind"
	run ratls_bad_key 2 verify-evidence --tee ratls "$GRAMINE" --at "$AT_TDX" --expect "mrtd=00"
	expect_in ratls_bad_key err "--expect mrtd: sgx evidence has no such value"
fi

# --tee auto, and --json's per-kind fields at the top level (issue: every
# field a relying party reads, as far as parsing got)
run auto 0 verify-evidence "$TDX4" --tee auto --at 2025-07-01T00:00:00Z --json
expect_in auto out '"mrtd": "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d7215cbb"'
expect_in auto out '"rtmr1": "2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538c25a5f589c4b56d035c59107c6bc5800db2cacb61"'
expect_in auto out '"mrseam": "2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a5363c656"'
expect_in auto out '"td_attributes": "0000004000000000"'
run sgxjson 0 verify-evidence "$SGX" --at 2025-07-01T00:00:00Z --collateral "$COLL" --json
expect_in sgxjson out '"mrenclave": "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"'
expect_in sgxjson out '"isv_prod_id": "0"'
expect_in sgxjson out '"isv_svn": "0"'
expect_in sgxjson out '"tcb_status": "ConfigurationAndSWHardeningNeeded"'
# refused at step 5 (the PCK is not valid yet): the fields parsed so far are shown
run early 3 verify-evidence "$TDX5" --at 2025-01-01T00:00:00Z --json
expect_in early out '"verified": false'
expect_in early out '"step": "5 (PCK chain)"'
expect_in early out '"mrtd": "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876"'
head -c 1000 "$SGX" >"$TMP/cut.dat"
run cutjson 3 verify-evidence "$TMP/cut.dat" --tee sgx --json
expect_in cutjson out '"verified": false'
expect_in cutjson out '"step": "1 ('

if [ "$failures" != 0 ]; then
	echo "verify_evidence_dcap: $failures failure(s)" >&2
	exit 1
fi
echo "verify_evidence_dcap: all checks passed"
