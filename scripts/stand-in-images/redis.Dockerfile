# Test stand-in for redis:7-bookworm: Debian's redis-server, run as the redis user (uid 999, as in the
# official image) by an entrypoint that, like the official one, owns /data first.
FROM minicloud/bookworm
RUN groupadd -r -g 999 redis && useradd -r -g redis -u 999 -d /data redis \
 && apt-get update -qq && apt-get install -y -qq redis-server && rm -rf /var/lib/apt/lists/* && mkdir -p /data /usr/local/etc/redis
COPY redis.entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
ENTRYPOINT ["/bin/sh", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["redis-server", "--protected-mode", "no"]
