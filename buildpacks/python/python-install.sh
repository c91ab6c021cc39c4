#!/bin/sh
# Installs a Python app's dependencies (requirements.txt, else pyproject.toml, else Pipfile.lock / Pipfile) with pip.
#   before-source  the image's dependency layer, before the source: into the image's Python, unless the
#                  requirements name files of the source (-r, -e ., ./wheels/...), which wait for `after-source`
#   after-source   the image, after the source is copied: the install deferred above, if any
#   venv           the host builder: into ./.venv, whose bin/ the host puts first on PATH
set -e
here=$(dirname "$0")
mode=$1
# In the image (before-source, after-source) the install runs as root, with root's HOME: the Dockerfile sets the
# app's (/app) ahead of it, and nothing of the install's (caches, config) belongs in the app's directory.
case "$1" in before-source|after-source) HOME=/root; export HOME ;; esac
if [ "$mode" = after-source ]; then
  [ -f "$here/deferred" ] || exit 0
  rm -f "$here/deferred"
fi
reqs=$(python3 "$here/python-deps.py")
if [ -z "$reqs" ]; then echo "No Python dependencies to install"; exit 0; fi
if [ "$mode" = before-source ] && grep -Eq '^[[:space:]]*(-r|-c|--requirement|--constraint|-e|--editable|\.|/|file:)|@[[:space:]]*file:' "$reqs"; then
  echo "The requirements name files of the app: they are installed after its source is copied"
  touch "$here/deferred"
  exit 0
fi
if [ "$mode" = venv ]; then
  python3 -m venv .venv
  py=.venv/bin/python
else
  py=python3
fi
# The operator's extra CA bundle (MINICLOUD_BUILD_CA_BUNDLE), added to the system's for pip.
if [ -s "$here/extra-ca.crt" ]; then
  cat /etc/ssl/certs/ca-certificates.crt "$here/extra-ca.crt" > /tmp/minicloud-ca.pem 2>/dev/null || cp "$here/extra-ca.crt" /tmp/minicloud-ca.pem
  export PIP_CERT=/tmp/minicloud-ca.pem
fi
$py -m pip install -r "$reqs"
rm -rf /root/.cache/pip /tmp/minicloud-* 2>/dev/null || true
