# SPDX-License-Identifier: Apache-2.0
# dcr serve and its data directory under crashes and tampering: kill -9
# after and during uploads loses nothing acknowledged; a dataset file with a
# flipped byte is refused at start while the others are served; an older
# sealed file put back is named in the audit log.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_common.bash"

make_parties
write_contract "$T/contract.json"
sign "$T/contract.json" news acme eve
impressions_csv "$T/imp.csv" 400
purchases_csv "$T/pur.csv" 150
impressions_csv "$T/big.csv" 40000
query_file "$T/count_imp.json" "SELECT COUNT(*) AS n FROM impressions"
query_file "$T/count_pur.json" "SELECT COUNT(*) AS n FROM purchases"

# count DATASET: rows of the dataset as the clean room answers
count() {
	req 200 POST /v1/queries acme --body "$T/count_$1.json"
	jget "$T/ans" csv | sed -n 2p
}

audit_check() {
	req 200 GET /v1/audit news
	cp "$T/ans" "$T/audit.json"
	run 0 hc audit "$T/contract.json" "$T/room.pub" "$T/audit.json"
}

# -- kill -9 after acknowledged uploads -----------------------------------------
start_server "$T/d"
req 200 PUT /v1/datasets/impressions news --body "$T/imp.csv"
req 200 PUT /v1/datasets/purchases acme --body "$T/pur.csv" --chunked
cp "$T/room.pub" "$T/room1.pub"
kill -9 "$PID"
wait "$PID" 2>/dev/null

start_server "$T/d"
cmp -s "$T/room.pub" "$T/room1.pub" || fail "the room's key changed after kill -9"
[ "$(count imp)" = 400 ] || fail "impressions lost after kill -9"
[ "$(count pur)" = 150 ] || fail "purchases lost after kill -9"
audit_check
has out "audit verified: 6 entries"
[ "$(grep -c '"action":"upload"' "$T/out")" = 2 ] || fail "upload entries lost"
[ "$(grep -c '"action":"start"' "$T/out")" = 2 ] || fail "not two start entries"

# -- kill -9 during an upload: the previous version stays -----------------------------
hc request "$URL" PUT /v1/datasets/impressions --key "$T/news.key" --party news \
	--room "$T/room.pub" --body "$T/big.csv" --chunked --slow 40 >/dev/null 2>&1 &
upload=$!
sleep 0.4
kill -9 "$PID"
wait "$PID" 2>/dev/null
wait "$upload" 2>/dev/null
ls "$T/d/datasets" | grep -q '\.tmp\.' || fail "no upload was under way at the kill"
start_server "$T/d"
ls "$T/d/datasets" | grep '\.tmp\.' && fail "the interrupted upload's file is still there"
[ "$(count imp)" = 400 ] || fail "an interrupted upload changed impressions"
audit_check
[ "$(grep -c '"action":"upload"' "$T/out")" = 2 ] || fail "an interrupted upload is in the log"
req 200 PUT /v1/datasets/impressions news --body "$T/big.csv"
[ "$(count imp)" = 40000 ] || fail "the big upload after a crash"
kill -9 "$PID"
wait "$PID" 2>/dev/null
start_server "$T/d"
[ "$(count imp)" = 40000 ] || fail "the big upload lost after kill -9"
stop_server

# -- a flipped byte in a stored dataset: that one is refused, the others served --------
cp "$T/d/datasets/purchases.sealed" "$T/purchases.good"
hc flip "$T/d/datasets/purchases.sealed" mid || fail "flip"
start_server "$T/d"
has "$T/serve.err" "dataset purchases: REFUSED"
[ "$(count imp)" = 40000 ] || fail "impressions not served beside a damaged dataset"
req 400 POST /v1/queries acme --body "$T/count_pur.json"
has "$T/ans" "dataset purchases has not been uploaded yet"
req 200 PUT /v1/datasets/purchases acme --body "$T/pur.csv"
[ "$(count pur)" = 150 ] || fail "a re-upload does not replace a damaged dataset"
stop_server

# -- an older sealed file put back is served only with an audit entry naming it ----------
purchases_csv "$T/pur2.csv" 90
start_server "$T/d"
req 200 PUT /v1/datasets/purchases acme --body "$T/pur2.csv"
stop_server
cp "$T/purchases.good" "$T/d/datasets/purchases.sealed"
start_server "$T/d"
has "$T/serve.err" "dataset purchases: the stored version"
[ "$(count pur)" = 150 ] || fail "the older file is not what is served"
audit_check
h=$(sha256sum "$T/pur.csv" | cut -d' ' -f1)
has out '"party":"acme","action":"upload","dataset":"purchases","rows":150,'
has out "\"rows\":150,\"content_hash\":\"$h\""
has out "\"content_hash\":\"$h\",\"recovered\":true"
stop_server
start_server "$T/d"
audit_check
[ "$(grep -c '"recovered":true' "$T/out")" = 1 ] || fail "a restart recorded the version again"
stop_server
done_ok
