# minicloud's own image: the server with git and a private Redis; apps run as host processes inside it, or
# as containers of the host's engine when its socket is mounted (then minicloud must share their network).
# Build: docker build -t minicloud .   Run: docker run -e MINICLOUD_DOMAIN=example.com -p 80:8080 -p 443:8443 -v minicloud:/data minicloud
# (the API and git listen on loopback inside; reach them through the router at https://admin.<domain>)
# With Docker: docker network create minicloud, then add -v /var/run/docker.sock:/var/run/docker.sock --network minicloud
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git redis-server tar ca-certificates tini mariadb-client postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/minicloud
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY src ./src
COPY proxy ./proxy
COPY buildpacks ./buildpacks
COPY catalog ./catalog
COPY scripts ./scripts
COPY tsconfig.json README.md ./
# The JavaScript minicloud and its router run (dist/), built once here: a start finds it fresh, and nothing
# transpiles at run time.
RUN node scripts/build.mjs
ENV MINICLOUD_DATA=/data NODE_ENV=production
VOLUME /data
EXPOSE 7080 8080 8443
# tini reaps the app processes minicloud adopts after a restart, as PID 1 must.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "scripts/start.mjs"]
