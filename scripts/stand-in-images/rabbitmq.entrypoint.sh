#!/bin/sh
# As root, own the data dir and drop to the rabbitmq user (as the official image does).
set -e
[ "$1" = rabbitmq-server ] || exec "$@"
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq "$@"
