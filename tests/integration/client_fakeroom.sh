# SPDX-License-Identifier: Apache-2.0
# dcr attest | upload | query | audit | budget against a fake clean room on
# loopback (helper_fakeroom): the happy path, the upload as the room
# decrypts it, and each way the room can lie making the client exit 3.
. "$(dirname "$0")/lib.sh"
unset DCR_SERVER DCR_CONTRACT DCR_KEY
ROOM=${DCR_TEST_BIN:?}/helper_fakeroom
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# start_room NAME ARGS...: a fake room in dir NAME; sets $URL
start_room() {
	local name=$1
	shift
	mkdir -p "$name"
	"$ROOM" --dir "$name" --port-file "$name/port" --max-seconds 120 "$@" 2>"$name/log" &
	pids+=($!)
	for _ in $(seq 100); do
		[ -s "$name/port" ] && break
		sleep 0.05
	done
	[ -s "$name/port" ] || fail "fake room $name did not start: $(cat "$name/log")"
	URL="http://127.0.0.1:$(cat "$name/port")"
}

sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }

run 0 "$DCR" keygen --out news
run 0 "$DCR" keygen --out acme
run 0 "$DCR" keygen --out stranger

# make_contract FILE ID EXTRA_RULES TEE_JSON
make_contract() {
	cat >"$1" <<EOF
{
  "dcr_contract": 1,
  "id": "$2",
  "expires": "2099-12-31T00:00:00Z",
  "parties": [
    {"name": "news", "public_key": "$(cat news.pub)", "roles": ["contributor"]},
    {"name": "acme", "public_key": "$(cat acme.pub)", "roles": ["contributor", "analyst"]}
  ],
  "datasets": [
    {"name": "impressions", "owner": "news", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "region", "type": "string", "role": "dimension"},
      {"name": "views", "type": "int", "role": "metric", "bounds": [0, 100]}
    ]},
    {"name": "purchases", "owner": "acme", "columns": [
      {"name": "phone", "type": "id", "normalize": "phone"},
      {"name": "amount", "type": "float", "role": "metric", "bounds": [0, 1000]}
    ]}
  ],
  "rules": {
    "min_distinct_ids": 25,
    "joins": [["impressions.email", "purchases.phone"]],
    "aggregates": ["count", "count_distinct", "sum", "avg"]$3
  },
  "tee": $4
}
EOF
	run 0 "$DCR" contract sign "$1" --key news.key
	run 0 "$DCR" contract sign "$1" --key acme.key
}

DP=', "dp": {"epsilon_per_analyst": 3.0, "epsilon_per_query": 0.5, "delta": 1e-7, "max_rows_per_id": 10}'
make_contract c.json room-test "$DP" '{"accept": ["sim"]}'
start_room main --contract c.json
MAIN=$URL

# ---- attest -----------------------------------------------------------------
run 0 "$DCR" attest --server "$MAIN" --contract c.json
has out "contract:       room-test"
has out "contract hash:  $("$DCR" contract hash c.json)"
has out "SIMULATED, NOT SECURE"
has out "measurement:"
has out "not pinned by the contract"
has out "room key:       dcr-pub-1:"
# the flags may come from the environment
DCR_SERVER=$MAIN DCR_CONTRACT=c.json run 0 "$DCR" attest
# evidence inputs: files that cannot be read stop before any request
run 1 "$DCR" attest --server "$MAIN" --contract c.json --collateral "$T/no-such.json"
has err "no-such.json"
DCR_VCEK=$T/no-such.der run 1 "$DCR" attest --server "$MAIN" --contract c.json
has err "no-such.der"

# pinned measurement: the fake room's own binary (sim measures itself)
mr=$(sha384sum "$ROOM" | cut -c1-96)
make_contract pinned.json room-test '' "{\"accept\": [\"sim\"], \"measurements\": {\"sim\": {\"measurement\": \"$mr\"}}}"
start_room pinned --contract pinned.json
run 0 "$DCR" attest --server "$URL" --contract pinned.json
has out "pinned by the contract: matches"
wrong=$(printf 'ab%.0s' $(seq 48))
make_contract wrongpin.json room-test '' "{\"accept\": [\"sim\"], \"measurements\": {\"sim\": {\"measurement\": \"$wrong\"}}}"
start_room wrongpin --contract wrongpin.json
run 3 "$DCR" attest --server "$URL" --contract wrongpin.json
has err "step 3 (measurement)"
has err "nothing was sent"

# evidence bound to another contract: report data does not match
make_contract other.json other-contract '' '{"accept": ["sim"]}'
start_room bound --contract c.json --evidence-contract other.json
run 3 "$DCR" attest --server "$URL" --contract c.json
has err "report data"
run 3 "$DCR" upload --server "$URL" --contract c.json --key news.key --dataset impressions /dev/null
[ ! -e bound/upload-impressions.csv ] || fail "data sent to an unverified room"

