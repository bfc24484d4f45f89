#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dcr contract sign|verify|hash|show as a party uses them: two parties sign
# the DESIGN.md example, tampering and missing signatures exit 3.
set -u

: "${DCR_BIN:?DCR_BIN must point to the dcr binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dcr-contract-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
unset DCR_KEY DCR_CONTRACT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run EXPECTED_EXIT CMD...: runs CMD, stdout to out.txt, stderr to err.txt
run() {
	local want=$1 got
	shift
	"$@" >out.txt 2>err.txt
	got=$?
	if [ "$got" != "$want" ]; then
		echo "--- stdout" >&2; cat out.txt >&2
		echo "--- stderr" >&2; cat err.txt >&2
		fail "'$*' exited $got, expected $want"
	fi
}

expect_in() { # FILE TEXT
	grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 lacks '$2'"; }
}

is_json() {
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" ||
		fail "$1 is not valid JSON"
}

run 0 "$DCR_BIN" keygen --out news
run 0 "$DCR_BIN" keygen --out acme
run 0 "$DCR_BIN" keygen --out stranger
news_pub=$(cat news.pub)
acme_pub=$(cat acme.pub)
mrtd=$(printf 'ab%.0s' $(seq 48))
mrenclave=$(printf 'cd%.0s' $(seq 32))

cat >contract.json <<EOF
{
  "dcr_contract": 1,
  "id": "news-x-acme",
  "expires": "2099-12-31T00:00:00Z",
  "parties": [
    {"name": "news", "public_key": "$news_pub", "roles": ["contributor"]},
    {"name": "acme", "public_key": "$acme_pub", "roles": ["contributor", "analyst"]}
  ],
  "datasets": [
    {"name": "impressions", "owner": "news", "columns": [
      {"name": "email",    "type": "id",     "normalize": "email"},
      {"name": "region",   "type": "string", "role": "dimension"},
      {"name": "views",    "type": "int",    "role": "metric", "bounds": [0, 100]}
    ]},
    {"name": "purchases", "owner": "acme", "columns": [
      {"name": "email",    "type": "id",     "normalize": "email"},
      {"name": "category", "type": "string", "role": "dimension"},
      {"name": "day",      "type": "date",   "role": "dimension"},
      {"name": "amount",   "type": "float",  "role": "metric", "bounds": [0, 1000]},
      {"name": "note",     "type": "string", "role": "hidden"}
    ]}
  ],
  "rules": {
    "min_distinct_ids": 25,
    "joins": [["impressions.email", "purchases.email"]],
    "aggregates": ["count", "count_distinct", "sum", "avg"],
    "dp": {"epsilon_per_analyst": 3.0, "epsilon_per_query": 0.5,
           "delta": 1e-7, "max_rows_per_id": 10},
    "queries": [{"name": "reach_by_region", "sql": "SELECT region, COUNT(*) FROM impressions GROUP BY 1"}]
  },
  "tee": {"accept": ["sgx", "tdx", "snp", "azure-vtpm"],
          "measurements": {"tdx": {"mrtd": "$mrtd"}, "sgx": {"mrenclave": "$mrenclave"}}}
}
EOF
chmod 640 contract.json
cp contract.json unsigned.json

# hash: 64 hex digits, stable across a reformat
run 0 "$DCR_BIN" contract hash contract.json
hash=$(cat out.txt)
[[ "$hash" =~ ^[0-9a-f]{64}$ ]] || fail "hash printed '$hash', not 64 hex digits"
python3 -m json.tool contract.json >reformatted.json || fail "json.tool failed"
run 0 "$DCR_BIN" contract hash reformatted.json
[ "$(cat out.txt)" = "$hash" ] || fail "reformatting changed the hash"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[2], "w"), sort_keys=True, separators=(",", ":"))' \
	contract.json sorted.json || fail "python re-dump failed"
run 0 "$DCR_BIN" contract hash sorted.json
[ "$(cat out.txt)" = "$hash" ] || fail "sorting the keys changed the hash"

# an independent implementation of the canonical form (docs/CONTRACT.md)
# gets the same hash
cat >jcs.py <<'PY'
import hashlib, json, re, sys

def number(x):
    d = float(x)
    if d == 0:
        return "0"
    if d < 0:
        return "-" + number(-d)
    m = re.match(r"^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$", repr(d))
    ip, fp, ex = m.group(1), m.group(2) or "", int(m.group(3) or 0)
    lead = len(ip) if ip != "0" else -(len(fp) - len(fp.lstrip("0")))
    digits = (ip + fp).lstrip("0").rstrip("0")
    n, k = lead + ex, len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    return digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))

def canon(v):
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canon(v[k]) for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return number(v)
    return json.dumps(v, ensure_ascii=False)

doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc.pop("signatures", None)
print(hashlib.sha256(canon(doc).encode("utf-8")).hexdigest())
PY
[ "$(python3 jcs.py contract.json)" = "$hash" ] ||
	fail "the hash is not SHA-256 of the RFC 8785 form: python says $(python3 jcs.py contract.json)"

