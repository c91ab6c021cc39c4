#!/bin/sh
# The image's default command: the Procfile's web line, else gunicorn (app:app) or uvicorn (main:app) when installed.
PORT=${PORT:-5000}
web=$(sed -n 's/^web:[[:space:]]*//p' Procfile 2>/dev/null | head -n 1)
if [ -z "$web" ] && [ -f app.py ] && command -v gunicorn >/dev/null; then web="gunicorn --bind ${HOST:-0.0.0.0}:$PORT app:app"; fi
if [ -z "$web" ] && [ -f main.py ] && command -v uvicorn >/dev/null; then web="uvicorn main:app --host ${HOST:-0.0.0.0} --port $PORT"; fi
if [ -z "$web" ]; then echo "no web command: add a Procfile with a web: line" >&2; exit 1; fi
eval "exec $web"
