#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the release dcr as `make release` does (reproducible: the same
# commit gives the same bytes, docs/DEPLOY.md) and installs it as
# PREFIX/bin/dcr. The Dockerfile's build stage runs this; so does CI, on the
# host (tests/integration/deploy_recipes.sh).
#   deploy/build-release.sh [PREFIX]      (default /usr/local)
# DCR_BUILD_DIR chooses the build directory (default build/release).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-/usr/local}
build=${DCR_BUILD_DIR:-$src/build/release}
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDCR_TESTS=OFF >/dev/null
cmake --build "$build" --target dcr
install -D -m 0755 "$build/dcr" "$prefix/bin/dcr"
"$prefix/bin/dcr" --version
