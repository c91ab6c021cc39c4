# Test stand-in for the official node image: Debian's nodejs with npm 10 from its registry tarball (Debian's
# own npm package drags in ~300 MB of node-* packages), on minicloud/bookworm.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq nodejs ca-certificates && rm -rf /var/lib/apt/lists/*
# npm.tgz: `npm pack npm@10` made by ensureBaseImages (npm 10 still runs on Debian's Node 18).
COPY npm.tgz /tmp/npm.tgz
RUN mkdir -p /usr/local/lib/node_modules/npm && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm /tmp/npm.tgz && npm --version
# The host's CA bundle, so npm reaches the registry through a TLS-inspecting network (test images only;
# the builder's MINICLOUD_BUILD_CA_BUNDLE is the operator setting for real builds).
COPY host-ca.crt /etc/ssl/certs/minicloud-host-ca.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/minicloud-host-ca.crt LANG=C.UTF-8
CMD ["node"]
