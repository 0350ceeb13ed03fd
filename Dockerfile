# syntax=docker/dockerfile:1
#
# pryx-core as a container entrypoint: one compiled binary on a minimal base.
#
#   docker build -t pryx-core .
#   docker run -d --name pryx -p 8080:8080 pryx-core
#
# UNTESTED HERE: our machines and CI have no Docker engine. What is tested is
# the binary's side of this file: PID 1 in a PID namespace, SIGTERM/SIGINT
# drain and exit 0, JSON logs, and `discover --quiet` as the health check
# (tests/e2e/container_test.ts). See README.md, "Containers".

# --- build: compile ./pryx-core with the pinned Deno -------------------------
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
# Dependencies first, so editing the source does not refetch them.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY main.ts ./
COPY lib/ lib/
COPY scripts/ scripts/
# Offline builds: put a denort of Deno 2.9.6 for linux into ./denort/ of the
# build context (.dockerignore lets that directory in; it holds only a
# README in git), either unzipped as denort/denort, or as the release's
# denort-x86_64-unknown-linux-gnu.zip (or aarch64) with its
# denort-....zip.sha256sum, which go into Deno's download cache and are
# checked against that published SHA-256.
COPY denort/ denort/
# Type-checks, verifies that every subcommand is embedded, compiles with the
# runtime permissions only (never -A), and smoke-tests `pryx-core --version`.
# Without a denort in ./denort/ it downloads one from dl.deno.land.
RUN set -e; \
    if [ -f denort/denort ]; then chmod +x denort/denort; export DENORT_BIN="$PWD/denort/denort"; fi; \
    for zip in denort/denort-*.zip; do \
      [ -f "$zip" ] || continue; \
      dl="${DENO_DIR:-/deno-dir}/dl/release/v2.9.6"; mkdir -p "$dl"; \
      cp "$zip" "$dl/"; [ ! -f "$zip.sha256sum" ] || cp "$zip.sha256sum" "$dl/"; \
    done; \
    deno task compile
# The state directory, mode 0700, inside a parent that is copied whole: COPY
# of a directory copies its contents and creates the destination itself with
# mode 0755, so /state -> /var/lib/pryx would lose the 0700. Copying
# /rootfs/var/lib/ keeps pryx/ as an entry with its own mode (distroless has
# no shell to chmod it afterwards).
RUN mkdir -p /rootfs/var/lib/pryx && chmod 0700 /rootfs/var/lib/pryx

# --- runtime: glibc + libgcc only, no shell, no package manager --------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/pryx-core /pryx-core
COPY --from=build --chown=65532:65532 /rootfs/var/lib/ /var/lib/
# serve writes <instance>.port/.json/.lock here; the HEALTHCHECK reads them.
ENV PRYX_HOME=/var/lib/pryx
USER 65532:65532
EXPOSE 8080
# serve drains on SIGTERM (health 503, WebSocket clients get 1001, in-flight
# requests get up to 5 s) and exits 0, well within docker stop's 10 s.
STOPSIGNAL SIGTERM
# Exit 0 when the instance in PRYX_HOME answers /health as pryx-core, else 1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/pryx-core", "discover", "--quiet"]
ENTRYPOINT ["/pryx-core"]
# All interfaces, so token auth is on: the token is in
# /var/lib/pryx/runtime.json (`docker exec pryx /pryx-core discover --json`).
# /health never needs it.
CMD ["serve", "--listen", "0.0.0.0:8080"]
