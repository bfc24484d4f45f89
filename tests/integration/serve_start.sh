# SPDX-License-Identifier: Apache-2.0
# dcr serve: when it refuses to start (exit 3), the ready line, the clear
# endpoints (health, attestation, contract, metrics), evidence that verifies
# and binds the contract and the served key, keys that survive a restart,
# and a clean stop on SIGTERM.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_common.bash"

make_parties
write_contract "$T/contract.json"

# -- usage --------------------------------------------------------------------
run 2 "$DCR" serve --data-dir "$T/d"
has err "--contract"
run 2 "$DCR" serve --contract "$T/contract.json"
has err "--data-dir"
run 2 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee nitro
has err "--tee 'nitro'"
run 2 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --max-upload 12X
has err "--max-upload"
run 2 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee sim --listen nowhere
has err "--listen 'nowhere'"
# no TEE devices at all under this root (a fake, empty device tree)
mkdir -p "$T/noroot"
export DCR_ATTEST_ROOT="$T/noroot"
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee sgx
has err "no sgx TEE found on this machine"
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee tdx
has err "no tdx TEE found on this machine"
# --tee auto without hardware: sim when the contract accepts it (this one,
# unsigned yet, is then refused: exit 3), else "no TEE here" (exit 1)
run 3 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee auto --listen 127.0.0.1:0
has err "--tee auto: no hardware TEE found"
has err "the contract accepts sim, so this clean room runs on the SIMULATED TEE"
has err "eve"
write_contract "$T/nosim-auto.json" 2099-01-01T00:00:00Z '"sgx", "tdx"'
run 1 "$DCR" serve --contract "$T/nosim-auto.json" --data-dir "$T/d" --tee auto
has err "no hardware TEE found"
has err "the contract does not accept sim"
hasnt err "SIMULATED"
run 0 "$DCR" serve --help
has out "--max-upload"

# -- refusals: exit 3, and nothing is served ---------------------------------
sign "$T/contract.json" news acme
run 3 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee sim --listen 127.0.0.1:0
has err "eve"
[ -e "$T/d/room.sealed" ] && fail "an unsigned contract left room keys behind"

write_contract "$T/expired.json" 2021-01-01T00:00:00Z
hc sign "$T/expired.json" "$T/news.key" "$T/acme.key" "$T/eve.key" || fail "sign expired"
run 3 "$DCR" serve --contract "$T/expired.json" --data-dir "$T/d" --tee sim --listen 127.0.0.1:0
has err "expired"

write_contract "$T/nosim.json" 2099-01-01T00:00:00Z '"sgx", "tdx"'
sign "$T/nosim.json" news acme eve
run 3 "$DCR" serve --contract "$T/nosim.json" --data-dir "$T/d" --tee sim --listen 127.0.0.1:0
has err "do not accept a sim TEE"
has err "sgx, tdx"

printf 'not json' >"$T/garbage.json"
run 3 "$DCR" serve --contract "$T/garbage.json" --data-dir "$T/d" --tee sim --listen 127.0.0.1:0
run 1 "$DCR" serve --contract "$T/missing.json" --data-dir "$T/d" --tee sim --listen 127.0.0.1:0
has err "missing.json"

