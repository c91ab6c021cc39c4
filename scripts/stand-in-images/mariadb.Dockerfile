# Test stand-in for mariadb:10.11: Debian's MariaDB 10.11, initialised from MARIADB_ROOT_PASSWORD on an
# empty /var/lib/mysql by an entrypoint that does what the official image's does for that variable.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq mariadb-server && rm -rf /var/lib/apt/lists/* /var/lib/mysql/* \
 && mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
COPY mariadb.entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["mariadbd"]
