#!/bin/sh
# Runs yarn or pnpm (the lockfile asked for it): enables them with corepack when missing, else says how to get them.
tool=$1
if ! command -v "$tool" >/dev/null 2>&1 && command -v corepack >/dev/null 2>&1; then
  corepack enable >/dev/null 2>&1 || corepack enable --install-directory "${HOME:-/tmp}/.minicloud-bin" >/dev/null 2>&1
  PATH="${HOME:-/tmp}/.minicloud-bin:$PATH"
fi
if ! command -v "$tool" >/dev/null 2>&1; then
  echo "The app has a $tool lockfile, but $tool is not installed and corepack could not provide it."
  echo "Install $tool where the build runs (corepack, shipped with Node 16.10 to 24, provides it; or npm install -g $tool), or remove the lockfile to use npm."
  exit 1
fi
exec "$@"
