# syntax=docker/dockerfile:1
# Nightshift worker / HTTP server image. One image, two roles chosen by the command:
#   docker run … nightshift worker     (playbook runs and their effects; no HTTP)
#   docker run … nightshift server     (detection intake, interactions, runs API; default)
# Organisation config and playbooks are NOT baked in: mount them at /etc/nightshift (docker-compose.yml
# does, read-only), so editing a playbook never needs a rebuild.

# Node 20 is the version the project is developed and tested on (package.json engines, CI).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: dev dependencies, TypeScript, the workflow bundle ---------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# package.json's allowScripts (the reviewed install scripts) is enforced by npm 11's
# --strict-allow-scripts; the Node 20 image ships npm 10, which would ignore it and run every script.
RUN npm install -g npm@11.19.1 --no-audit --no-fund
COPY package.json package-lock.json ./
RUN npm ci --strict-allow-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core/ core/
COPY engine/ engine/
COPY compiler/ compiler/
COPY workflows/ workflows/
COPY platform/ platform/
COPY integrations/ integrations/
COPY activities/ activities/
COPY intake/ intake/
COPY server/ server/
COPY worker/ worker/
COPY cli/ cli/
COPY deploy/bundle-workflows.js deploy/
# npm run build compiles and bundles the workflows (dist/workflow-bundle.js).
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund

# --- runtime: production dependencies and compiled code only, as a non-root user --------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NIGHTSHIFT_HTTP_HOST=0.0.0.0 \
    NIGHTSHIFT_HTTP_PORT=8080 \
    NIGHTSHIFT_CONFIG=/etc/nightshift/nightshift.yaml \
    NIGHTSHIFT_PLAYBOOKS=/etc/nightshift/playbooks
WORKDIR /app
# Owned by root and read-only for the runtime user: a compromised process cannot rewrite the code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin/nightshift.js ./bin/nightshift.js
COPY deploy/healthcheck.js ./deploy/healthcheck.js
# The image's built-in unprivileged user (uid 1000).
USER node
EXPOSE 8080
# Server role by default; docker-compose.yml runs `worker` and `server` as two services. No image
# HEALTHCHECK: it depends on the role (the worker has no HTTP port); compose defines the server's.
ENTRYPOINT ["node", "bin/nightshift.js"]
CMD ["server"]
