# SPDX-License-Identifier: Apache-2.0
# dcr verify-evidence on the real AMD SEV-SNP and Azure samples in
# ../shared/testdata (expected values from its SOURCES.md): the Milan report
# with its VCEK (given, or in a certificate table), tampering, validity,
# the bare Azure HCL report under --tee azure-vtpm, and DCRVTPM1 containers
# built from the real files.
. "$(dirname "$0")/lib.sh"
D=${DCR_TESTDATA:?DCR_TESTDATA must point at the test data}

REPORT=$D/snp_report_milan.bin
VCEK=$D/snp_vcek_milan.der
HCL=$D/azure_hcl_report_snp.bin
MEAS=b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01
RD=0102030405$(printf '00%.0s' $(seq 59))
CHIP=3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d
AT=--at=2026-11-25T00:00:00Z

# -- SNP: the real report and VCEK ------------------------------------------
run 0 "$DCR" verify-evidence "$REPORT" --vcek "$VCEK" "$AT"
has out "tee:         snp"
has out "measurement: $MEAS"
has out "report_data: $RD"
has out "debug:       yes (the host can read the TEE's memory)"
has out "policy:      0x00000000000b0000 (debug allowed, SMT allowed, ABI >= 0.0)"
has out "vmpl:        0"
has out "reported_tcb: 0x4405000000000002 (bootloader 2, tee 0, snp 5, microcode 68)"
has out "chip_id:     $CHIP"
has out "product:     Milan (VCEK Milan-B0)"
has out "host_data:   $(printf '00%.0s' $(seq 32))"
[ "$(tail -n 1 "$T/out")" = "evidence verified" ] || fail "last line is not 'evidence verified'"

run 0 "$DCR" verify-evidence --tee snp "$REPORT" --vcek "$VCEK" --expect "measurement=$MEAS" \
	--expect "report_data=$RD"
has out "expect measurement: OK"
has out "expect report_data: OK"
run 3 "$DCR" verify-evidence "$REPORT" --vcek "$VCEK" --expect "host_data=$(printf '11%.0s' $(seq 32))"
has err "--expect host_data"

run 0 "$DCR" verify-evidence "$REPORT" --vcek "$VCEK" --json
python3 - "$T/out" "$MEAS" "$CHIP" <<'EOF' || fail "snp --json: wrong content"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tee"] == "snp" and o["verified"] is True and o["debug"] is True, o
assert o["measurements"]["measurement"] == sys.argv[2], o
assert o["info"]["chip_id"] == sys.argv[3], o
assert o["info"]["reported_tcb"].startswith("0x4405000000000002"), o
assert o["info"]["vmpl"] == "0" and o["info"]["policy"].startswith("0x00000000000b0000"), o
assert o["timestamp"] is None, o
EOF
checks=$((checks + 1))

# no VCEK, an expired one, a report that is not yet valid
run 3 "$DCR" verify-evidence "$REPORT"
has err "snp: step 3 (vcek): no VCEK certificate"
run 3 "$DCR" verify-evidence "$REPORT" --vcek "$VCEK" --at 2030-01-01T00:00:00Z
has err "snp: step 4 (vcek chain): the VCEK has expired at 2030-01-01T00:00:00Z"
run 3 "$DCR" verify-evidence "$REPORT" --vcek "$VCEK" --at 2021-01-01T00:00:00Z
has err "snp: step 4 (vcek chain): the VCEK is not valid yet"
run 3 "$DCR" verify-evidence "$REPORT" --vcek "$D/intel_sgx_root_ca.pem"
has err "snp: step 3 (vcek)"

# flipped bytes: measurement, r, s, chip id, TCB
flip() { # flip IN OUT OFFSET
	python3 - "$1" "$2" "$3" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3], 0)] ^= 1
