# The image both Refill processes run from; docker-compose.yml picks the process by its command.
# The processes run as plain JavaScript: each entry point is bundled by esbuild (a runtime dependency) into
# dist/processes/, so no TypeScript tooling is loaded in a running process; the other build steps are the
# workflow bundle and the billing portal's front end (dist/portal).
FROM node:20.20.2-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so a change to the code alone reuses this layer. `npm install` rather than
# `npm ci`: the lock file lists platform-only optional packages that the registry in use does not
# serve, and `npm ci` refuses to skip them.
# patches/ holds the fixes applied to dependencies after install (patch-package, the postinstall script).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm install --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# The code stays owned by root and read-only to the process user.
COPY . .
# The workflow bundle is built once here, from this same code, so a worker starts polling without
# bundling (webpack) at every start or restart; WORKFLOW_BUNDLE_PATH makes the worker load it.
# The process bundles likewise (dist/processes/, dev/process-bundles.ts), with their source maps, so a
# logged stack names the TypeScript file and line.
RUN npm run build:workflows && npm run build:portal && npm run build:processes
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js

USER node
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/processes/api/main.mjs"]
