# SPDX-License-Identifier: Apache-2.0
# dcr serve on a fake TDX (and SNP) machine: DCR_ATTEST_ROOT points at a
# device tree answered by helper_fake_tsm (a fake configfs-tsm kernel). The
# clean room starts (--tee tdx, and --tee auto finds tdx), warns that its
# sealing key is a file, serves the fake quote with its report data in
# /v1/attestation, and the client refuses that quote. On SNP the sealing key
# needs the firmware (an ioctl a fake device file cannot answer): exit 1.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_common.bash"
: "${DCR_TESTDATA:?DCR_TESTDATA must point at the shared test data}"

KERNEL=
trap 'for p in "${SERVER_PIDS[@]}" $KERNEL; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# start_kernel KIND TEMPLATE: the fake kernel on a fresh tree $T/root
start_kernel() {
	rm -rf "$T/root" "$T/ready" "$T/kernel.log"
	mkdir "$T/root"
	"$DCR_TEST_BIN/helper_fake_tsm" "$T/root" "$1" "$2" --ready "$T/ready" \
		--log "$T/kernel.log" 2>>"$T/kernel.err" &
	KERNEL=$!
	for ((i = 0; i < 200; i++)); do
		[ -e "$T/ready" ] && return
		sleep 0.05
	done
	fail "the fake kernel did not start: $(cat "$T/kernel.err")"
}

stop_kernel() {
	kill -TERM "$KERNEL"
	wait "$KERNEL" 2>/dev/null
	KERNEL=
}

make_parties
write_contract "$T/contract.json" 2099-01-01T00:00:00Z '"tdx"'
sign "$T/contract.json" news acme eve
hash=$("$DCR" contract hash "$T/contract.json" 2>/dev/null | grep -o '[0-9a-f]\{64\}' | head -n 1)
[ ${#hash} = 64 ] || fail "no contract hash"
export DCR_ATTEST_ROOT="$T/root"

# -- tdx ------------------------------------------------------------------------
start_kernel tdx "$DCR_TESTDATA/tdx_quote_v4_spr_e4.dat"
start_server "$T/d" --tee tdx
grep -qx "dcr: serving contract serve-test (${hash:0:16}) on http://127.0.0.1:[0-9]*, tee tdx" \
	"$T/serve.out" || fail "ready line: $(cat "$T/serve.out")"
has "$T/serve.err" "tdx has no hardware sealing key"
has "$T/serve.err" "$T/d/tee-sealing.key"
has "$T/serve.err" "encrypted disk"
hasnt "$T/serve.err" "SIMULATED"
[ "$(stat -c %a "$T/d/tee-sealing.key")" = 600 ] || fail "the sealing key file is not 0600"
[ "$(stat -c %s "$T/d/tee-sealing.key")" = 32 ] || fail "the sealing key file is not 32 bytes"
[ -z "$(ls -A "$T/root/sys/kernel/config/tsm/report")" ] || fail "a configfs-tsm entry was left"

# /v1/attestation: the fake quote with the report data of this contract and
# the served keys (recomputed here) at REPORTDATA (offset 568)
[ "$(jget "$T/att.json" tee contract_hash)" = "tdx $hash" ] || fail "attestation: $(cat "$T/att.json")"
jget "$T/att.json" evidence >"$T/ev.b64"
python3 - "$T/ev.b64" "$T/room.pub" "$hash" "$DCR_TESTDATA/tdx_quote_v4_spr_e4.dat" \
	"$T/kernel.log" "$T/ev.bin" <<'EOF' || fail "the served evidence is not the fake quote over this report data"
import base64, hashlib, sys
ev = base64.b64decode(open(sys.argv[1]).read().strip())
_, sign, box = open(sys.argv[2]).read().strip().split(":")
rd = hashlib.sha512(b"dcr report data v1\n" + bytes.fromhex(sys.argv[3]) +
                    base64.b64decode(sign) + base64.b64decode(box)).digest()
quote = bytearray(open(sys.argv[4], "rb").read())
quote[568:632] = rd
assert ev == bytes(quote), "evidence differs from the template with the report data"
log = open(sys.argv[5]).read().split()
assert log == ["tdx", log[1], rd.hex()], log   # one request, this report data
open(sys.argv[6], "wb").write(ev)
EOF
checks=$((checks + 1))

# the parties refuse it: the quote's signature no longer matches (exit 3).
# A build without the tdx verifier cannot check tdx at all (exit 1).
"$DCR" verify-evidence --tee tdx "$T/ev.bin" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" = 1 ] && grep -q "the tdx verifier is not built" "$T/err"; then
	run 1 "$DCR" attest --server "$URL" --contract "$T/contract.json"
	has err "this build cannot verify tdx evidence"
else
	[ "$rc" = 3 ] || fail "verify-evidence on a fake quote exited $rc, expected 3: $(cat "$T/err")"
	run 3 "$DCR" attest --server "$URL" --contract "$T/contract.json"
	# the room itself could not verify it either, and said so
	has "$T/serve.err" "tdx: this clean room cannot verify its own evidence here"
fi
stop_server

# a restart: the same sealing key file opens the same room keys
cp "$T/d/tee-sealing.key" "$T/key.before"
cp "$T/room.pub" "$T/room.before"
start_server "$T/d" --tee auto
grep -q ", tee tdx$" "$T/serve.out" || fail "--tee auto did not find the fake tdx: $(cat "$T/serve.out")"
cmp -s "$T/d/tee-sealing.key" "$T/key.before" || fail "the sealing key changed on restart"
cmp -s "$T/room.pub" "$T/room.before" || fail "the room keys changed on restart"
checks=$((checks + 2))
stop_server

# a sealing key file others can read is refused
chmod 644 "$T/d/tee-sealing.key"
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee tdx --listen 127.0.0.1:0
has err "chmod 600"
chmod 600 "$T/d/tee-sealing.key"

# another process writes to the entry: serve refuses to start (exit 1)
stop_kernel
rm -rf "$T/root"
mkdir "$T/root"
"$DCR_TEST_BIN/helper_fake_tsm" "$T/root" tdx "$DCR_TESTDATA/tdx_quote_v4_spr_e4.dat" \
	--ready "$T/ready2" --race 2>>"$T/kernel.err" &
KERNEL=$!
for ((i = 0; i < 200; i++)); do [ -e "$T/ready2" ] && break; sleep 0.05; done
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee tdx --listen 127.0.0.1:0
has err "another process wrote to the configfs-tsm report"
stop_kernel

# -- snp: no firmware behind the fake /dev/sev-guest ----------------------------
write_contract "$T/snp.json" 2099-01-01T00:00:00Z '"snp"'
sign "$T/snp.json" news acme eve
start_kernel snp "$DCR_TESTDATA/snp_report_milan.bin"
run 1 "$DCR" serve --contract "$T/snp.json" --data-dir "$T/snp" --tee snp --listen 127.0.0.1:0
has err "sealing key: snp: derived key: "
has err "SNP_GET_DERIVED_KEY"
stop_kernel

# -- nothing under the root: --tee tdx is not here ------------------------------
rm -rf "$T/root"
mkdir "$T/root"
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee tdx --listen 127.0.0.1:0
has err "no tdx TEE found on this machine"
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee auto --listen 127.0.0.1:0
has err "the contract does not accept sim"

done_ok
