# SPDX-License-Identifier: Apache-2.0
# POST /v1/queries, GET /v1/audit and GET /v1/budget against a real dcr
# serve: signed receipts that bind the contract, the data and the answer;
# refusals on the record; named queries; answers sealed to the analyst.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_common.bash"

make_parties
write_contract "$T/contract.json"
sign "$T/contract.json" news acme eve
impressions_csv "$T/imp.csv" 400
purchases_csv "$T/pur.csv" 150
start_server "$T/d"
req 200 PUT /v1/datasets/impressions news --body "$T/imp.csv"
req 200 PUT /v1/datasets/purchases acme --body "$T/pur.csv"

# -- an answer with its receipt ------------------------------------------------
sql="SELECT region, COUNT(*) AS n, SUM(views) AS v FROM impressions GROUP BY region ORDER BY region"
query_file "$T/q1.json" "$sql"
req 200 POST /v1/queries acme --body "$T/q1.json" --raw-out "$T/raw"
hasnt "$T/raw" "north"
cp "$T/ans" "$T/a1.json"
[ "$(jget "$T/a1.json" columns)" = \
	'[{"name":"region","type":"string"},{"name":"n","type":"int"},{"name":"v","type":"int"}]' ] ||
	fail "columns: $(cat "$T/a1.json")"
[ "$(jget "$T/a1.json" csv)" = "region,n,v
east,100,302
north,100,299
south,100,300
west,100,297" ] || fail "csv: $(jget "$T/a1.json" csv)"
run 0 hc receipt "$T/contract.json" "$T/room.pub" "$T/a1.json"
has out "receipt verified"
has out "contract: $(jget "$T/att.json" contract_hash)"
has out "tee: sim"
has out "measurement: $(sha384sum "$DCR" | cut -d' ' -f1)"
has out "analyst: acme"
has out "query: $(printf '%s' "$sql" | sha256sum | cut -d' ' -f1)"
has out "dataset: impressions $(sha256sum "$T/imp.csv" | cut -d' ' -f1) 400"
hasnt out "dataset: purchases"
has out "audit: 4"
grep -q '^time: 20[0-9-]*T[0-9:]*Z$' "$T/out" || fail "receipt time"

# a receipt over other data, or an answer changed in transit, does not verify
sed 's/east,100,302/east,100,303/' "$T/a1.json" >"$T/a1x.json"
run 3 hc receipt "$T/contract.json" "$T/room.pub" "$T/a1x.json"
run 3 hc receipt "$T/contract.json" "$T/news.pub" "$T/a1.json"

sql2="SELECT i.region, COUNT(DISTINCT p.email) AS buyers, SUM(p.amount) AS spent
FROM impressions i JOIN purchases p ON i.email = p.email GROUP BY i.region"
query_file "$T/q2.json" "$sql2"
req 200 POST /v1/queries acme --body "$T/q2.json"
cp "$T/ans" "$T/a2.json"
run 0 hc receipt "$T/contract.json" "$T/room.pub" "$T/a2.json"
has out "dataset: impressions $(sha256sum "$T/imp.csv" | cut -d' ' -f1) 400"
has out "dataset: purchases $(sha256sum "$T/pur.csv" | cut -d' ' -f1) 150"
has out "audit: 5"

# -- what is refused, and how ----------------------------------------------------
query_file "$T/q3.json" "SELECT email, region FROM impressions"
req 422 POST /v1/queries acme --body "$T/q3.json"
has "$T/ans" "rule 'id columns'"
jget "$T/ans" error >"$T/refusal"
query_file "$T/q4.json" "SELECT COUNT(*) FROM spare"
req 400 POST /v1/queries acme --body "$T/q4.json"
has "$T/ans" "dataset spare has not been uploaded yet"
query_file "$T/q5.json" "SELEKT 1"
req 400 POST /v1/queries acme --body "$T/q5.json"
has "$T/ans" "line 1, column 1"
query_file "$T/q6.json" "SELECT COUNT(*) FROM nosuch"
req 400 POST /v1/queries acme --body "$T/q6.json"
has "$T/ans" "unknown table"
req 403 POST /v1/queries news --body "$T/q1.json"
has "$T/ans" "party news is not an analyst"
req 400 POST /v1/queries acme --body "$T/q1.json" --flip 150
has "$T/ans" "not an envelope to this clean room's key"
echo '{"query": "SELECT 1"}' >"$T/bad.json"
req 400 POST /v1/queries acme --body "$T/bad.json"
has "$T/ans" '\"sql\" or \"name\"'
echo 'SELECT 1' >"$T/notjson.txt"
req 400 POST /v1/queries acme --body "$T/notjson.txt"
echo '{"name": "reach"}' >"$T/named.json"
req 400 POST /v1/queries acme --body "$T/named.json"
has "$T/ans" "no named query"

# -- budget and audit ----------------------------------------------------------------
req 200 GET /v1/budget acme
[ "$(cat "$T/ans")" = '{"analyst":"acme","dp":false}' ] || fail "budget: $(cat "$T/ans")"
req 403 GET /v1/budget eve
req 200 GET /v1/audit eve --raw-out "$T/raw"
hasnt "$T/raw" '"action"'
cp "$T/ans" "$T/audit.json"
run 0 hc audit "$T/contract.json" "$T/room.pub" "$T/audit.json"
has out "audit verified: 6 entries"
has out '"seq":4,'
has out "\"party\":\"acme\",\"action\":\"query\",\"query\":\"$sql\",\"rows\":4,\"result_hash\":\"$(
	jget "$T/a1.json" csv | head -c -1 | sha256sum | cut -d' ' -f1)\""
