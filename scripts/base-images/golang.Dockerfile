# Test stand-in for the official golang image (build stage only): Debian's golang-go on minicloud/bookworm.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq golang-go ca-certificates git && rm -rf /var/lib/apt/lists/*
COPY host-ca.crt /etc/ssl/certs/minicloud-host-ca.crt
# No module proxy is reachable here; the fixtures use the standard library only.
ENV SSL_CERT_FILE=/etc/ssl/certs/minicloud-host-ca.crt GOPATH=/go GOFLAGS=-mod=mod GOTOOLCHAIN=local LANG=C.UTF-8
WORKDIR /go
