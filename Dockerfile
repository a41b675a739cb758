# The tourniquet worker: `tourniquet worker` against TEMPORAL_ADDRESS, with its state
# (idempotency journal, evidence, snapshots) in TOURNIQUET_HOME. docker-compose.yml builds it.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    TEMPORAL_ADDRESS=temporal:7233 \
    TOURNIQUET_HOME=/var/lib/tourniquet

WORKDIR /app

# Tools the actions run: tar + zstd for snapshots, git for evidence and leak scans.
RUN apt-get update && apt-get install -y --no-install-recommends zstd git && rm -rf /var/lib/apt/lists/*

# tsx runs the TypeScript sources (there is no build step), so it is a regular dependency and
# --omit=dev keeps it. Dependencies first: this layer is reused until the lock file changes.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY . .

# The workflow bundle, built once here so the worker starts without bundling.
RUN npm run build

# Created here and owned by `node`, so a new named volume mounted on it starts writable.
RUN mkdir -p /var/lib/tourniquet && chown node:node /var/lib/tourniquet
USER node
VOLUME /var/lib/tourniquet

# On SIGTERM the SDK drains the worker: in-flight activities get the worker's shutdown grace time.
CMD ["node", "bin/tourniquet.js", "worker"]
