# SPDX-License-Identifier: Apache-2.0
# The deployment recipes that can run on a plain Debian machine, run here
# (docs/DEPLOY.md): the release build script the Dockerfile uses, the
# compose demo's two scripts against a real `dcr serve --tee auto`, the
# systemd unit through systemd-analyze verify, and the shape of the
# Dockerfile, docker-compose.yml and the Azure cloud-init file. What needs
# a container engine, Gramine or Azure cannot run here.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
: "${DCR_SRCDIR:?}"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
D=$DCR_SRCDIR/deploy

# -- deploy/build-release.sh: what the image's build stage runs -------------------
DCR_BUILD_DIR=$T/build run 0 sh "$D/build-release.sh" "$T/prefix"
[ -x "$T/prefix/bin/dcr" ] || fail "build-release.sh installed no dcr"
has out "sha256 $(sha256sum "$T/prefix/bin/dcr" | cut -d' ' -f1)"
dcr=$T/prefix/bin/dcr

# -- the compose demo, on the host: init, the room as the image runs it, parties ----
DCR=$dcr run 0 sh "$D/compose/init.sh" "$T/shared"
has out "init: keys, contract and data"
run 0 "$dcr" contract verify "$T/shared/contract.json"
"$dcr" serve --contract "$T/shared/contract.json" --data-dir "$T/room" --listen 127.0.0.1:0 \
	--tee auto >"$T/serve.out" 2>"$T/serve.err" &
PIDS+=($!)
for _ in $(seq 200); do grep -q '^dcr: serving' "$T/serve.out" && break; sleep 0.05; done
url=$(sed -n 's/^dcr: serving contract .* on \(http:[^,]*\), tee .*/\1/p' "$T/serve.out")
[ -n "$url" ] || fail "the room did not start: $(tail -3 "$T/serve.err")"
has "$T/serve.err" "SIMULATED"          # --tee auto fell back to sim, loudly
curl -fsS "$url/v1/health" >/dev/null || fail "health check failed"  # the HEALTHCHECK
checks=$((checks + 1))
DCR=$dcr DCR_SERVER=$url run 0 sh "$D/compose/parties.sh" "$T/shared"
has out "north"
has out "south"
has out "verified:"

# -- systemd: the unit verifies (ExecStart pointed at this build) -------------------
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (scripts/deps.sh installs systemd)"
sed "s|/usr/local/bin/dcr|$dcr|" "$D/systemd/dcr.service" >"$T/dcr.service"
run 0 systemd-analyze verify "$T/dcr.service"
for k in 'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'User=dcr' \
	'ReadWritePaths=/var/lib/dcr' 'StateDirectory=dcr'; do
	has "$D/systemd/dcr.service" "$k"
done

# -- the container and cloud files: their shape -----------------------------------
for k in 'FROM debian:12 AS build' 'FROM debian:12-slim' 'RUN sh deploy/build-release.sh' \
	'USER dcr' 'VOLUME ["/var/lib/dcr"]' 'HEALTHCHECK' '/v1/health' '"--tee", "auto"'; do
	has "$DCR_SRCDIR/Dockerfile" "$k"
done
run 0 python3 - "$DCR_SRCDIR/docker-compose.yml" "$D/azure/cloud-init.yaml" <<'PY'
import sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))
s = compose["services"]
assert set(s) == {"init", "room", "parties"}, s.keys()
assert s["room"]["read_only"] is True
assert s["parties"]["depends_on"]["room"]["condition"] == "service_healthy"
text = open(sys.argv[2]).read()
assert text.startswith("#cloud-config\n")
ci = yaml.safe_load(text)
assert "libtss2-dev" in ci["packages"]
files = {f["path"]: f for f in ci["write_files"]}
assert "/etc/dcr/contract.json" in files
assert "DCR_TEE=azure-vtpm" in files["/etc/systemd/system/dcr.service.d/azure.conf"]["content"]
cmds = [" ".join(c) for c in ci["runcmd"]]
assert any("build-release.sh" in c for c in cmds) and any("enable --now dcr" in c for c in cmds)
print("compose and cloud-init: ok")
PY
command -v cloud-init >/dev/null || fail "cloud-init is missing (scripts/deps.sh installs it)"
run 0 cloud-init schema --config-file "$D/azure/cloud-init.yaml"
has out "Valid cloud-config"
run 0 sh -n "$D/azure/create-vm.sh"
run 0 sh -n "$DCR_SRCDIR/scripts/sgx.sh"
# make sgx without Gramine says what to do
if ! command -v gramine-sgx-sign >/dev/null; then
	run 1 sh "$DCR_SRCDIR/scripts/sgx.sh" "$T/shared/contract.json"
	has err "Gramine"
fi
done_ok
