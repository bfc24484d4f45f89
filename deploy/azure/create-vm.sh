#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Creates an Azure confidential VM running dcr (docs/AZURE.md).
#   deploy/azure/create-vm.sh --name NAME --contract FILE [--tee snp|tdx]
#        [--size SIZE] [--location LOC] [--group RG] [--repo URL] [--commit SHA]
# snp: DCasv5/ECasv5 (AMD SEV-SNP), default Standard_DC4as_v5;
# tdx: DCesv5/ECesv5 (Intel TDX), default Standard_DC4es_v5.
# Needs the az CLI, logged in (az login). The OS disk is encrypted with a
# platform key bound to the VM's guest state (DiskWithVMGuestState).
set -eu
name="" contract="" tee=snp size="" location=westeurope group="" repo="" commit=""
while [ $# -gt 0 ]; do
	case $1 in
	--name) name=$2; shift 2 ;;
	--contract) contract=$2; shift 2 ;;
	--tee) tee=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--location) location=$2; shift 2 ;;
	--group) group=$2; shift 2 ;;
	--repo) repo=$2; shift 2 ;;
	--commit) commit=$2; shift 2 ;;
	*) echo "usage: create-vm.sh --name NAME --contract FILE [--tee snp|tdx] [--size SIZE]" \
	        "[--location LOC] [--group RG] [--repo URL] [--commit SHA]" >&2; exit 2 ;;
	esac
done
[ -n "$name" ] && [ -f "$contract" ] || { echo "create-vm.sh: --name and an existing --contract are required" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
case $tee in
snp) size=${size:-Standard_DC4as_v5} ;;
tdx) size=${size:-Standard_DC4es_v5} ;;
*) echo "create-vm.sh: --tee is snp or tdx" >&2; exit 2 ;;
esac
group=${group:-dcr-$name}
repo=${repo:-$(git -C "$here/../.." remote get-url origin 2>/dev/null || echo https://github.com/dcr/dcr.git)}
commit=${commit:-$(git -C "$here/../.." rev-parse HEAD)}
command -v az >/dev/null || { echo "create-vm.sh: the az CLI is not installed" >&2; exit 1; }
dcr contract verify "$contract" >/dev/null 2>&1 ||
	echo "create-vm.sh: warning: $contract does not verify here (all parties must sign it)" >&2

custom=$(mktemp)
trap 'rm -f "$custom"' EXIT
sed -e "s|@DCR_REPO@|$repo|" -e "s|@DCR_COMMIT@|$commit|" \
    -e "s|@DCR_CONTRACT_B64@|$(base64 -w0 "$contract")|" "$here/cloud-init.yaml" >"$custom"

az group create --name "$group" --location "$location" --output none
az vm create --resource-group "$group" --name "$name" --size "$size" \
	--image Canonical:0001-com-ubuntu-confidential-vm-jammy:22_04-lts-cvm:latest \
	--security-type ConfidentialVM \
	--os-disk-security-encryption-type DiskWithVMGuestState \
	--enable-secure-boot true --enable-vtpm true \
	--admin-username azureuser --generate-ssh-keys \
	--public-ip-sku Standard --nsg-rule NONE \
	--custom-data "$custom" --output table
az vm open-port --resource-group "$group" --name "$name" --port 8080 --priority 900 --output none
ip=$(az vm show -d --resource-group "$group" --name "$name" --query publicIps -o tsv)
echo "clean room: http://$ip:8080 (give cloud-init a few minutes to build and start dcr)"
echo "each party verifies it from their own machine:"
echo "  dcr attest --server http://$ip:8080 --contract contract.json"
