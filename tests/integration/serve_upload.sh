# SPDX-License-Identifier: Apache-2.0
# PUT /v1/datasets/{name} against a real dcr serve: the owner's upload (with
# the signature as a header or as a trailer), every authentication failure,
# role, malformed and mismatched CSV (the previous version stays), tampered
# envelopes, limits, and a re-upload that replaces.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_common.bash"

make_parties
write_contract "$T/contract.json"
sign "$T/contract.json" news acme eve
impressions_csv "$T/imp.csv" 400
start_server "$T/d"

query_file "$T/count.json" "SELECT COUNT(*) AS n FROM impressions"
count_impressions() {
	req 200 POST /v1/queries acme --body "$T/count.json"
	jget "$T/ans" csv | sed -n 2p
}

# -- the owner uploads --------------------------------------------------------
req 200 PUT /v1/datasets/impressions news --body "$T/imp.csv"
size=$(stat -c %s "$T/imp.csv")
[ "$(jget "$T/ans" dataset rows bytes audit_seq)" = "impressions 400 $size 2" ] ||
	fail "answer: $(cat "$T/ans")"
[ "$(jget "$T/ans" content_hash)" = "$(sha256sum "$T/imp.csv" | cut -d' ' -f1)" ] ||
	fail "content_hash is not the SHA-256 of the CSV"
[ -f "$T/d/datasets/impressions.sealed" ] || fail "no sealed file"
grep -q "north" "$T/d/datasets/impressions.sealed" && fail "the stored dataset is in clear"
[ "$(count_impressions)" = 400 ] || fail "the table does not have 400 rows"

# a streamed (chunked) upload signs in a trailer
purchases_csv "$T/pur.csv" 3000
req 200 PUT /v1/datasets/purchases acme --body "$T/pur.csv" --chunked
[ "$(jget "$T/ans" rows)" = 3000 ] || fail "chunked: $(cat "$T/ans")"

# -- who may upload --------------------------------------------------------------
req 403 PUT /v1/datasets/impressions acme --body "$T/imp.csv"
has "$T/ans" "only the owner of dataset impressions (party news)"
req 404 PUT /v1/datasets/nosuch news --body "$T/imp.csv"
has "$T/ans" "no dataset"
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --party mallory
has "$T/ans" "unknown party"
req 401 PUT /v1/datasets/purchases news --body "$T/pur.csv" --party acme
has "$T/ans" "bad signature"
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --bad-signature
has "$T/ans" "bad signature"
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --timestamp $(($(date +%s) - 1000))
has "$T/ans" "stale timestamp"
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --timestamp $(($(date +%s) + 1000))
has "$T/ans" "stale timestamp"
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --nonce 00112233
has "$T/ans" "X-Dcr-Nonce"
nonce=0123456789abcdef0123456789abcdef
req 200 PUT /v1/datasets/impressions news --body "$T/imp.csv" --nonce $nonce
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --nonce $nonce
has "$T/ans" "reused nonce"
got=$(hc request "$URL" GET /v1/audit --out "$T/ans")
[ "$got" = 401 ] || fail "an unsigned GET /v1/audit got $got"
has "$T/ans" "X-Dcr-Party"
# a tampered body: signed after tampering the envelope breaks; before, the signature
req 400 PUT /v1/datasets/impressions news --body "$T/imp.csv" --flip 300
has "$T/ans" "not an envelope to this clean room's key"
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --flip-after 300
req 401 PUT /v1/datasets/impressions news --body "$T/imp.csv" --flip-after 300 --chunked
has "$T/ans" "bad signature"
req 400 PUT /v1/datasets/impressions news --raw "$T/imp.csv"
has "$T/ans" "not an envelope"
[ "$(count_impressions)" = 400 ] || fail "a refused upload changed the dataset"

# -- bad CSV: refused whole, with line and column, never a value ----------------
awk -F, -v OFS=, 'NR == 7 { $3 = "SECRETVALUE" } 1' "$T/imp.csv" >"$T/bad.csv"
req 400 PUT /v1/datasets/impressions news --body "$T/bad.csv"
has "$T/ans" "line 7"
has "$T/ans" "views"
hasnt "$T/ans" "SECRETVALUE"
hasnt "$T/serve.err" "SECRETVALUE"
req 400 PUT /v1/datasets/impressions news --body "$T/bad.csv" --chunked
has "$T/ans" "line 7"
sed '5s/^[0-9a-f]*,/alice@example.com,/' "$T/imp.csv" >"$T/badid.csv"
req 400 PUT /v1/datasets/impressions news --body "$T/badid.csv"
has "$T/ans" "line 5"
has "$T/ans" "email"
hasnt "$T/ans" "alice"
{ echo "email,region,clicks"; tail -n +2 "$T/imp.csv"; } >"$T/schema.csv"
req 409 PUT /v1/datasets/impressions news --body "$T/schema.csv"
has "$T/ans" "does not match the schema"
has "$T/ans" "views"
printf '' >"$T/empty.csv"
req 400 PUT /v1/datasets/impressions news --body "$T/empty.csv"
[ "$(count_impressions)" = 400 ] || fail "a refused CSV changed the dataset"

# -- a re-upload replaces ----------------------------------------------------------
impressions_csv "$T/imp2.csv" 120
req 200 PUT /v1/datasets/impressions news --body "$T/imp2.csv"
[ "$(count_impressions)" = 120 ] || fail "the re-upload did not replace the dataset"
ls "$T/d/datasets" | grep -v '\.sealed$' && fail "stray files in the datasets directory"

req 200 GET /v1/audit eve
cp "$T/ans" "$T/audit.json"
run 0 hc audit "$T/contract.json" "$T/room.pub" "$T/audit.json"
[ "$(grep -c '"action":"upload"' "$T/out")" = 4 ] || fail "not 4 upload entries: $(cat "$T/out")"
has out '"party":"news","action":"upload","dataset":"impressions","rows":120'
hasnt out '"rows":7'

run 0 hc request "$URL" GET /metrics --out "$T/metrics.txt"
has "$T/metrics.txt" "dcr_uploads_total 4"
has "$T/metrics.txt" "dcr_upload_rows_total $((400 + 3000 + 400 + 120))"
has "$T/metrics.txt" 'dcr_requests_total{endpoint="datasets",code="401"} 9'
has "$T/metrics.txt" 'dcr_requests_total{endpoint="datasets",code="403"} 1'
has "$T/metrics.txt" 'dcr_requests_total{endpoint="datasets",code="409"} 1'
hasnt "$T/metrics.txt" "north"
stop_server

# -- limits ----------------------------------------------------------------------
start_server "$T/d" --max-upload 2000
req 413 PUT /v1/datasets/impressions news --body "$T/imp.csv"
has "$T/ans" "larger than"
got=$(hc request "$URL" PUT /v1/datasets/impressions --key "$T/news.key" --party news \
	--room "$T/room.pub" --body "$T/imp.csv" --chunked 2>/dev/null)
[ "$got" = 000 ] || [ "$got" = 413 ] || fail "an oversized chunked upload got $got"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$T/big.json"
req 413 POST /v1/queries acme --raw "$T/big.json"
[ "$(count_impressions)" = 120 ] || fail "an oversized upload changed the dataset"
stop_server
done_ok