# a room that serves another contract's hash
start_room hash --contract c.json --served-hash "$("$DCR" contract hash other.json)"
run 3 "$DCR" attest --server "$URL" --contract c.json
has err "the clean room runs contract $("$DCR" contract hash other.json), yours is"

# a contract that does not accept sim
make_contract nosim.json room-test '' '{"accept": ["tdx"]}'
start_room nosim --contract nosim.json
run 3 "$DCR" attest --server "$URL" --contract nosim.json
has err "the contract does not accept"

# an unsigned contract is never trusted
sed 's/"signatures"/"signatures_x"/' c.json >unsigned.json
run 3 "$DCR" attest --server "$MAIN" --contract unsigned.json
has err "unsigned.json"

# ---- upload -------------------------------------------------------------------
printf '\xef\xbb\xbfEmail,region,views\r\n Alice@Example.COM ,"north, upper",3\r\n,south,4\r\n"bob@example.org","say ""hi""",\r\n\r\ncarol@example.net,"two\nlines",7' >imp.csv
run 0 "$DCR" upload --server "$MAIN" --contract c.json --key news.key --dataset impressions imp.csv
has out "uploaded:      impressions, from imp.csv, by news"
has out "rows:          3 uploaded, 1 skipped (empty id)"
has out "ids:           3 match-ready (3 normalised and hashed here, 0 given as hashes), about 3 distinct"
has out "audit entry:   2"
hasnt err "ETA" # not a terminal: no progress bar
printf 'Email,region,views\n%s,"north, upper",3\n%s,"say ""hi""",\n%s,"two\nlines",7\n' \
	"$(sha alice@example.com)" "$(sha bob@example.org)" "$(sha carol@example.net)" >want.csv
cmp -s want.csv main/upload-impressions.csv || fail "the room got $(cat main/upload-impressions.csv)"
has out "content hash:  $(sha256sum want.csv | cut -c1-64)"

# from standard input, phone ids, as the owner acme
printf 'amount,phone\n12.5,+1 (415) 555-0123\n3,+44 20 7183 8750\n' |
	run 0 "$DCR" upload --server "$MAIN" --contract c.json --key acme.key --dataset purchases -
has out "from standard input, by acme"
has out "rows:          2 uploaded, 0 skipped"

# refused before anything is sent
run 4 "$DCR" upload --server "$MAIN" --contract c.json --key acme.key --dataset impressions imp.csv
has err "dataset impressions belongs to party news"
run 3 "$DCR" upload --server "$MAIN" --contract c.json --key stranger.key --dataset impressions imp.csv
has err "not the key of any party"
run 2 "$DCR" upload --server "$MAIN" --contract c.json --key news.key --dataset nope imp.csv
has err "the contract has no such dataset (its datasets: impressions, purchases)"
run 1 "$DCR" upload --server "$MAIN" --contract c.json --key news.key --dataset impressions missing.csv
has err "missing.csv: cannot open"
printf 'email,region\na@b.c,x\n' >short.csv
run 1 "$DCR" upload --server "$MAIN" --contract c.json --key news.key --dataset impressions short.csv
has err "short.csv: line 1: the header lacks column views of dataset impressions"
has err "Nothing was uploaded"

# a bad id far into the file: the stream is cut before its final chunk
cp main/upload-impressions.csv before.csv
{
	echo "email,region,views"
	for i in $(seq 40000); do echo "person$i@example.com,region $((i % 7)),$((i % 100))"; done
	echo "not-an-email,x,1"
} >bad.csv
run 1 "$DCR" upload --server "$MAIN" --contract c.json --key news.key --dataset impressions bad.csv
has err "bad.csv: line 40002, column email: not an e-mail address"
sleep 0.2
cmp -s before.csv main/upload-impressions.csv || fail "a cut-off upload replaced the dataset"
ls main | grep -q partial && fail "the cut-off upload left a file"

# ---- query -------------------------------------------------------------------------
run 0 "$DCR" query --server "$MAIN" --contract c.json --key acme.key "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region"
printf 'region,n,avg\nnorth,52,1.5\n"south, east",,2.25\n' >want.csv
cmp -s want.csv "$T/out" || fail "query printed $(cat "$T/out")"
run 0 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --format json --receipt r.txt "SELECT 1"
has out '{"region":"south, east","n":null,"avg":2.25}'
has r.txt "dcr receipt v1"
has r.txt "analyst: acme"
has r.txt "query: $(sha 'SELECT 1')"
has r.txt "signature: "
run 0 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --format table "SELECT 1"
has out "north"
has out "NULL"
echo "SELECT 2" | run 0 "$DCR" query --server "$MAIN" --contract c.json --key acme.key -
# differential privacy: the receipt says what was spent; --ci adds intervals
run 0 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --epsilon 0.25 --ci \
	--receipt r2.txt "SELECT 3"
