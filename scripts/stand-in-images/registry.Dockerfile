# Stand-in for registry:2.8.2 (the catalog's private Docker registry; no registry is reachable in tests): Debian's
# docker-registry 2.8.2 laid out as the official image is: `registry` on the PATH, /etc/docker/registry/config.yml,
# blobs under /var/lib/registry, port 5000, `registry serve /etc/docker/registry/config.yml` as its command.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends docker-registry \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/bin/docker-registry /bin/registry && mkdir -p /var/lib/registry
COPY registry.config.yml /etc/docker/registry/config.yml
VOLUME ["/var/lib/registry"]
EXPOSE 5000
CMD ["registry", "serve", "/etc/docker/registry/config.yml"]
