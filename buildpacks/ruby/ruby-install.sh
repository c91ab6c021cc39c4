#!/bin/sh
# Installs a Ruby app's gems with bundler into ./vendor/bundle (recorded in ./.bundle/config, so `bundle exec`
# finds them at run time), frozen to Gemfile.lock when there is one; nothing when the Gemfile lists no gems.
#   before-source  the image's dependency layer, before the source, unless the Gemfile names files of the
#                  source (gemspec, path: gems), which wait for `after-source`
#   after-source   the image, after the source is copied: the install deferred above, if any
#   (no argument)  the host builder: the source is there
set -e
here=$(dirname "$0")
# In the image (before-source, after-source) the install runs as root, with root's HOME: the Dockerfile sets the
# app's (/app) ahead of it, and nothing of the install's (caches, config) belongs in the app's directory.
case "$1" in before-source|after-source) HOME=/root; export HOME ;; esac
if [ "$1" = after-source ]; then
  [ -f "$here/deferred" ] || exit 0
  rm -f "$here/deferred"
elif [ "$1" = before-source ] && grep -Eq '^[[:space:]]*gemspec|path:|:path[[:space:]]*=>' Gemfile; then
  echo "The Gemfile names files of the app: its gems are installed after the source is copied"
  touch "$here/deferred"
  exit 0
fi
if ! grep -Eq '^[[:space:]]*(gem|gemspec)([[:space:]]|\(|$)' Gemfile; then echo "No gems to install"; exit 0; fi
# The operator's extra CA bundle (MINICLOUD_BUILD_CA_BUNDLE), added to the system's.
if [ -s "$here/extra-ca.crt" ]; then
  cat /etc/ssl/certs/ca-certificates.crt "$here/extra-ca.crt" > /tmp/minicloud-ca.pem 2>/dev/null || cp "$here/extra-ca.crt" /tmp/minicloud-ca.pem
  export SSL_CERT_FILE=/tmp/minicloud-ca.pem
fi
bundle config set --local path vendor/bundle
bundle config set --local without "${BUNDLE_WITHOUT:-development:test}"
if [ -f Gemfile.lock ]; then bundle config set --local frozen true; fi
bundle install --jobs 4
rm -rf vendor/bundle/ruby/*/cache /tmp/minicloud-* 2>/dev/null || true
