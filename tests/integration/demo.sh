# SPDX-License-Identifier: Apache-2.0
# dcr demo, as `make demo` runs it: every step succeeds, the files it leaves
# are real (the CLI verifies its contract), and the insecurity is loud.
. "$(dirname "$0")/lib.sh"

run 0 "$DCR" demo --dir "$T/d"
has out "SIMULATED TEE"
has out "NOT SECURE"
has out "signed by news"
has out "signed by acme"
has out "valid, signed by all 2 parties"
has out "min_distinct_ids 25 -> 21: refused"
has out "evidence: 224 bytes"
has out "matches its pin"
has out "offered with other keys: refused"
has out "step 4 (report data)"
has err "SIMULATED"

# what it left is what the real commands accept
for f in news.key news.pub acme.key acme.pub contract.json room/sim-platform.key; do
	[ -f "$T/d/$f" ] || fail "demo did not leave $f"
done
[ "$(stat -c %a "$T/d/news.key")" = 600 ] || fail "news.key is not 0600"
run 0 "$DCR" contract verify "$T/d/contract.json"
has out "signed by all 2 parties"
run 0 "$DCR" contract show "$T/d/contract.json"
has out "impressions"
has out "purchases"

# the pinned measurement is this binary's SHA-384
m=$(sha384sum "$DCR" | cut -d' ' -f1)
grep -q "\"$m\"" "$T/d/contract.json" || fail "contract does not pin the dcr binary's SHA-384"

# a second demo into the same directory refuses to overwrite the keys
run 1 "$DCR" demo --dir "$T/d"
has err "already exists"
run 2 "$DCR" demo --frob
run 2 "$DCR" demo extra
done_ok
