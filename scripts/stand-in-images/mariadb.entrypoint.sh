#!/bin/sh
# A first start on an empty data dir: install the system tables, set root's password (local and remote).
set -e
[ "$1" = mariadbd ] || exec "$@"
chown -R mysql:mysql /var/lib/mysql /run/mysqld
if [ ! -d /var/lib/mysql/mysql ]; then
  [ -n "${MARIADB_ROOT_PASSWORD:-}" ] || { echo "MARIADB_ROOT_PASSWORD is not set" >&2; exit 1; }
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --auth-root-authentication-method=normal >/dev/null
  mariadbd --user=mysql --datadir=/var/lib/mysql --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  i=0
  until mariadb --socket=/run/mysqld/init.sock -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 60 ] || { echo "mariadbd did not start" >&2; exit 1; }; sleep 0.5
  done
  pw=$(printf %s "$MARIADB_ROOT_PASSWORD" | sed "s/'/''/g")
  # As the official image does: no passwordless root over 127.0.0.1, ::1 or the hostname, no anonymous users.
  mariadb --socket=/run/mysqld/init.sock -uroot <<SQL
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';
CREATE USER 'root'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  kill "$pid"; wait "$pid" || true
fi
exec mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=0.0.0.0 --skip-name-resolve
