# Test stand-in for rabbitmq:3-management: Debian's RabbitMQ 3.10 with the management plugin; the server
# itself creates RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS on first start, as in the official image.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq rabbitmq-server && rm -rf /var/lib/apt/lists/* \
 && rabbitmq-plugins enable --offline rabbitmq_management
COPY rabbitmq.entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["rabbitmq-server"]