# nobody has signed yet
run 3 "$DCR_BIN" contract verify contract.json
expect_in err.txt "party news has not signed"

# one party signs: the file stays valid JSON with its mode, acme is missing
run 0 "$DCR_BIN" contract sign contract.json --key news.key
expect_in out.txt "signed contract news-x-acme as news (1 of 2 parties have signed)"
is_json contract.json
[ "$(stat -c %a contract.json)" = 640 ] || fail "sign changed the mode to $(stat -c %a contract.json)"
ls contract.json.tmp.* >/dev/null 2>&1 && fail "sign left a temporary file behind"
run 3 "$DCR_BIN" contract verify contract.json
expect_in err.txt "party acme has not signed"
cp contract.json one-signature.json

# the other signs (key from DCR_KEY, contract from DCR_CONTRACT): valid
DCR_KEY=acme.key DCR_CONTRACT=contract.json run 0 "$DCR_BIN" contract sign
expect_in out.txt "as acme (2 of 2 parties have signed)"
is_json contract.json
run 0 "$DCR_BIN" contract verify contract.json
expect_in out.txt "contract news-x-acme (hash $hash): valid, signed by all 2 parties"
DCR_CONTRACT=contract.json run 0 "$DCR_BIN" contract verify
run 0 "$DCR_BIN" contract hash contract.json
[ "$(cat out.txt)" = "$hash" ] || fail "signing changed the hash"

# one character changed: every signature fails, exit 3
sed 's/"min_distinct_ids": 25/"min_distinct_ids": 26/' contract.json >tampered.json
cmp -s contract.json tampered.json && fail "sed did not change min_distinct_ids"
run 3 "$DCR_BIN" contract verify tampered.json
expect_in err.txt "does not verify"

# a signature moved to the other party
python3 - contract.json moved.json <<'PY' || fail "python edit failed"
import json, sys
d = json.load(open(sys.argv[1]))
d["signatures"]["acme"] = d["signatures"]["news"]
json.dump(d, open(sys.argv[2], "w"))
PY
run 3 "$DCR_BIN" contract verify moved.json
expect_in err.txt "the signature of acme does not verify"

# a key that is no party's
cp contract.json before.json
run 3 "$DCR_BIN" contract sign contract.json --key stranger.key
expect_in err.txt "belongs to no party"
cmp -s contract.json before.json || fail "a refused sign changed the file"

# invalid contracts exit 3, naming the field
sed 's/"bounds": \[0, 1000\]/"bounds": [1000, 0]/' unsigned.json >invalid.json
run 3 "$DCR_BIN" contract verify invalid.json
expect_in err.txt "datasets[1].columns[3].bounds: lo (1000) is greater than hi (0)"
run 3 "$DCR_BIN" contract hash invalid.json
run 3 "$DCR_BIN" contract sign invalid.json --key news.key
printf '{"dcr_contract": 1,\n  "id": ' >syntax.json
run 3 "$DCR_BIN" contract verify syntax.json
expect_in err.txt "line 2"

# expired: verify and sign refuse, hash and show still work
sed 's/2099-12-31T00:00:00Z/2001-01-01T00:00:00Z/' unsigned.json >expired.json
run 3 "$DCR_BIN" contract verify expired.json
expect_in err.txt "expired on 2001-01-01T00:00:00Z"
run 3 "$DCR_BIN" contract sign expired.json --key news.key
run 0 "$DCR_BIN" contract hash expired.json
run 0 "$DCR_BIN" contract show expired.json
expect_in out.txt "EXPIRED"

# show: parties, signatures, datasets, rules, tee
run 0 "$DCR_BIN" contract show one-signature.json
for text in "contract news-x-acme" "$hash" "news" "acme" "contributor, analyst" \
	"signed, signature valid" "NOT SIGNED" "impressions (owner news" "purchases (owner acme" \
	"metric, bounds [0, 1000]" "normalize email" "impressions.email = purchases.email" \
	"at least 25 distinct ids" "count count_distinct sum avg" "delta 1e-07" \
	"reach_by_region" "accepted: sgx tdx snp azure-vtpm" "mrtd"; do
	expect_in out.txt "$text"
done
sed 's/"accept": \["sgx"/"accept": ["sim", "sgx"/' unsigned.json >sim.json
run 0 "$DCR_BIN" contract show sim.json
expect_in out.txt "protects NOTHING"

# I/O and usage errors
run 1 "$DCR_BIN" contract verify missing.json
expect_in err.txt "missing.json"
run 1 "$DCR_BIN" contract sign contract.json --key missing.key
run 2 "$DCR_BIN" contract frobnicate contract.json
expect_in err.txt "unknown subcommand"
run 2 "$DCR_BIN" contract
run 2 "$DCR_BIN" contract sign contract.json
expect_in err.txt "--key"
run 2 "$DCR_BIN" contract verify a.json b.json
run 2 "$DCR_BIN" contract verify --bogus contract.json
run 2 "$DCR_BIN" contract verify
run 0 "$DCR_BIN" contract --help
expect_in out.txt "Exit codes"

echo "contract_cli: ok"