open(sys.argv[2], "wb").write(b)
EOF
}
for case in 0x90:6:signature 0x2A0:6:signature 0x2E8:6:signature 0x1A0:5:chip 0x180:5:tcb; do
	off=${case%%:*} rest=${case#*:}
	flip "$REPORT" "$T/flip.bin" "$off"
	run 3 "$DCR" verify-evidence "$T/flip.bin" --tee snp --vcek "$VCEK"
	has err "snp: step ${rest%%:*} (${rest#*:}"
	hasnt out "evidence verified"
done

# the report followed by a certificate table holding the VCEK (as configfs-tsm's auxblob)
python3 - "$REPORT" "$VCEK" "$T/with-table.bin" <<'EOF'
import struct, sys
rep, vcek = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
guid = bytes.fromhex("8d75da6364e66445adc5f4b93be8accd")  # 63da758d-e664-4564-adc5-f4b93be8accd
table = guid + struct.pack("<II", 48, len(vcek)) + bytes(24) + vcek
open(sys.argv[3], "wb").write(rep + table)
EOF
run 0 "$DCR" verify-evidence "$T/with-table.bin" "$AT"
has out "tee:         snp"
has out "vcek:        from the evidence's certificate table"
has out "measurement: $MEAS"

# -- Azure: the bare HCL report ------------------------------------------------
run 3 "$DCR" verify-evidence "$HCL"
has err "a bare Azure HCL report, not evidence; inspect it with --tee azure-vtpm"
run 3 "$DCR" verify-evidence --tee azure-vtpm "$HCL"
has out "a bare HCL report, not a DCRVTPM1 container: no TPM quote, so no PCRs"
has out "tee:         azure-vtpm"
has out "hcl:         version 1, report_size 1819, request_type 2, status 0, SNP report"
has out "binding:     OK: the hardware report's report data is the SHA-256 of the runtime data"
has out "ak:          HCLAkPub, RSA-2048"
has out "user_data:   absent"
has out "measurement: 5a71e4ba7e0b83e44c8e853130a65557db0a7782cdb2d906c54b0bf5878202805ab159bfe0cf7d5749aa6f62b7094508"
has out "reported_tcb: 0x7308000000000003 (bootloader 3, tee 0, snp 8, microcode 115)"
has out "policy:      0x000000000003001f"
has out "NOT VERIFIED: azure-vtpm: step 9 (hardware report): no VCEK"
hasnt out "evidence verified"
has err "no VCEK"
run 3 "$DCR" verify-evidence --tee azure-vtpm "$HCL" --vcek "$VCEK" "$AT"
has out "NOT VERIFIED: azure-vtpm: step 9 (hardware report): snp: step 5 (chip id)"
run 3 "$DCR" verify-evidence --tee azure-vtpm "$HCL" --json
python3 - "$T/out" <<'EOF' || fail "hcl --json: wrong content"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["tee"] == "azure-vtpm" and o["verified"] is False, o
assert "no VCEK" in o["error"], o
assert o["info"]["binding"].startswith("OK"), o
assert o["measurements"]["measurement"].startswith("5a71e4ba"), o
EOF
checks=$((checks + 1))
flip "$HCL" "$T/hcl-flip.bin" 0x5d0   # a byte of the runtime data JSON
run 3 "$DCR" verify-evidence --tee azure-vtpm "$T/hcl-flip.bin"
has out "binding:     FAILED"
has err "azure-vtpm: step 3 (runtime data)"

# -- Azure: DCRVTPM1 containers from the real files ------------------------------
# container HCL QUOTE SIG PCRS VCEK OUT (VCEK may be - for none)
container() {
	python3 - "$@" <<'EOF'
import struct, sys
parts = [b"" if p == "-" else open(p, "rb").read() for p in sys.argv[1:6]]
out = b"DCRVTPM1" + b"".join(struct.pack("<I", len(p)) + p for p in parts)
open(sys.argv[6], "wb").write(out)
EOF
}
Q=$D/azure_vtpm_tpm_quote
container "$HCL" "$Q.tpms_attest.bin" "$Q.rsassa_sig.bin" "$Q.pcrs_sha256_0-23.bin" - "$T/c.bin"
# the real HCL report carries no user-data: the container binds no report data
run 3 "$DCR" verify-evidence "$T/c.bin"
has err "azure-vtpm: step 4 (runtime data): the runtime data has no \"user-data\""
run 3 "$DCR" verify-evidence --json "$T/c.bin"
has out '"verified": false'
head -c 100 "$T/c.bin" >"$T/c-short.bin"
run 3 "$DCR" verify-evidence "$T/c-short.bin"
has err "azure-vtpm: step 1 (format)"
cat "$T/c.bin" "$VCEK" >"$T/c-long.bin"
run 3 "$DCR" verify-evidence --tee azure-vtpm "$T/c-long.bin"
has err "azure-vtpm: step 1 (format): 1360 bytes follow section 5"
flip "$T/c.bin" "$T/c-flip.bin" 0x7c  # the SNP report_data inside the HCL report
run 3 "$DCR" verify-evidence "$T/c-flip.bin"
has err "azure-vtpm: step 3 (runtime data)"

# A container whose TPM part is signed here (with the openssl command line
# and Python, independently of dcr) by an AK put in a synthetic runtime data
# JSON, around the real Milan report re-bound to that JSON: steps 1-8 pass,
# and the SNP report's signature (step 9) must fail, as the report changed.
if command -v openssl >/dev/null 2>&1; then
	openssl genrsa -out "$T/ak.pem" 2048 2>/dev/null || fail "openssl genrsa"
	N=$(openssl rsa -in "$T/ak.pem" -noout -modulus | cut -d= -f2)
	python3 - "$D" "$N" "$T" <<'EOF' || fail "could not assemble the synthetic container"
import base64, hashlib, struct, subprocess, sys
D, N, T = sys.argv[1:4]
rd = lambda n: open(f"{D}/{n}", "rb").read()
b64u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
hcl_real, rep, vcek = rd("azure_hcl_report_snp.bin"), rd("snp_report_milan.bin"), rd("snp_vcek_milan.der")
pcrs, q = rd("azure_vtpm_tpm_quote.pcrs_sha256_0-23.bin"), rd("azure_vtpm_tpm_quote.tpms_attest.bin")
ud = bytes([0xa5]) + bytes([0x5a]) * 63
js = ('{"keys":[{"kid":"HCLAkPub","kty":"RSA","e":"AQAB","n":"%s"}],"user-data":"%s"}'
      % (b64u(bytes.fromhex(N)), ud.hex().upper())).encode()
r = bytearray(rep)
r[0x50:0x90] = hashlib.sha256(js).digest() + bytes(32)
head = bytearray(hcl_real[:0x20]) + r + struct.pack("<5I", 20 + len(js), 1, 2, 1, len(js))
struct.pack_into("<I", head, 8, 0x4C0 + 20 + len(js))
# the real quote's header, signer name, clock and firmware; our extraData and digest
att = (q[:42] + b"\x00\x20" + hashlib.sha256(ud).digest() + q[0x35:0x58] + b"\x00\x20"
       + hashlib.sha256(pcrs).digest())
open(f"{T}/att.bin", "wb").write(att)
subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{T}/ak.pem", "-out", f"{T}/sig.bin",
                f"{T}/att.bin"], check=True)
