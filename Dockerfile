# syntax=docker/dockerfile:1.7
# One image for every Souk process: `souk serve`, `souk migrate`, `souk demo-seed`,
# `souk admin …`. Queries are checked at compile time against the offline data
# committed in .sqlx/ (copied with the sources), so the build needs no database.

# Dependencies first, with cargo-chef, so that a change to Souk's own code does
# not rebuild them.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.71
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
ENV SQLX_OFFLINE=true
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --package souk-gateway
# The sources with .sqlx/ (the queries' offline data; .dockerignore keeps it).
COPY . .
RUN cargo build --release --locked --package souk-gateway --bin souk

# The web apps (types generated from the committed schema), built with Node.
FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY apps/web/package.json apps/web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema.graphql /schema.graphql
COPY apps/web/ ./
RUN sed -i 's|"../../schema.graphql"|"/schema.graphql"|' codegen.ts && npm run build

# A small runtime image, running as an unprivileged user.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin souk \
    && mkdir -p /keys \
    && chown 10001:10001 /keys
COPY --from=builder /src/target/release/souk /usr/local/bin/souk
COPY --from=web /web/dist /srv/souk-web
USER 10001:10001
ENV SOUK_LISTEN_ADDR=0.0.0.0:8080 \
    SOUK_LOG_FORMAT=json \
    SOUK_WEB_DIR=/srv/souk-web
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["souk", "healthcheck"]
ENTRYPOINT ["souk"]
CMD ["serve"]
