# Transfer Atlas service image. Untested here: no Docker engine runs on the development machines.
#
#   docker build -t transfer-atlas .
#   docker build --build-arg TFJS_NATIVE=gpu -t transfer-atlas:gpu .   # adds @tensorflow/tfjs-node-gpu (needs CUDA on the host)
#   docker run -p 8080:8080 -v atlas-data:/data transfer-atlas
#
# TFJS_NATIVE: none (default; the wasm backend), cpu (@tensorflow/tfjs-node) or gpu (@tensorflow/tfjs-node-gpu).
# The native packages download libtensorflow while they install, so they are added here, never in package.json.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY web ./web
COPY migrations ./migrations
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
ARG TFJS_NATIVE=none
RUN case "$TFJS_NATIVE" in \
      none) ;; \
      cpu) npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node@4.22.0 ;; \
      gpu) npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0 ;; \
      *) echo "TFJS_NATIVE must be none, cpu or gpu" >&2; exit 2 ;; \
    esac

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production TA_DATA_DIR=/data HOST=0.0.0.0 PORT=8080
WORKDIR /app
RUN mkdir -p /data && chown node:node /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml NOTICE ./
COPY datasets-registry ./datasets-registry
COPY probes ./probes
COPY examples ./examples
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:8080/v1/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/src/cli/main.js", "serve", "--seed"]