sig = open(f"{T}/sig.bin", "rb").read()
c = lambda parts: b"DCRVTPM1" + b"".join(struct.pack("<I", len(p)) + p for p in parts)
open(f"{T}/syn.bin", "wb").write(c([bytes(head) + js, att, sig, pcrs, vcek]))
open(f"{T}/syn-novcek.bin", "wb").write(c([bytes(head) + js, att, sig, pcrs, b""]))
EOF
	run 3 "$DCR" verify-evidence "$T/syn.bin" "$AT"
	has err "azure-vtpm: step 9 (hardware report): snp: step 6 (signature)"
	run 3 "$DCR" verify-evidence "$T/syn-novcek.bin" "$AT"
	has err "azure-vtpm: step 9 (hardware report): no VCEK"
	size=$(stat -c %s "$T/syn.bin")
	flip "$T/syn.bin" "$T/syn-flip.bin" $((size - 1360 - 4 - 768 - 4 - 10)) # the signature
	run 3 "$DCR" verify-evidence "$T/syn-flip.bin" "$AT"
	has err "azure-vtpm: step 6 (quote signature)"
	flip "$T/syn.bin" "$T/syn-flip.bin" $((size - 1360 - 4 - 100)) # PCR 20
	run 3 "$DCR" verify-evidence "$T/syn-flip.bin" "$AT"
	has err "azure-vtpm: step 8 (pcrs)"
else
	echo "note: no openssl command; the synthetic container checks are skipped"
fi

done_ok
