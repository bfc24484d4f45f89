# SPDX-License-Identifier: Apache-2.0
# dcr demo, as `make demo` runs it: every step succeeds, the files it leaves
# are real (the CLI verifies its contract), and the insecurity is loud.
. "$(dirname "$0")/lib.sh"

run 0 "$DCR" demo --dir "$T/d"
has out "SIMULATED TEE"
has out "NOT SECURE"
has out "signed contract demo-news-x-acme as news"
has out "signed contract demo-news-x-acme as acme"
has out "valid, signed by all 2 parties"
has out "dcr: serving contract demo-news-x-acme"
has out "(pinned by the contract: matches)"
has out "the evidence binds this contract's hash and the room key"
has out "uploaded:      impressions"
has out "uploaded:      purchases"
has out "east   |"
has out "no yachts row"
has out "refused with exit code 4"
has out "refused by the clean room (HTTP 422): rule 'id columns'"
has out "verified: 6 entries"
has err "SIMULATED"

# what it left is what the real commands accept
for f in news.key news.pub acme.key acme.pub contract.json room/sim-platform.key \
	room/room.sealed room/contract.sealed room/audit.log room/datasets/impressions.sealed; do
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
has out "already exists"
has err "keygen news exited 1"
run 2 "$DCR" demo --frob
run 2 "$DCR" demo extra
done_ok
