# SPDX-License-Identifier: Apache-2.0
# The command line as a new user meets it: help, version, exit codes, keygen.
. "$(dirname "$0")/lib.sh"

run 0 "$DCR" --version
has out "dcr 0."
run 2 "$DCR"
has err "usage: dcr COMMAND"
run 0 "$DCR" help
has out "keygen"
has out "verify-evidence"
has out "Exit codes"
run 2 "$DCR" frobnicate
has err "unknown command 'frobnicate'"
run 0 "$DCR" keygen --help
has out "PREFIX.key"
run 0 "$DCR" help contract
has out "usage: dcr contract"
run 2 "$DCR" help frobnicate
for cmd in attest upload query audit budget; do
	run 0 "$DCR" "$cmd" --help
	has out "usage: dcr $cmd"
done
# the client commands: a missing flag is a usage error, before any network
unset DCR_SERVER DCR_CONTRACT DCR_KEY
for cmd in attest upload query audit budget; do
	run 2 "$DCR" "$cmd"
	has err "is required"
	run 2 "$DCR" "$cmd" --server http://127.0.0.1:1 --bogus
	has err "unknown option '--bogus'"
done
# no clean room there: exit 1, saying so
"$DCR" demo --dir demo >/dev/null 2>&1 || fail "dcr demo failed"
run 1 "$DCR" attest --server 127.0.0.1:1 --contract demo/contract.json
has err "cannot connect to the clean room at http://127.0.0.1:1"
run 1 "$DCR" budget --server 127.0.0.1:1 --contract demo/contract.json --key demo/acme.key
has err "cannot connect"
run 2 "$DCR" attest --server ftp://127.0.0.1:1 --contract demo/contract.json
has err "only http:// and https://"
run 1 "$DCR" attest --server 127.0.0.1:1 --contract no-such.json
has err "no-such.json"

# keygen: the secret file is 0600 even under a permissive umask
umask 000
run 0 "$DCR" keygen --out alice
umask 022
[ "$(stat -c %a alice.key)" = 600 ] || fail "alice.key has mode $(stat -c %a alice.key)"
grep -qE '^dcr-pub-1:[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$' alice.pub || fail "bad alice.pub"
[ "$(wc -l <alice.pub)" = 1 ] || fail "alice.pub is not one line"
has out "$(cat alice.pub)"
grep -qE '^dcr-key-1:' alice.key || fail "bad alice.key"
hasnt out "$(cut -d: -f2 alice.key)"   # the secret is never printed

# never overwrites a key
cp alice.key alice.key.orig
run 1 "$DCR" keygen --out alice
has err "already exists"
cmp -s alice.key alice.key.orig || fail "alice.key changed"

# usage errors exit 2
run 2 "$DCR" keygen
has err "--out PREFIX is required"
run 2 "$DCR" keygen --out
has err "needs a value"
run 2 "$DCR" keygen --out bob --colour red
has err "unknown option '--colour'"
run 2 "$DCR" keygen --out bob extra
has err "unexpected argument 'extra'"
[ ! -e bob.key ] || fail "bob.key written despite a usage error"

# a directory that does not exist
run 1 "$DCR" keygen --out no/such/dir/carol
has err "no/such/dir/carol.key"
done_ok
