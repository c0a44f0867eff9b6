# One build, one image per role: `api`, `worker`, and `worker-gpu` (TensorFlow.js
# on CUDA through @tensorflow/tfjs-node-gpu). docker-compose.yml uses all three.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npx turbo run build --filter=@ensembles/api --filter=@ensembles/worker && npm prune --omit=dev

FROM node:20-bookworm-slim AS api
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/v2/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "services/api/dist/main.js"]

FROM node:20-bookworm-slim AS worker
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production
CMD ["node", "services/worker/dist/main.js"]

# The GPU worker: CUDA runtime and cuDNN from NVIDIA's image, Node from NodeSource's
# binaries copied from the build stage, and the native TensorFlow.js backend, whose
# install script downloads libtensorflow for CUDA (network access needed at build time).
FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04 AS worker-gpu
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /app
COPY --from=build /app /app
RUN npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@^4.22.0
ENV NODE_ENV=production ENSEMBLE_ENGINE=tfjs ENSEMBLE_BACKEND=tensorflow-gpu
CMD ["node", "services/worker/dist/main.js"]