has out '"seq":6,'
has out '"action":"query","query":"SELECT email, region FROM impressions","refused":'
run 3 hc audit "$T/contract.json" "$T/acme.pub" "$T/audit.json"

run 0 hc request "$URL" GET /metrics --out "$T/metrics.txt"
has "$T/metrics.txt" 'dcr_queries_total{outcome="answered"} 2'
has "$T/metrics.txt" 'dcr_queries_total{outcome="refused"} 1'
has "$T/metrics.txt" 'dcr_queries_total{outcome="failed"} 3'
has "$T/metrics.txt" 'dcr_query_seconds_count 6'
has "$T/metrics.txt" 'dcr_requests_total{endpoint="queries",code="422"} 1'
hasnt "$T/metrics.txt" "north"
stop_server

# -- named queries: only they run --------------------------------------------------
named_rules=',
    "queries": [{"name": "by_region",
                 "sql": "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region"}]'
write_contract "$T/contract.json" 2099-01-01T00:00:00Z '"sim"' "$named_rules"
sign "$T/contract.json" news acme eve
start_server "$T/named"
req 200 PUT /v1/datasets/impressions news --body "$T/imp.csv"
echo '{"name": "BY_REGION"}' >"$T/named.json"
req 200 POST /v1/queries acme --body "$T/named.json"
has "$T/ans" "north,100"
run 0 hc receipt "$T/contract.json" "$T/room.pub" "$T/ans"
has out "query: $(printf '%s' "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region" |
	sha256sum | cut -d' ' -f1)"
echo '{"name": "by_region", "sql": "SELECT COUNT(*) FROM impressions"}' >"$T/mixed.json"
req 400 POST /v1/queries acme --body "$T/mixed.json"
has "$T/ans" "differs from the text of named query by_region"
req 422 POST /v1/queries acme --body "$T/q1.json"
has "$T/ans" "rule 'named queries only'"
stop_server

# -- with differential privacy: the budget -------------------------------------------
dp_rules=',
    "dp": {"epsilon_per_analyst": 3.0, "epsilon_per_query": 0.5, "delta": 1e-7,
           "max_rows_per_id": 10}'
write_contract "$T/contract.json" 2099-01-01T00:00:00Z '"sim"' "$dp_rules"
sign "$T/contract.json" news acme eve
start_server "$T/dp"
req 200 GET /v1/budget acme
[ "$(jget "$T/ans" analyst epsilon_total epsilon_spent epsilon_remaining)" = "acme 3.0 0.0 3.0" ] ||
	fail "dp budget: $(cat "$T/ans")"
req 200 PUT /v1/datasets/impressions news --body "$T/imp.csv"
# a noisy answer, its receipt saying so, and the spend on the record
req 200 POST /v1/queries acme --body "$T/q1.json"
cp "$T/ans" "$T/dp1.json"
run 0 hc receipt "$T/contract.json" "$T/room.pub" "$T/dp1.json"
has out "epsilon: 0.5"
has out "noise: column=1 mechanism=discrete-laplace"
has out "selection: mechanism=discrete-laplace"
req 200 GET /v1/budget acme
[ "$(jget "$T/ans" epsilon_spent epsilon_remaining)" = "0.5 2.5" ] ||
	fail "dp budget after a query: $(cat "$T/ans")"
# exact-only shapes are refused, and spend nothing
query_file "$T/dpq.json" "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region HAVING COUNT(*) > 3"
req 422 POST /v1/queries acme --body "$T/dpq.json"
has "$T/ans" "rule 'differential privacy': HAVING"
echo '{"sql": "SELECT COUNT(*) AS n FROM impressions", "epsilon": 2.6}' >"$T/big.json"
req 422 POST /v1/queries acme --body "$T/big.json"
has "$T/ans" "rule 'privacy budget': acme has 2.5 of its epsilon budget of 3 left"
echo '{"sql": "SELECT COUNT(*) AS n FROM impressions", "epsilon": -1}' >"$T/neg.json"
req 400 POST /v1/queries acme --body "$T/neg.json"
req 200 GET /v1/budget acme
[ "$(jget "$T/ans" epsilon_spent)" = "0.5" ] || fail "refusals spent: $(cat "$T/ans")"
stop_server
# the spend survives a restart (it is in the audit log)
start_server "$T/dp"
req 200 GET /v1/budget acme
[ "$(jget "$T/ans" epsilon_spent epsilon_remaining)" = "0.5 2.5" ] ||
	fail "dp budget after a restart: $(cat "$T/ans")"
stop_server
done_ok
