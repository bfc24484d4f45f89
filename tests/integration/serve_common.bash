# SPDX-License-Identifier: Apache-2.0
# Shared by the serve_*.sh tests (sourced after lib.sh): two parties and a
# contract, a real `dcr serve` in the background on a free loopback port,
# and the raw test client. Every server started here is killed on exit.
: "${DCR_TEST_BIN:?DCR_TEST_BIN must name the test helper directory}"
# the raw test client; its own leaks are not under test, and LSan's exit scan
# would double the time of every request
hc() {
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 "$DCR_TEST_BIN/helper_client" "$@"
}
SERVER_PIDS=()
trap 'for p in "${SERVER_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# parties: news (contributor), acme (contributor, analyst), eve (contributor)
make_parties() {
	for p in news acme eve; do
		"$DCR" keygen --out "$T/$p" >/dev/null 2>&1 || fail "keygen $p"
	done
}

# write_contract FILE [EXPIRES [ACCEPT [EXTRA_RULES]]]: unsigned
write_contract() {
	local f=$1 exp=${2:-2099-01-01T00:00:00Z} accept=${3:-'"sim"'} extra=${4:-}
	cat >"$f" <<EOF
{
  "dcr_contract": 1,
  "id": "serve-test",
  "expires": "$exp",
  "parties": [
    {"name": "news", "public_key": "$(cat "$T/news.pub")", "roles": ["contributor"]},
    {"name": "acme", "public_key": "$(cat "$T/acme.pub")", "roles": ["contributor", "analyst"]},
    {"name": "eve", "public_key": "$(cat "$T/eve.pub")", "roles": ["contributor"]}
  ],
  "datasets": [
    {"name": "impressions", "owner": "news", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "region", "type": "string", "role": "dimension"},
      {"name": "views", "type": "int", "role": "metric", "bounds": [0, 100]}
    ]},
    {"name": "purchases", "owner": "acme", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "category", "type": "string", "role": "dimension"},
      {"name": "amount", "type": "float", "role": "metric", "bounds": [0, 1000]}
    ]},
    {"name": "spare", "owner": "eve", "columns": [
      {"name": "email", "type": "id", "normalize": "hashed"},
      {"name": "n", "type": "int", "role": "metric", "bounds": [0, 10]}
    ]}
  ],
  "rules": {
    "min_distinct_ids": 3,
    "joins": [["impressions.email", "purchases.email"]],
    "aggregates": ["count", "count_distinct", "sum", "avg"]$extra
  },
  "tee": {"accept": [$accept]}
}
EOF
}

# sign FILE PARTY...
sign() {
	local f=$1
	shift
	for p in "$@"; do
		"$DCR" contract sign "$f" --key "$T/$p.key" >/dev/null 2>&1 || fail "sign $f by $p"
	done
}

# impressions_csv FILE ROWS: person i in region i%4, views i%7
impressions_csv() {
	hc gen impressions "$1" "$2" || fail "gen impressions"
}

# purchases_csv FILE ROWS: person 2i buys books or games for i.5
purchases_csv() {
	hc gen purchases "$1" "$2" || fail "gen purchases"
}

# start_server DIR [ARGS...]: starts dcr serve on a free port; sets URL, PID
start_server() {
	local dir=$1 i
	shift
	: >"$T/serve.out"
	"$DCR" serve --contract "$T/contract.json" --data-dir "$dir" --listen 127.0.0.1:0 \
		--tee sim --threads 4 "$@" >"$T/serve.out" 2>>"$T/serve.err" &
	PID=$!
	SERVER_PIDS+=("$PID")
	for ((i = 0; i < 600; i++)); do
		grep -q '^dcr: serving contract' "$T/serve.out" && break
		kill -0 "$PID" 2>/dev/null || fail "dcr serve exited: $(tail -n 5 "$T/serve.err")"
		sleep 0.05
	done
	URL=$(sed -n 's/^dcr: serving contract .* on \(http:[^,]*\), tee .*/\1/p' "$T/serve.out")
	[ -n "$URL" ] || fail "dcr serve did not say where it serves"
	hc request "$URL" GET /v1/attestation --out "$T/att.json" >/dev/null ||
		fail "no attestation"
	hc get "$T/att.json" public_key >"$T/room.pub"
}

# stop_server: SIGTERM, and it must exit 0
stop_server() {
	kill -TERM "$PID"
	wait "$PID"
	local rc=$?
	[ "$rc" = 0 ] || fail "dcr serve exited $rc after SIGTERM"
	checks=$((checks + 1))
}

# req WANT_STATUS METHOD PATH PARTY [helper options...]: signed as PARTY with
# PARTY's key; the answer lands in $T/ans
req() {
	local want=$1 method=$2 path=$3 party=$4 got
	shift 4
	got=$(hc request "$URL" "$method" "$path" --key "$T/$party.key" --party "$party" \
		--room "$T/room.pub" --out "$T/ans" "$@" 2>"$T/hc.err")
	[ "$got" = "$want" ] || fail "$method $path as $party $*: status $got, expected $want: $(
		head -c 600 "$T/ans" 2>/dev/null) $(cat "$T/hc.err")"
	checks=$((checks + 1))
}

# jget FILE PATH: a value of the JSON in FILE (helper_client get)
jget() {
	hc get "$@"
}

# query_file FILE SQL: the plaintext of a query request
query_file() {
	hc sql "$1" "$2" || fail "query_file"
}
