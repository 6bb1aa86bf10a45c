# techtrail service image: the web UI and HTTP API on port 4317, incidents in PostgreSQL
# (TECHTRAIL_DATABASE_URL) or in SQLite under /data. See docs/operations.md; compose.yaml runs it with PostgreSQL.

# Build stage: `npm ci` installs every dependency and builds dist/ and web/dist (the `prepare` script);
# the dev dependencies are then pruned so only runtime packages reach the image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci && npm prune --omit=dev

# Runtime stage: the built package only, run as the unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
  TECHTRAIL_DB=/data/techtrail.db
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json /app/LICENSE /app/CHANGELOG.md ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/catalog ./catalog
COPY --from=build /app/rules ./rules
COPY --from=build /app/playbooks ./playbooks
COPY --from=build /app/profiles ./profiles
COPY --from=build /app/mappings ./mappings
COPY --from=build /app/scenarios ./scenarios
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4317
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4317/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/techtrail.js", "serve", "--host", "0.0.0.0", "--port", "4317"]
