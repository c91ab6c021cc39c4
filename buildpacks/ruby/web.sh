#!/bin/sh
# The image's default command: the Procfile's web line, else puma or rackup when bundled.
PORT=${PORT:-5000}
web=$(sed -n 's/^web:[[:space:]]*//p' Procfile 2>/dev/null | head -n 1)
if [ -z "$web" ] && bundle exec which puma >/dev/null 2>&1; then web="bundle exec puma -b tcp://${HOST:-0.0.0.0}:$PORT"; fi
if [ -z "$web" ] && [ -f config.ru ] && bundle exec which rackup >/dev/null 2>&1; then web="bundle exec rackup -o ${HOST:-0.0.0.0} -p $PORT"; fi
if [ -z "$web" ]; then echo "no web command: add a Procfile with a web: line" >&2; exit 1; fi
eval "exec $web"
