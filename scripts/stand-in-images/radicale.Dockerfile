# Stand-in for tomsquest/docker-radicale:3.1.8.3 (the catalog's Radicale entry; no registry is reachable in tests):
# Debian's radicale 3.1.8 laid out as that image is: config in /config/config, collections under /data, port 5232,
# the numeric user 2999, `radicale --config /config/config` as its command.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends radicale python3-bcrypt python3-passlib \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd -g 2999 radicale-app && useradd -u 2999 -g 2999 -M -d /data -s /usr/sbin/nologin radicale-app \
 && mkdir -p /config /data && chown 2999:2999 /data
COPY radicale.config /config/config
USER 2999:2999
VOLUME ["/data"]
EXPOSE 5232
CMD ["radicale", "--config", "/config/config"]
