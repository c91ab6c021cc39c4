# Test stand-in for the official ruby image: Debian's ruby + bundler on minicloud/bookworm.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq ruby bundler ca-certificates && rm -rf /var/lib/apt/lists/*
COPY host-ca.crt /etc/ssl/certs/minicloud-host-ca.crt
ENV SSL_CERT_FILE=/etc/ssl/certs/minicloud-host-ca.crt LANG=C.UTF-8
CMD ["irb"]
