# One image for every service; the Helm chart picks the entrypoint per Deployment.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node infra/scripts/build.mjs && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json nx.json ./
USER 10001
ENTRYPOINT ["node", "--enable-source-maps", "--disable-warning=TimeoutNegativeWarning"]
