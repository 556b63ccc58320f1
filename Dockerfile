# One image for every service; the Helm chart picks the entrypoint per Deployment
# (args: ["dist/services/<name>/src/main.js"]).
#
# For users with Docker. Without a Docker engine or registry, `npm run image`
# (infra/image/build.sh) builds the same image with the same scripts and layout as an OCI
# archive for `ctr images import` or `docker load`; infra/image/README.md describes both.
#
# Layout: a distroless-style base (Debian bookworm's libc6, libgcc-s1, libstdc++6 extracted
# without a shell or package manager; Node 24 from the npm `node` package at
# /usr/local/bin/node; user tidings 10001; /tmp 1777) and the app in /app (dist, package.json,
# a production node_modules pruned to what the services load).
FROM node:24-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node infra/scripts/build.mjs \
  && apt-get update -qq \
  && cp -a "$(bash infra/image/base-rootfs.sh)" /rootfs \
  && bash infra/image/app-layer.sh /app-layer

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build /app-layer/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["node", "--enable-source-maps", "--disable-warning=TimeoutNegativeWarning"]
