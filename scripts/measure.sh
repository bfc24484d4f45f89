#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `make measure`: what a party pins in the contract's tee.measurements for
# this release build (docs/DEPLOY.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dcr=$root/build/release/dcr
"$dcr" --version
echo
echo "sim (tests and demos only): \"measurements\": {\"sim\": {\"measurement\": \"$(sha384sum "$dcr" | cut -d' ' -f1)\"}}"
echo
if command -v gramine-sgx-sign >/dev/null 2>&1 && [ -n "${CONTRACT:-}" ]; then
	echo "sgx:"
	sh "$root/scripts/sgx.sh" "$CONTRACT" | tail -2
else
	echo "sgx: MRENCLAVE covers this binary, its libraries and Gramine:"
	echo "     run 'make sgx CONTRACT=contract.json' where Gramine is installed (docs/SGX.md)."
fi
echo
echo "tdx, snp, azure-vtpm: the measurement is of the confidential VM's firmware and"
echo "     boot chain (MRTD/RTMRs, the SNP launch digest, the vTPM PCRs), not of dcr"
echo "     alone: take it from the VM image you deploy (docs/AZURE.md, 'What to pin'),"
echo "     e.g. run 'dcr attest' once against a clean room you built and booted yourself"
echo "     and pin the values it prints."
