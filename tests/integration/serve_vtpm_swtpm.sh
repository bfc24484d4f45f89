# SPDX-License-Identifier: Apache-2.0
# dcr serve --tee azure-vtpm (and --tee auto) against a software TPM this test
# starts and prepares as Azure's HCL would: the ready line, the sealing key
# warning, /v1/attestation carrying a "DCRVTPM1" container whose quote binds
# this contract's report data, and the client refusing it (the HCL report is
# fake). Exits 77 (ctest: skipped) only when swtpm or tpm2-tools is missing.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_common.bash"

for tool in swtpm tpm2_nvdefine; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "*** SKIPPED: needs swtpm and tpm2-tools (make deps) ***" >&2
		exit 77
	fi
done

SWTPM_PID=
trap 'for p in "${SERVER_PIDS[@]}" $SWTPM_PID; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# a loopback port P with P + 1 free as well (swtpm's server and control)
port=$(python3 -c '
import socket
for _ in range(50):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    try:
        t = socket.socket(); t.bind(("127.0.0.1", p + 1)); t.close(); print(p); break
    except OSError:
        pass
')
[ -n "$port" ] || fail "no free ports"
mkdir "$T/tpm"
swtpm socket --tpm2 --daemon --pid file="$T/tpm/pid" --tpmstate dir="$T/tpm" \
	--flags not-need-init,startup-clear \
	--server type=tcp,port="$port",bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 >"$T/tpm/log" 2>&1 ||
	fail "swtpm does not start: $(cat "$T/tpm/log")"
SWTPM_PID=$(cat "$T/tpm/pid")
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
tpm() {
	"$@" >>"$T/tpm/log" 2>&1 || fail "$*: $(tail -n 3 "$T/tpm/log")"
}
tpm tpm2_nvdefine -C o -s 64 -a 'ownerread|ownerwrite|authread|authwrite' 0x01400002
tpm tpm2_nvdefine -C o -s 1500 -a 'ownerread|ownerwrite|authread|authwrite' 0x01400001
{ printf 'HCLA'; head -c 1496 /dev/zero | tr '\0' 'h'; } >"$T/hcl.bin"
tpm tpm2_nvwrite -C o -i "$T/hcl.bin" 0x01400001
tpm tpm2_createprimary -C o -G rsa2048:rsassa-sha256:null \
	-a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda' -c "$T/ak.ctx"
tpm tpm2_evictcontrol -C o -c "$T/ak.ctx" 0x81000003
tpm tpm2_readpublic -c 0x81000003 -f pem -o "$T/ak.pem"

make_parties
write_contract "$T/contract.json" 2099-01-01T00:00:00Z '"azure-vtpm"'
sign "$T/contract.json" news acme eve
hash=$("$DCR" contract hash "$T/contract.json" 2>/dev/null | grep -o '[0-9a-f]\{64\}' | head -n 1)
export DCR_ATTEST_ROOT="$T/noroot" # no other TEE devices: auto finds the TPM alone
mkdir "$T/noroot"

start_server "$T/d" --tee auto
grep -qx "dcr: serving contract serve-test (${hash:0:16}) on http://127.0.0.1:[0-9]*, tee azure-vtpm" \
	"$T/serve.out" || fail "ready line: $(cat "$T/serve.out")"
has "$T/serve.err" "azure-vtpm has no hardware sealing key"
has "$T/serve.err" "$T/d/tee-sealing.key"
[ "$(jget "$T/att.json" tee)" = "azure-vtpm" ] || fail "attestation: $(cat "$T/att.json")"
jget "$T/att.json" evidence >"$T/ev.b64"
python3 - "$T/ev.b64" "$T/room.pub" "$hash" "$T/hcl.bin" "$T/ak.pem" "$T/ev.bin" <<'EOF' ||
import base64, hashlib, struct, subprocess, sys
ev = base64.b64decode(open(sys.argv[1]).read().strip())
_, sign, box = open(sys.argv[2]).read().strip().split(":")
rd = hashlib.sha512(b"dcr report data v1\n" + bytes.fromhex(sys.argv[3]) +
                    base64.b64decode(sign) + base64.b64decode(box)).digest()
assert ev[:8] == b"DCRVTPM1"
off, sec = 8, []
for _ in range(5):
    n, = struct.unpack_from("<I", ev, off); off += 4
    sec.append(ev[off:off + n]); off += n
assert off == len(ev), "bytes after section 5"
assert sec[0] == open(sys.argv[4], "rb").read(), "HCL report"
q = sec[1]
assert q[:6] == bytes.fromhex("ff5443478018"), "TPMS_ATTEST magic and type"
signer, = struct.unpack_from(">H", q, 6)
n, = struct.unpack_from(">H", q, 8 + signer)
assert q[10 + signer:10 + signer + n] == hashlib.sha256(rd).digest(), "extraData"
assert q[-32:] == hashlib.sha256(sec[3]).digest() and len(sec[3]) == 768, "PCR digest"
assert len(sec[4]) == 0, "VCEK section"
open(sys.argv[6] + ".msg", "wb").write(q)
open(sys.argv[6] + ".sig", "wb").write(sec[2])
open(sys.argv[6], "wb").write(ev)
EOF
	fail "the served evidence is not a container over this report data"
checks=$((checks + 1))
openssl dgst -sha256 -verify "$T/ak.pem" -signature "$T/ev.bin.sig" "$T/ev.bin.msg" >/dev/null ||
	fail "the quote's signature does not verify with the AK"
checks=$((checks + 1))

# the parties refuse it: the HCL report is fake (exit 3); a build without
# the azure-vtpm verifier cannot check it at all (exit 1)
"$DCR" verify-evidence --tee azure-vtpm "$T/ev.bin" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" = 1 ] && grep -q "the azure-vtpm verifier is not built" "$T/err"; then
	run 1 "$DCR" attest --server "$URL" --contract "$T/contract.json"
	has err "this build cannot verify azure-vtpm evidence"
else
	[ "$rc" = 3 ] || fail "verify-evidence on a fake HCL report exited $rc, expected 3: $(cat "$T/err")"
	run 3 "$DCR" attest --server "$URL" --contract "$T/contract.json"
	# the room itself could not verify it either, and said so
	has "$T/serve.err" "azure-vtpm: this clean room cannot verify its own evidence here"
fi
stop_server

# without the AK the clean room does not start (exit 1)
tpm tpm2_evictcontrol -C o -c 0x81000003
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee azure-vtpm \
	--listen 127.0.0.1:0
has err "the attestation key at 0x81000003"

done_ok
