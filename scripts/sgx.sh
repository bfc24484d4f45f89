#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `make sgx`: dcr's Gramine manifest, filled and signed, and its MRENCLAVE.
#   scripts/sgx.sh CONTRACT [DATA_DIR]     (docs/SGX.md)
# Needs Gramine (gramine-manifest, gramine-sgx-sign) and a signing key
# (gramine-sgx-gen-private-key). Writes build/sgx/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
contract=${1:?usage: scripts/sgx.sh CONTRACT [DATA_DIR]}
data_dir=${2:-/var/lib/dcr}
for t in gramine-manifest gramine-sgx-sign; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "make sgx: $t is not installed. Install Gramine (https://gramine.readthedocs.io," >&2
		echo "  'Installing Gramine'), make a signing key with gramine-sgx-gen-private-key," >&2
		echo "  then run make sgx CONTRACT=path/to/contract.json again (docs/SGX.md)." >&2
		exit 1
	fi
done
out=$root/build/sgx
mkdir -p "$out"
contract=$(cd "$(dirname "$contract")" && pwd)/$(basename "$contract")
gramine-manifest -Dlog_level=error -Darch_libdir=/lib/x86_64-linux-gnu \
	-Ddcr_bin="$root/build/release/dcr" -Dcontract="$contract" -Ddata_dir="$data_dir" \
	-Denclave_size="${DCR_ENCLAVE_SIZE:-16G}" -Dmax_threads="${DCR_ENCLAVE_THREADS:-64}" \
	"$root/deploy/gramine/dcr.manifest.template" "$out/dcr.manifest"
gramine-sgx-sign --manifest "$out/dcr.manifest" --output "$out/dcr.manifest.sgx" |
	tee "$out/sign.log"
echo "MRENCLAVE (pin it as tee.measurements.sgx.mrenclave):"
sed -n 's/^ *mr_enclave: *//p' "$out/sign.log"
