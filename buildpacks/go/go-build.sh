#!/bin/sh
# Builds a Go app into static binaries: the root main package as bin/web, each cmd/<name> as bin/<name>.
set -e
export CGO_ENABLED=0
mkdir -p bin
built=
if [ "$(go list -f '{{.Name}}' . 2>/dev/null)" = main ]; then
  go build -trimpath -ldflags="-s -w" -o bin/web .
  built=1
fi
if [ -d cmd ]; then
  go build -trimpath -ldflags="-s -w" -o bin/ ./cmd/...
  built=1
fi
if [ -z "$built" ]; then
  echo "No main package: put package main at the root of the module (built as bin/web) or under cmd/<name>/ (bin/<name>)."
  exit 1
fi
ls -l bin
