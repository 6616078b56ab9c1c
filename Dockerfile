# revloop daemon image.
#
#   docker build -t revloop .
#   docker run -d --name revloop \
#     -v /srv/revloop/config.toml:/etc/revloop/config.toml:ro \
#     -v revloop-state:/var/lib/revloop \
#     -e SALESFORCE_CLIENT_ID -e SALESFORCE_CLIENT_SECRET -e HUBSPOT_TOKEN \
#     revloop
#
# The config is read from /etc/revloop/config.toml (REVLOOP_CONFIG); its relative paths resolve
# against /etc/revloop, where the shipped mappings are (mappings/handoff/...). The working directory
# is the state volume, so the default "sqlite:///revloop.db" lands in it. Other commands work too:
#   docker run --rm ... revloop config check        docker run --rm ... revloop run handoff
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    REVLOOP_CONFIG=/etc/revloop/config.toml

# A fixed numeric uid, so orchestrators can check runAsNonRoot and volume permissions are predictable.
RUN groupadd --system --gid 10001 revloop \
    && useradd --system --uid 10001 --gid revloop --home-dir /var/lib/revloop --no-create-home \
        --shell /usr/sbin/nologin revloop \
    && mkdir -p /etc/revloop /var/lib/revloop \
    && chown revloop:revloop /var/lib/revloop

# mappings/ is part of the package (connector.shipped_mappings) and is also copied beside the config.
WORKDIR /usr/src/revloop
COPY pyproject.toml README.md config.example.toml ./
COPY connector ./connector
COPY mappings ./mappings
RUN pip install --no-cache-dir "./[postgres]" \
    && cp -r mappings config.example.toml /etc/revloop/

WORKDIR /var/lib/revloop
VOLUME ["/var/lib/revloop"]
USER 10001:10001

# The daemon rewrites its heartbeat file every 30 s; no heartbeat for 120 s means it is stuck or gone.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["revloop", "health", "--max-age", "120"]

ENTRYPOINT ["revloop"]
# `--config` belongs to the `revloop` group (revloop --config FILE daemon); REVLOOP_CONFIG sets it here.
CMD ["daemon"]
