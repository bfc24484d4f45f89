# SPDX-License-Identifier: Apache-2.0
# The clean room end to end through the real command line only, as two
# organisations would use it (README, docs/CLI.md): keys, a contract both
# sign, `dcr serve --tee sim`, then `dcr attest`, `upload`, `query`, `audit`
# and `budget`. Every privacy rule of docs/PRIVACY.md is tried allowed and
# refused (exit 4, the rule named), with outsiders, wrong roles, a room that
# runs another contract, a restart after kill -9, and nothing readable at rest.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
: "${DCR_TEST_BIN:?}"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

for p in news acme bank eve; do
	run 0 "$DCR" keygen --out "$T/$p"
done

# contract.json: news publishes, acme buys and analyses, bank only
# contributes; eve is no party. k = 5.
cat >"$T/contract.json" <<EOF
{
  "dcr_contract": 1,
  "id": "e2e-news-x-acme",
  "expires": "2099-01-01T00:00:00Z",
  "parties": [
    {"name": "news", "public_key": "$(cat "$T/news.pub")", "roles": ["contributor"]},
    {"name": "acme", "public_key": "$(cat "$T/acme.pub")", "roles": ["contributor", "analyst"]},
    {"name": "bank", "public_key": "$(cat "$T/bank.pub")", "roles": ["contributor"]}
  ],
  "datasets": [
    {"name": "impressions", "owner": "news", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "region", "type": "string", "role": "dimension"},
      {"name": "views", "type": "int", "role": "metric", "bounds": [0, 100]},
      {"name": "cookie", "type": "string", "role": "hidden"}
    ]},
    {"name": "purchases", "owner": "acme", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "category", "type": "string", "role": "dimension"},
      {"name": "amount", "type": "float", "role": "metric", "bounds": [0, 1000]}
    ]},
    {"name": "accounts", "owner": "bank", "columns": [
      {"name": "phone", "type": "id", "normalize": "phone"},
      {"name": "tier", "type": "string", "role": "dimension"}
    ]}
  ],
  "rules": {
    "min_distinct_ids": 5,
    "joins": [["impressions.email", "purchases.email"]],
    "aggregates": ["count", "count_distinct", "sum"]
  },
  "tee": {"accept": ["sim"]}
}
EOF
run 3 "$DCR" contract verify "$T/contract.json"
run 0 "$DCR" contract sign "$T/contract.json" --key "$T/news.key"
run 3 "$DCR" contract verify "$T/contract.json"
has err "acme"
run 0 "$DCR" contract sign "$T/contract.json" --key "$T/acme.key"
run 0 "$DCR" contract sign "$T/contract.json" --key "$T/bank.key"
run 3 "$DCR" contract sign "$T/contract.json" --key "$T/eve.key"
run 0 "$DCR" contract verify "$T/contract.json"

# impressions: 60 people with messy emails; north 0-29, south 30-56, and
# three on the islands (fewer than k). purchases: people 0-39, written
# cleanly, plus a row without an email.
{
	echo "email,region,views,cookie"
	for i in $(seq 0 59); do
		r=north; [ "$i" -ge 30 ] && r=south; [ "$i" -ge 57 ] && r=islands
		echo "  User$i@Example.COM ,$r,$((i % 10)),ck-$i"
	done
} >"$T/imp.csv"
{
	echo "email,category,amount"
	for i in $(seq 0 39); do
		c=books; [ $((i % 2)) = 1 ] && c=games
		echo "user$i@example.com,$c,$i.5"
	done
	echo ",books,999"
} >"$T/pur.csv"
printf 'phone,tier\n+44 20 7946 0000,gold\n' >"$T/acc.csv"

# serve: URL from the ready line
serve() {
	: >"$T/serve.out"
	"$DCR" serve --contract "$1" --data-dir "$T/room" --listen 127.0.0.1:0 --tee sim \
		>"$T/serve.out" 2>>"$T/serve.err" &
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 600); do
		grep -q '^dcr: serving contract' "$T/serve.out" && break
		kill -0 "$PID" 2>/dev/null || fail "dcr serve exited: $(tail -n 5 "$T/serve.err")"
		sleep 0.05
	done
	URL=$(sed -n 's/^dcr: serving contract .* on \(http:[^,]*\), tee .*/\1/p' "$T/serve.out")
	[ -n "$URL" ] || fail "no ready line: $(cat "$T/serve.out")"
}
serve "$T/contract.json"
export DCR_SERVER=$URL DCR_CONTRACT=$T/contract.json

