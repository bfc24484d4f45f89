# SPDX-License-Identifier: Apache-2.0
# Differential privacy end to end through the real command line: a contract
# with rules.dp, `dcr serve --tee sim`, then noisy answers with their
# receipts and intervals, the budget spent and refused, 20 concurrent
# queries with budget for 10, a crash between the debit and the answer, and
# the refusals only DP makes.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

for p in news acme; do
	run 0 "$DCR" keygen --out "$T/$p"
done
# budget 1.0, 0.125 per query by default (binary fractions: exact sums below)
cat >"$T/contract.json" <<EOF
{
  "dcr_contract": 1,
  "id": "dp-test",
  "expires": "2099-01-01T00:00:00Z",
  "parties": [
    {"name": "news", "public_key": "$(cat "$T/news.pub")", "roles": ["contributor"]},
    {"name": "acme", "public_key": "$(cat "$T/acme.pub")", "roles": ["contributor", "analyst"]}
  ],
  "datasets": [
    {"name": "impressions", "owner": "news", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "region", "type": "string", "role": "dimension"},
      {"name": "views", "type": "int", "role": "metric", "bounds": [0, 10]}
    ]},
    {"name": "purchases", "owner": "acme", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "amount", "type": "float", "role": "metric", "bounds": [0, 100]}
    ]}
  ],
  "rules": {
    "min_distinct_ids": 5,
    "joins": [["impressions.email", "purchases.email"]],
    "aggregates": ["count", "count_distinct", "sum", "avg", "max"],
    "dp": {"epsilon_per_analyst": 1.0, "epsilon_per_query": 0.125, "delta": 1e-6,
           "max_rows_per_id": 2}
  },
  "tee": {"accept": ["sim"]}
}
EOF
for p in news acme; do
	run 0 "$DCR" contract sign "$T/contract.json" --key "$T/$p.key"
done
# 3000 people: north 0-1999 (each 3 rows: the cap keeps 2), south 2000-2999
# (one row each), and one person alone on the islands
{
	echo "email,region,views"
	for i in $(seq 0 2999); do
		r=north; [ "$i" -ge 2000 ] && r=south
		echo "p$i@x.org,$r,$((i % 11))"
		[ "$r" = north ] && echo "p$i@x.org,$r,$((i % 11))" && echo "p$i@x.org,$r,$((i % 11))"
	done
	echo "lonely@x.org,islands,7"
} >"$T/imp.csv"
{
	echo "email,amount"
	for i in $(seq 0 999); do echo "p$i@x.org,$((i % 50)).5"; done
} >"$T/pur.csv"

serve() {
	: >"$T/serve.out"
	"$DCR" serve --contract "$T/contract.json" --data-dir "$T/room" --listen 127.0.0.1:0 \
		--tee sim --threads 4 >"$T/serve.out" 2>>"$T/serve.err" &
	PID=$!
	PIDS+=("$PID")
	for _ in $(seq 600); do
		grep -q '^dcr: serving contract' "$T/serve.out" && break
		kill -0 "$PID" 2>/dev/null || fail "dcr serve exited: $(tail -n 5 "$T/serve.err")"
		sleep 0.05
	done
	URL=$(sed -n 's/^dcr: serving contract .* on \(http:[^,]*\), tee .*/\1/p' "$T/serve.out")
	[ -n "$URL" ] || fail "no ready line"
	export DCR_SERVER=$URL
}
export DCR_CONTRACT=$T/contract.json
serve
run 0 "$DCR" upload --key "$T/news.key" --dataset impressions "$T/imp.csv"
run 0 "$DCR" upload --key "$T/acme.key" --dataset purchases "$T/pur.csv"
q() { "$DCR" query --key "$T/acme.key" "$@"; }

run 0 "$DCR" budget --key "$T/acme.key"
has out "1"

