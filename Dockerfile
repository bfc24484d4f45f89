# SPDX-License-Identifier: Apache-2.0
# dcr in a container (docs/DOCKER.md). A container isolates dcr from other
# processes; only a TEE (a confidential VM or confidential container under
# it) keeps the host out. Build:  docker build -t dcr .
# Run:    docker run -v dcr-data:/var/lib/dcr -v $PWD/contract.json:/etc/dcr/contract.json:ro \
#                    -p 8080:8080 --read-only --tmpfs /tmp dcr

# ---- build: Debian 12 with the toolchain, the recipe CI runs on the host ----
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev make cmake ninja-build pkg-config git ca-certificates \
      libsodium-dev libssl-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libtss2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN sh deploy/build-release.sh /out

# ---- run: Debian 12 slim, the runtime libraries only, no compiler ----
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libsodium23 libssl3 libjansson4 libmicrohttpd12 libcurl4 ca-certificates curl \
      libtss2-esys-3.0.2-0 libtss2-mu0 libtss2-rc0 libtss2-tctildr0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/dcr --shell /usr/sbin/nologin dcr \
 && install -d -o dcr -g dcr -m 0700 /var/lib/dcr \
 && install -d -m 0755 /etc/dcr
COPY --from=build /out/bin/dcr /usr/local/bin/dcr
USER dcr
VOLUME ["/var/lib/dcr"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD curl -fsS http://127.0.0.1:8080/v1/health >/dev/null || exit 1
ENTRYPOINT ["dcr", "serve", "--data-dir", "/var/lib/dcr", "--listen", "0.0.0.0:8080", "--tee", "auto"]
CMD ["--contract", "/etc/dcr/contract.json"]