run 0 "$DCR" attest
has out "SIMULATED, NOT SECURE"
has out "e2e-news-x-acme"

# -- uploads: only the owner; the summary counts what was skipped ----------------
run 4 "$DCR" upload --key "$T/acme.key" --dataset impressions "$T/imp.csv"
has err "news"
run 3 "$DCR" upload --key "$T/eve.key" --dataset impressions "$T/imp.csv"
run 2 "$DCR" upload --key "$T/news.key" --dataset nosuch "$T/imp.csv"
run 0 "$DCR" upload --key "$T/news.key" --dataset impressions "$T/imp.csv"
has out "60"
run 0 "$DCR" upload --key "$T/acme.key" --dataset purchases "$T/pur.csv"
has out "40"
grep -qiE 'skipped.*1|1.*skipped' "$T/out" || fail "the row without an email was not counted: $(cat "$T/out")"
run 0 "$DCR" upload --key "$T/bank.key" --dataset accounts "$T/acc.csv"
# a malformed file is refused whole; the previous version stays
printf 'email,region,views,cookie\na@b.c,north,seven,x\n' >"$T/bad.csv"
run 1 "$DCR" upload --key "$T/news.key" --dataset impressions "$T/bad.csv"
has err "line 2, column views"
hasnt err "seven"

# q ARGS...: a query as acme
q() { "$DCR" query --key "$T/acme.key" "$@"; }

# -- allowed, with exact answers ----------------------------------------------
run 0 q "SELECT region, COUNT(DISTINCT email) AS people, SUM(views) AS v
	FROM impressions GROUP BY region ORDER BY region"
