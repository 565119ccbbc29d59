# syntax=docker/dockerfile:1
# Gatehouse's reference image: one image for front doors (GATEHOUSE_ROLE=http) and workers
# (GATEHOUSE_ROLE=worker); see docs/deployment.md and compose.yaml.
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile TypeScript to dist/ and bundle the workflows once, with the dev dependencies.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY src src
COPY workflows workflows
COPY activities activities
RUN bin/gatehouse build \
 && node dist/src/temporal/workflowBundle.js /app/workflow-bundle.js

# 2. Production dependencies only (native modules built for this Node).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. The runtime: no compiler, no sources, not root.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    GATEHOUSE_HOST=0.0.0.0 \
    GATEHOUSE_PORT=8080 \
    GATEHOUSE_DATA_DIR=/data \
    GATEHOUSE_WORKFLOW_BUNDLE=/app/workflow-bundle.js
WORKDIR /app
COPY package.json gatehouse.config.yaml ./
COPY bin bin
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build --chown=node:node /app/workflow-bundle.js workflow-bundle.js
RUN mkdir -m 0700 /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# bin/gatehouse: the memory settings of `npm start`; it runs dist/ as built (no TypeScript here).
ENTRYPOINT ["bin/gatehouse"]
CMD ["start"]
