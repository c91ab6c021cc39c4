#!/bin/sh
# Runs the app's build script when it has one; leaves only the source and the build's output for the final stage.
set -e
if [ -s /minicloud/extra-ca.crt ]; then export NODE_EXTRA_CA_CERTS=/minicloud/extra-ca.crt; fi
if [ -s /minicloud/build-command ]; then
  # The build script's own command, resolved by minicloud from package.json: no npm process (as on the host).
  cmd=$(cat /minicloud/build-command)
  sh -c "exec $cmd"
elif node -e "process.exit(require('./package.json').scripts?.build ? 0 : 1)"; then
  npm run build
fi
# The final stage takes node_modules (production only) from the deps stage.
rm -rf node_modules .minicloud
