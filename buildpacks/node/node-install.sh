#!/bin/sh
# Installs a Node app's dependencies with the package manager its lockfile names.
# `prod`: production dependencies only (the final image); `all`: everything, for the build script (skipped without one).
set -e
mode=$1
here=$(dirname "$0")
# The operator's extra CA bundle (MINICLOUD_BUILD_CA_BUNDLE), empty when none.
if [ -s "$here/extra-ca.crt" ]; then export NODE_EXTRA_CA_CERTS="$here/extra-ca.crt"; fi
if [ "$mode" = all ] && ! node -e "process.exit(require('./package.json').scripts?.build ? 0 : 1)"; then
  echo "No build script: the build stage installs nothing"
  exit 0
fi
prod() { [ "$mode" = prod ]; }
if [ -f package-lock.json ] || [ -f npm-shrinkwrap.json ]; then
  if prod; then npm ci --omit=dev; else npm ci; fi
elif [ -f pnpm-lock.yaml ]; then
  if prod; then sh "$here/pm.sh" pnpm install --frozen-lockfile --prod; else sh "$here/pm.sh" pnpm install --frozen-lockfile; fi
elif [ -f yarn.lock ] && [ -f .yarnrc.yml ]; then
  # Yarn 2+: node_modules rather than Plug'n'Play, so the final image can copy them.
  export YARN_NODE_LINKER=node-modules
  if prod; then sh "$here/pm.sh" yarn workspaces focus --all --production; else sh "$here/pm.sh" yarn install --immutable; fi
elif [ -f yarn.lock ]; then
  if prod; then sh "$here/pm.sh" yarn install --frozen-lockfile --production; else sh "$here/pm.sh" yarn install --frozen-lockfile; fi
else
  if prod; then npm install --omit=dev; else npm install; fi
fi
mkdir -p node_modules
# Caches are not part of the app: keep them out of the layer.
rm -rf /root/.npm /root/.cache /usr/local/share/.cache /tmp/* 2>/dev/null || true