printf 'region,n,n_ci95,avg\nnorth,52,59.5,1.5\n"south, east",,,2.25\n' >want.csv
cmp -s want.csv "$T/out" || fail "query --ci printed $(cat "$T/out")"
has r2.txt "epsilon: 0.25"
has r2.txt "noise: column=1 mechanism=discrete-laplace scale=20 ci95=59.5"
run 0 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --format json --ci "SELECT 3"
has out '"n_ci95":59.5'
run 2 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --epsilon -1 "SELECT 3"
has err "--epsilon '-1': expected a number greater than 0"
run 4 "$DCR" query --server "$MAIN" --contract c.json --key acme.key "SELECT REFUSE"
has err "query refused by the clean room (HTTP 422): rule min_distinct_ids"
hasnt err $'\033'
run 4 "$DCR" query --server "$MAIN" --contract c.json --key acme.key "SELECT SYNTAX"
has err "(HTTP 400): line 1, column 8: syntax error"
run 4 "$DCR" query --server "$MAIN" --contract c.json --key news.key "SELECT 1"
has err "news is not an analyst"
run 2 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --name q "SELECT 1"
has err "not both"
run 2 "$DCR" query --server "$MAIN" --contract c.json --key acme.key
has err "SQL (or --name NAME) is required"
run 2 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --format xml "SELECT 1"
has err "--format must be csv, json or table"
run 2 "$DCR" query --server "$MAIN" --contract c.json --key acme.key --name nope
has err "the contract has no such query"

# named queries only
make_contract named.json named-test ', "queries": [{"name": "reach", "sql": "SELECT COUNT(DISTINCT email) AS n FROM impressions"}]' '{"accept": ["sim"]}'
start_room named --contract named.json
run 4 "$DCR" query --server "$URL" --contract named.json --key acme.key "SELECT 1"
has err "runs only its named queries: use --name NAME (reach)"
run 2 "$DCR" query --server "$URL" --contract named.json --key acme.key --epsilon 0.1 --name reach
has err "--epsilon: this contract has no rules.dp"
run 0 "$DCR" query --server "$URL" --contract named.json --key acme.key --name reach
has out "north,52"

# a receipt that does not hold: nothing is printed
start_room tres --contract c.json --tamper receipt
run 3 "$DCR" query --server "$URL" --contract c.json --key acme.key "SELECT 1"
has err "receipt: the result does not match it"
[ ! -s "$T/out" ] || fail "an unverified result was printed"
start_room tsig --contract c.json --tamper receipt-sig
run 3 "$DCR" query --server "$URL" --contract c.json --key acme.key "SELECT 1"
has err "receipt: the signature is not the attested clean room's"
start_room tkey --contract c.json --tamper answer-key
run 3 "$DCR" query --server "$URL" --contract c.json --key acme.key "SELECT 1"
has err "does not open with this party's key"

# ---- audit ------------------------------------------------------------------------
run 0 "$DCR" audit --server "$MAIN" --contract c.json --key news.key
has out "   1  "
has out "start   contract $("$DCR" contract hash c.json | cut -c1-16)"
has out "news       upload  impressions: 3 rows, content $(sha256sum main/upload-impressions.csv | cut -c1-16)"
has out "acme       query   REFUSED (min_distinct_ids): SELECT REFUSE"
has out "acme       query   2 rows, result"
has out "verified: "
DCR_KEY=acme.key run 0 "$DCR" audit --server "$MAIN" --contract c.json
run 2 "$DCR" audit --server "$MAIN" --contract c.json
has err "--key KEY is required"
start_room taud --contract c.json --tamper audit
printf 'amount,phone\n1,+14155550123\n' >p.csv
run 0 "$DCR" upload --server "$URL" --contract c.json --key acme.key --dataset purchases p.csv
run 3 "$DCR" audit --server "$URL" --contract c.json --key acme.key
has err "audit entry 2"
has err "do not trust it"

# ---- budget -------------------------------------------------------------------------
run 0 "$DCR" budget --server "$MAIN" --contract c.json --key acme.key
has out "epsilon total:      3"
has out "epsilon remaining:"
run 4 "$DCR" budget --server "$MAIN" --contract c.json --key news.key
has err "news is not an analyst"
run 0 "$DCR" budget --server "$URL" --contract c.json --key acme.key
done_ok
