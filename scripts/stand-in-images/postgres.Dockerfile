# Test stand-in for postgres:15-bookworm: Debian's PostgreSQL 15, initialised from POSTGRES_PASSWORD on an
# empty PGDATA by an entrypoint that does what the official image's does for that variable.
FROM minicloud/bookworm
RUN mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update -qq && apt-get install -y -qq postgresql-15 && rm -rf /var/lib/apt/lists/*
ENV PGDATA=/var/lib/postgresql/data PATH=/usr/lib/postgresql/15/bin:$PATH
COPY postgres.entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