[ "$(cat "$T/out")" = "region,people,v
north,30,135
south,27,111" ] || fail "per region: $(cat "$T/out")"
# the three islanders are dropped without a trace, also from totals by LIMIT
run 0 q "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region ORDER BY n LIMIT 1"
[ "$(cat "$T/out")" = "region,n
south,27" ] || fail "k before LIMIT: $(cat "$T/out")"
# messy and clean emails meet in the join (normalised, then hashed)
run 0 q --receipt "$T/receipt.txt" "SELECT i.region, COUNT(DISTINCT i.email) AS buyers,
	SUM(p.amount) AS spent FROM impressions i JOIN purchases p ON i.email = p.email
	GROUP BY i.region ORDER BY 1"
[ "$(cat "$T/out")" = "region,buyers,spent
north,30,450.0
south,10,350.0" ] || fail "join: $(cat "$T/out")"
has "$T/receipt.txt" "signature: "
has "$T/receipt.txt" "$("$DCR" contract hash "$T/contract.json")"
run 0 q --format json "SELECT p.category, COUNT(DISTINCT p.email) AS n FROM purchases p
	LEFT JOIN impressions i ON p.email = i.email WHERE i.region = 'north' GROUP BY 1 ORDER BY 1"
has out '"books"'
has out '15'
run 0 q "SELECT COUNT(*) AS n FROM impressions WHERE region IN ('north', 'south')"
[ "$(cat "$T/out")" = "n
57" ] || fail "filter on a dimension: $(cat "$T/out")"
# a whole answer below k is an empty answer, not an error
run 0 q "SELECT COUNT(*) AS n FROM impressions WHERE region = 'islands'"
[ "$(cat "$T/out")" = "n" ] || fail "islands alone: $(cat "$T/out")"

# -- refused: exit 4, the rule named, nothing run -----------------------------------
refused() { # RULE SQL
	run 4 q "$2"
	has err "rule '$1'"
	hasnt err "user"
	hasnt err "@"
}
refused "id columns" "SELECT email, COUNT(*) FROM impressions GROUP BY email"
h1=$(printf 'user1@example.com' | sha256sum | cut -d' ' -f1)
refused "id columns" "SELECT COUNT(*) FROM impressions WHERE email = '$h1'"
refused "id columns" "SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.email = p.email
	WHERE p.email = '$h1'"
refused "id columns" "SELECT COUNT(email) FROM impressions"
refused "id columns" "SELECT region, COUNT(*) FROM impressions GROUP BY region HAVING MAX(email) = '$h1'"
refused "id columns" "SELECT COUNT(DISTINCT CASE WHEN email = '$h1' THEN region END) FROM impressions"
refused "id columns" "SELECT region, COUNT(*) FROM impressions GROUP BY region ORDER BY MIN(email)"
refused "hidden columns" "SELECT COUNT(DISTINCT cookie) FROM impressions"
refused "hidden columns" "SELECT COUNT(*) FROM impressions WHERE cookie = 'ck-1'"
refused "metric columns" "SELECT views, COUNT(*) FROM impressions GROUP BY views"
refused "metric columns" "SELECT COUNT(*) FROM impressions WHERE views > 5"
refused "metric columns" "SELECT COUNT(DISTINCT views) FROM impressions"
refused "aggregation required" "SELECT region FROM impressions"
refused "aggregation required" "SELECT 1 AS one FROM impressions WHERE region = 'north'"
refused "allowed aggregates" "SELECT AVG(views) FROM impressions"
refused "allowed aggregates" "SELECT MAX(views) FROM impressions"
refused "allowed aggregates" "SELECT region, MIN(region), COUNT(*) FROM impressions GROUP BY region"
refused "allowed joins" "SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.region = p.category"
refused "allowed joins" "SELECT COUNT(*) FROM impressions i JOIN accounts a ON i.email = a.phone"
run 4 q "SELECT COUNT(*) FROM secrets"
has err "unknown table 'secrets'"
# not SQL of the dialect: exit 4 with the place
run 4 q "SELECT region, COUNT(*) FROM (SELECT * FROM impressions) GROUP BY region"
run 4 q "SELEKT 1"
has err "line 1"

# -- who may query ------------------------------------------------------------
run 4 "$DCR" query --key "$T/news.key" "SELECT COUNT(*) FROM impressions"
has err "analyst"
run 3 "$DCR" query --key "$T/eve.key" "SELECT COUNT(*) FROM impressions"
run 4 "$DCR" budget --key "$T/bank.key"
run 0 "$DCR" budget --key "$T/acme.key"

# -- the audit log: every party may read and verify it ------------------------
run 0 "$DCR" audit --key "$T/bank.key"
has out "upload"
has out "impressions"
has out "REFUSED (rule 'id columns'"
has out "id columns"
hasnt out "user1@"
# start, 3 uploads, 6 answers, 19 refusals by a rule (SQL errors are not entries)
nentries=$(grep -c '^ *[0-9]' "$T/out")
[ "$nentries" = 29 ] || fail "audit has $nentries lines: $(head -5 "$T/out")"

# -- nothing readable at rest ---------------------------------------------------
for f in $(find "$T/room" -type f); do
	grep -qaE 'north|islands|User1|example|ck-1|books' "$f" && fail "$f holds data in clear"
done
checks=$((checks + 1))

# -- kill -9 and restart: every acknowledged upload and entry is back -----------
kill -9 "$PID"
wait "$PID" 2>/dev/null
serve "$T/contract.json"
export DCR_SERVER=$URL
run 0 q "SELECT region, COUNT(DISTINCT email) AS people FROM impressions GROUP BY 1 ORDER BY 1"
[ "$(cat "$T/out")" = "region,people
north,30
south,27" ] || fail "after kill -9: $(cat "$T/out")"
run 0 "$DCR" audit --key "$T/news.key"
after=$(grep -c '^ *[0-9]' "$T/out")
[ "$after" -gt "$nentries" ] || fail "audit after restart: $after entries, had $nentries"
has out "start"

# -- a clean room running another contract is refused before anything is sent ----
kill -TERM "$PID"
wait "$PID" || fail "dcr serve did not stop cleanly on SIGTERM"
sed 's/"min_distinct_ids": 5/"min_distinct_ids": 1/' "$T/contract.json" >"$T/weak.json"
for p in news acme bank; do
	"$DCR" contract sign "$T/weak.json" --key "$T/$p.key" >/dev/null 2>&1 || fail "sign weak"
done
mv "$T/room" "$T/room-strict"
serve "$T/weak.json"
export DCR_SERVER=$URL
run 3 "$DCR" attest
has err "contract"
run 3 "$DCR" upload --key "$T/acme.key" --dataset purchases "$T/pur.csv"
run 3 q "SELECT COUNT(*) FROM impressions"
# ... and the weak room saw no request at all from those commands
run 0 "$DCR" audit --contract "$T/weak.json" --key "$T/news.key"
hasnt out "upload"
hasnt out "query"
done_ok
