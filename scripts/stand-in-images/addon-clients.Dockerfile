# For the installer's end-to-end test app: python3 and a client of each add-on server, so the app can prove
# it reaches MariaDB, PostgreSQL, Redis and RabbitMQ with the URLs minicloud hands it.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq python3 mariadb-client postgresql-client redis-tools amqp-tools \
 && rm -rf /var/lib/apt/lists/*
