# Test stand-in for node:20-bookworm-slim (minicloud's own image starts FROM it): the host's Node 20 and npm
# on minicloud/bookworm, plus what `npm ci` needs here to compile better-sqlite3 (its prebuilt binaries are
# on GitHub, out of reach): python3, make, g++ and Node's headers (npm_config_nodedir).
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq ca-certificates python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY include /usr/local/include/node
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
# The host's CA bundle: npm reaches the registry through a TLS-inspecting network here.
COPY host-ca.crt /etc/ssl/certs/minicloud-host-ca.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/minicloud-host-ca.crt npm_config_nodedir=/usr/local LANG=C.UTF-8
CMD ["node"]
