# pgrotate's container image: the runner (`pgrotate serve`: API, scheduler, web console) as the non-root user
# 10001, production dependencies only. docs/production.md (Container image) says how to run it;
# `npm run test:image` builds and runs it (test/image/container-image.test.ts).
#
#   docker build -t pgrotate:0.1.0 .            (podman: podman build --format docker -t pgrotate:0.1.0 .)
#
# BASE_IMAGE: any Debian 12 (bookworm) image with Node.js ^20.17 or >= 22.9 as `node` and npm on the PATH, e.g. a
# mirror of the official image, or one made locally (the image test builds one with mmdebstrap).
ARG BASE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then the compiled runner and providers and the prebuilt console into dist/ ----------
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install script is needed to build (package.json's allowScripts: only the PostgreSQL binaries' packages run
# theirs, and the build does not start PostgreSQL). `npm run build` below is the `prepare` step npm ci would run.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/copy-assets.js scripts/
COPY runner runner
COPY provider provider
COPY pg pg
COPY examples/demo examples/demo
COPY console console
RUN npm run build

# ---- production dependencies ---------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts run only for the packages package.json's allowScripts allows: @embedded-postgres/<platform>
# restores the symbolic links of its PostgreSQL libraries, which the embedded store needs. protobufjs's and
# @scarf/scarf's (telemetry) stay off.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild $(node -p 'Object.entries(require("./package.json").allowScripts).filter(([, allowed]) => allowed).map(([name]) => name).join(" ")')

# ---- runtime -------------------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
# The runner's user: numeric, so that a platform can check it is not root, and named in /etc/passwd for tools
# (ps, id; the embedded store runs with another uid too). The data directory is a volume owned by it.
RUN groupadd --system --gid 10001 pgrotate \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/pgrotate --no-create-home --shell /usr/sbin/nologin pgrotate \
 && mkdir -p /var/lib/pgrotate \
 && chown 10001:10001 /var/lib/pgrotate \
 && chmod 0700 /var/lib/pgrotate
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /src/dist dist
COPY bin bin
COPY package.json ./
COPY scripts/container-healthcheck.js scripts/
ENV NODE_ENV=production \
    PGROTATE_HOST=0.0.0.0 \
    PGROTATE_PORT=8080 \
    PGROTATE_DATA_DIR=/var/lib/pgrotate
USER 10001:10001
VOLUME ["/var/lib/pgrotate"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "scripts/container-healthcheck.js"]
# Exec form: node is PID 1 and receives SIGTERM itself; the runner stops claiming, finishes what it holds, stops
# the embedded store if it runs one, and exits 0.
ENTRYPOINT ["node", "dist/runner/cli.js"]
CMD ["serve"]
