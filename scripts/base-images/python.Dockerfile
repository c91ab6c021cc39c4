# Test stand-in for the official python image: Debian's python3 + pip on minicloud/bookworm.
FROM minicloud/bookworm
RUN apt-get update -qq && apt-get install -y -qq python3 python3-pip python-is-python3 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY host-ca.crt /etc/ssl/certs/minicloud-host-ca.crt
# pip installs system-wide like in the official image (Debian marks its python "externally managed").
ENV PIP_BREAK_SYSTEM_PACKAGES=1 PIP_CERT=/etc/ssl/certs/minicloud-host-ca.crt PYTHONUNBUFFERED=1 LANG=C.UTF-8
CMD ["python3"]
