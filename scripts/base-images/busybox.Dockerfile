# Test stand-in for the official busybox image: a static busybox with its applets linked in /bin, nothing else.
FROM minicloud/bookworm AS src
RUN apt-get update -qq && apt-get install -y -qq busybox-static && rm -rf /var/lib/apt/lists/*
RUN mkdir -p /out/bin /out/tmp /out/etc /out/root /out/var/www && cp /bin/busybox /out/bin/busybox \
 && chmod 1777 /out/tmp \
 && printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > /out/etc/passwd \
 && printf 'root:x:0:\nnogroup:x:65534:\n' > /out/etc/group

FROM scratch
COPY --from=src /out/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["sh"]