# -- a noisy answer: keys exact, values near the truth, no islands -----------------
run 0 q --ci --receipt "$T/r1.txt" --epsilon 0.25 \
	"SELECT region, COUNT(*) AS n, COUNT(DISTINCT email) AS people, SUM(views) AS v
	 FROM impressions GROUP BY region ORDER BY region"
hasnt out "islands"
head -1 "$T/out" | grep -qx 'region,n,n_ci95,people,people_ci95,v,v_ci95' ||
	fail "header: $(head -1 "$T/out")"
# the cap keeps 2 of north's 3 rows per person: n is near 4000, not 6000
awk -F, 'NR == 2 && $1 == "north" { if ($2 < 3700 || $2 > 4300) exit 1; next }
         NR == 3 && $1 == "south" { if ($2 < 700 || $2 > 1300 || $4 < 700 || $4 > 1300) exit 1; next }
         NR > 3 { exit 1 }' "$T/out" || fail "noisy answer far from the truth: $(cat "$T/out")"
has "$T/r1.txt" "epsilon: 0.25"
has "$T/r1.txt" "noise: column=1 mechanism=discrete-laplace"
has "$T/r1.txt" "selection: mechanism=discrete-laplace"
# the same query twice gives other noise
run 0 q "SELECT COUNT(DISTINCT email) AS people FROM impressions"
a=$(tail -1 "$T/out")
run 0 q "SELECT COUNT(DISTINCT email) AS people FROM impressions"
b=$(tail -1 "$T/out")
[ "$a" != "$b" ] || [ "$a" != 3001 ] || fail "no noise: $a and $b"

# -- what DP refuses, spending nothing ----------------------------------------------
refused() {
	run 4 q "$2"
	has err "rule '$1'"
}
refused "differential privacy" "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region HAVING COUNT(*) > 5"
refused "differential privacy" "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region ORDER BY n"
refused "differential privacy" "SELECT MAX(views) FROM impressions"
refused "id columns" "SELECT email, COUNT(*) FROM impressions GROUP BY email"
run 0 "$DCR" budget --key "$T/acme.key"
has out "0.5"                          # 0.25 + 2 x 0.125 spent, refusals free
run 4 q --epsilon 0.75 "SELECT COUNT(*) AS n FROM impressions"
has err "rule 'privacy budget'"
has err "acme has 0.5 of its epsilon budget of 1 left; this query asks for 0.75"

# -- a crash after the debit, before the answer: the spend survives -----------------
kill -TERM "$PID"
wait "$PID" || fail "dcr serve did not stop cleanly"
DCR_FAULT=after-debit serve
run 1 q --epsilon 0.1875 "SELECT COUNT(*) AS n FROM impressions"
wait "$PID" 2>/dev/null
kill -0 "$PID" 2>/dev/null && fail "the fault did not stop the clean room"
serve
run 0 "$DCR" budget --key "$T/acme.key"
has out "0.3125"                       # 1 - 0.6875: the crashed query's spend stayed
run 0 "$DCR" audit --key "$T/news.key"
has out "debit"

# -- 20 concurrent queries with budget for 10: exactly 10 answers ----------------------
for i in $(seq 20); do
	q --epsilon 0.03125 "SELECT COUNT(*) AS n FROM impressions" >"$T/c$i.out" 2>"$T/c$i.err" &
	CP[$i]=$!
done
ok=0 refused=0
for i in $(seq 20); do
	if wait "${CP[$i]}"; then ok=$((ok + 1)); else
		rc=$?; [ "$rc" = 4 ] && grep -q "privacy budget" "$T/c$i.err" && refused=$((refused + 1))
	fi
done
[ "$ok" = 10 ] && [ "$refused" = 10 ] || fail "concurrent: $ok answered, $refused refused"
checks=$((checks + 1))
run 0 "$DCR" budget --key "$T/acme.key"
has out "remaining"
grep -Eq 'remaining[^0-9]*0(\.0*)?$' "$T/out" || fail "budget after: $(cat "$T/out")"
done_ok
