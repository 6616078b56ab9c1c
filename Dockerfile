# revloop daemon image.
#
#   docker build -t revloop .
#   docker run -d --name revloop --read-only --tmpfs /tmp \
#     -v /srv/revloop/config.toml:/etc/revloop/config.toml:ro \
#     -v revloop-state:/var/lib/revloop \
#     -e SALESFORCE_CLIENT_ID -e SALESFORCE_CLIENT_SECRET -e HUBSPOT_TOKEN \
#     revloop
#
# The config is read from /etc/revloop/config.toml (REVLOOP_CONFIG); its relative paths resolve
# against /etc/revloop, where the shipped mappings are (mappings/handoff/...). The working directory
# is the state volume, so the default "sqlite:///revloop.db", its lock files and the daemon's
# heartbeat land in it: with --read-only, nothing is written outside the volume and /tmp.
# Other commands work too:
#   docker run --rm ... revloop config check        docker run --rm ... revloop run handoff
#
# Reproducible: the base image is pinned by digest (Python 3.11.7, the version CI runs), and the
# dependencies are installed, without resolving, from requirements.lock. To move to a newer build of
# the base image (Debian security fixes), take the digest of the tag and replace PYTHON_IMAGE's:
#   docker buildx imagetools inspect python:3.11.7-slim-bookworm      (the "Digest:" line)
# To refresh requirements.lock after changing dependencies in pyproject.toml:
#   python3.11 -m venv /tmp/lock && /tmp/lock/bin/pip install '.[postgres]' \
#     && /tmp/lock/bin/pip freeze --exclude revloop > requirements.lock
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm@sha256:637774748f62b832dc11e7b286e48cd716727ed04b45a0322776c01bc526afc3

# ---- builder: the dependencies in their own layer, then a wheel of revloop ----------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Rebuilt only when the lock changes; --no-deps installs exactly the pinned set, `pip check` proves it
# complete.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/revloop \
    && /opt/revloop/bin/pip install --no-deps --requirement /tmp/requirements.lock \
    && /opt/revloop/bin/pip check

# The wheel is built with pinned build tools in a venv of their own, so they stay out of the image.
WORKDIR /usr/src/revloop
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY mappings ./mappings
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install setuptools==84.2.1 wheel==0.48.0 \
    && /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/wheels . \
    && /opt/revloop/bin/pip install --no-deps /tmp/wheels/revloop-*.whl \
    && /opt/revloop/bin/pip check

# ---- the image: the installed packages and the shipped config, no source tree -------------------------
FROM ${PYTHON_IMAGE}

ARG REVISION=unknown
LABEL org.opencontainers.image.title="revloop" \
      org.opencontainers.image.description="Declarative two-way sync between marketing automation, Salesforce and the CRM: the revloop daemon." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.7-slim-bookworm"

ENV PATH=/opt/revloop/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REVLOOP_CONFIG=/etc/revloop/config.toml

# A fixed numeric uid, so orchestrators can check runAsNonRoot and volume permissions are predictable.
RUN groupadd --system --gid 10001 revloop \
    && useradd --system --uid 10001 --gid revloop --home-dir /var/lib/revloop --no-create-home \
        --shell /usr/sbin/nologin revloop \
    && mkdir -p /etc/revloop /var/lib/revloop \
    && chown revloop:revloop /var/lib/revloop

COPY --from=builder /opt/revloop /opt/revloop
# mappings/ is part of the package (connector.shipped_mappings) and is also copied beside the config.
COPY config.example.toml /etc/revloop/
COPY mappings /etc/revloop/mappings

WORKDIR /var/lib/revloop
VOLUME ["/var/lib/revloop"]
USER 10001:10001

# The daemon's scheduler rewrites its heartbeat (beside the SQLite store, or [daemon] heartbeat_file)
# every 30 s; none for 120 s means it is stuck or gone. The check reads only that file's age: under
# 0.05 s and 13 MB, where `revloop health` loads the whole CLI (0.95 s and 68 MB; see the README).
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "connector.heartbeat", "--max-age", "120"]

ENTRYPOINT ["revloop"]
# `--config` belongs to the `revloop` group (revloop --config FILE daemon); REVLOOP_CONFIG sets it here.
CMD ["daemon"]
