#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages dcr needs to build, test and fuzz, when they
# are missing. As root on Debian/Ubuntu it runs apt-get; otherwise it prints
# the exact command to run and fails, so nothing half-works. (python3 is
# for the integration tests' independent checks; swtpm, swtpm-tools and
# tpm2-tools give the azure-vtpm test a software TPM to run against;
# systemd, git, curl, python3-yaml and cloud-init are for the deployment
# recipes test.)
set -eu

PKGS="gcc libc6-dev make cmake ninja-build pkg-config clang libclang-rt-14-dev
libsodium-dev libssl-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev
libcmocka-dev libtss2-dev python3 python3-yaml swtpm swtpm-tools tpm2-tools systemd git curl cloud-init"

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: this is not a Debian/Ubuntu system; install the equivalents of:" >&2
	echo "  $(echo $PKGS)" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: install them with:" >&2
	echo "  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -q -y --no-install-recommends $missing >/dev/null
