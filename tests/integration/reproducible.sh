# SPDX-License-Identifier: Apache-2.0
# A release build is reproducible: the same commit built in two directories
# with different names (and lengths) gives a byte-identical dcr, and
# `dcr --version` names the commit and the binary's own SHA-256.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
: "${DCR_SRCDIR:?}"
command -v git >/dev/null || fail "git is needed to take the commit"
[ -d "$DCR_SRCDIR/.git" ] || [ -f "$DCR_SRCDIR/.git" ] || fail "$DCR_SRCDIR is not a git checkout"

commit=$(git -C "$DCR_SRCDIR" rev-parse HEAD)
build() { # DIR: a clone of HEAD, built as `make release` builds it (the dcr target)
	git clone -q "$DCR_SRCDIR" "$1" || fail "git clone"
	cmake -S "$1" -B "$1/build/release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDCR_TESTS=OFF \
		>"$T/cmake.out" 2>&1 || fail "cmake: $(tail -5 "$T/cmake.out")"
	cmake --build "$1/build/release" --target dcr >"$T/build.out" 2>&1 ||
		fail "build: $(tail -5 "$T/build.out")"
}
build "$T/a"
build "$T/somewhere-else/with a longer name"
a=$T/a/build/release/dcr
b="$T/somewhere-else/with a longer name/build/release/dcr"
cmp -s "$a" "$b" || fail "two builds of $commit differ: $(cmp "$a" "$b" | head -1)"
checks=$((checks + 1))
# no build path inside
grep -qa "$T" "$a" && fail "the binary names its build directory"
checks=$((checks + 1))
run 0 "$a" --version
has out "commit $commit"
has out "sha256 $(sha256sum "$a" | cut -d' ' -f1)"
done_ok