# -- a clean room -------------------------------------------------------------
sign "$T/contract.json" eve
start_server "$T/d"
hash=$("$DCR" contract hash "$T/contract.json" 2>/dev/null | grep -o '[0-9a-f]\{64\}' | head -n 1)
[ ${#hash} = 64 ] || fail "no contract hash"
grep -qx "dcr: serving contract serve-test (${hash:0:16}) on http://127.0.0.1:[0-9]*, tee sim" \
	"$T/serve.out" || fail "ready line: $(cat "$T/serve.out")"
[ "$(wc -l <"$T/serve.out")" = 1 ] || fail "more than one line on stdout"
has "$T/serve.err" "SIMULATED TEE"
has "$T/serve.err" "INSECURE"
[ "$(stat -c %a "$T/d")" = 700 ] || fail "the data directory is not 0700"
for f in room.sealed contract.sealed audit.log; do
	[ -f "$T/d/$f" ] || fail "no $f in the data directory"
done

# clear endpoints
run 0 hc request "$URL" GET /v1/health --out "$T/health.json"
has out 200
[ "$(jget "$T/health.json" status contract tee)" = "ok serve-test sim" ] ||
	fail "health: $(cat "$T/health.json")"
[ "$(jget "$T/att.json" tee contract_hash)" = "sim $hash" ] ||
	fail "attestation: $(cat "$T/att.json")"
run 0 hc request "$URL" GET /v1/contract --out "$T/served.json"
cmp -s "$T/served.json" "$T/contract.json" || fail "GET /v1/contract is not the file"

# the evidence verifies, binds this contract and the key served, and
# measures the dcr binary
hc b64 "$T/att.json" evidence "$T/ev.bin" || fail "no evidence"
rd=$(hc report-data "$T/contract.json" "$T/room.pub")
run 0 "$DCR" verify-evidence "$T/ev.bin" --expect "report_data=$rd" \
	--expect "measurement=$(sha384sum "$DCR" | cut -d' ' -f1)"
has out "expect report_data: OK"
has out "evidence verified"
run 3 "$DCR" verify-evidence "$T/ev.bin" --expect "report_data=$(hc report-data \
	"$T/nosim.json" "$T/room.pub")"

# paths, methods, metrics
run 0 hc request "$URL" GET /v1/nothing --out "$T/e.json"
has out 404
[ "$(jget "$T/e.json" len)" = 1 ] && jget "$T/e.json" error >/dev/null ||
	fail "404 is not {\"error\": ...}"
run 0 hc request "$URL" POST /v1/health --out "$T/e.json"
has out 405
run 0 hc request "$URL" GET /v1/queries --out "$T/e.json"
has out 405
run 0 hc request "$URL" GET /metrics --out "$T/metrics.txt"
has out 200
has "$T/metrics.txt" 'dcr_requests_total{endpoint="health",code="200"} 1'
has "$T/metrics.txt" 'dcr_requests_total{endpoint="other",code="404"} 1'
has "$T/metrics.txt" 'dcr_uploads_total 0'
has "$T/metrics.txt" 'dcr_query_seconds_count 0'
has "$T/metrics.txt" '# TYPE dcr_query_seconds histogram'

# signed GETs answer sealed to the requester
req 200 GET /v1/audit news
[ "$(jget "$T/ans" entries.len)" = 1 ] || fail "a new room's log has not one entry"
cp "$T/room.pub" "$T/room1.pub"
stop_server
has "$T/serve.err" "stopped"

# -- a restart keeps the keys and adds a start entry --------------------------
start_server "$T/d"
cmp -s "$T/room.pub" "$T/room1.pub" || fail "the room's key changed across a restart"
req 200 GET /v1/audit acme
cp "$T/ans" "$T/audit.json"
run 0 hc audit "$T/contract.json" "$T/room.pub" "$T/audit.json"
has out "audit verified: 2 entries"
has out '"action":"start"'
stop_server

# -- the data directory belongs to its contract -------------------------------
sed 's/"id": "serve-test"/"id": "serve-other"/' "$T/contract.json" >"$T/other.json"
sign "$T/other.json" news acme eve
run 3 "$DCR" serve --contract "$T/other.json" --data-dir "$T/d" --tee sim --listen 127.0.0.1:0
has err "another contract"

cp -r "$T/d" "$T/d2"
rm "$T/d2/contract.sealed"
run 3 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d2" --tee sim --listen 127.0.0.1:0
has err "no contract.sealed"

cp -r "$T/d" "$T/d3"
hc flip "$T/d3/room.sealed" mid || fail "flip"
run 3 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d3" --tee sim --listen 127.0.0.1:0
has err "room.sealed cannot be unsealed"

cp -r "$T/d" "$T/d5"
hc flip "$T/d5/audit.log" mid || fail "flip"
run 3 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d5" --tee sim --listen 127.0.0.1:0
has err "audit.log"

# a port in use; a data directory in use
start_server "$T/d"
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d" --tee sim --listen 127.0.0.1:0
has err "in use by another dcr serve"
port=${URL##*:}
run 1 "$DCR" serve --contract "$T/contract.json" --data-dir "$T/d4" --tee sim \
	--listen "127.0.0.1:$port"
has err "cannot listen on 127.0.0.1:$port"
stop_server
done_ok
