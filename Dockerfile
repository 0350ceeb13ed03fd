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
# Type-checks, verifies that every subcommand is embedded, compiles with the
# runtime permissions only (never -A), and smoke-tests `pryx-core --version`.
# Downloads denort from dl.deno.land; offline, pass a denort of Deno 2.9.6
# into the build context and set DENORT_BIN to it.
RUN deno task compile
# The state directory, owned by the runtime user (distroless has no shell).
RUN mkdir -p /state && chmod 700 /state

# --- runtime: glibc + libgcc only, no shell, no package manager --------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/pryx-core /pryx-core
COPY --from=build --chown=65532:65532 /state /var/lib/pryx
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
