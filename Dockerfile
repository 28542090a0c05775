# syntax=docker/dockerfile:1
# payalert: the core (with the extras chosen with EXTRAS) and the source plugins chosen with
# PLUGINS, built from this repository.
#   docker build -t payalert --build-arg PLUGINS="github imap" --build-arg EXTRAS=postgres .
# See docs/deployment.md for volumes, secrets and docker compose.

# --- builder: wheels of payalert-core, the chosen plugins and every dependency ---------------
FROM python:3.11-slim AS builder

# Source plugins to include, by folder: plugins/payalert_<name> (empty: the core alone).
ARG PLUGINS="github binance imap"
# Extras of payalert-core: "postgres" for a store several nodes share (docs/ha.md).
ARG EXTRAS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
COPY pyproject.toml README.md ./
COPY payalert_core/ payalert_core/
COPY plugins/ plugins/
COPY deploy/install.sh deploy/install.sh
RUN --mount=type=cache,target=/root/.cache/pip \
    sh deploy/install.sh wheels /src /wheels

# --- runtime: a virtualenv holding just those wheels, run as an unprivileged user ------------
FROM python:3.11-slim

LABEL org.opencontainers.image.title="payalert" \
      org.opencontainers.image.description="One clean alert per payment, from every place you get paid." \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PATH="/opt/payalert/bin:$PATH" \
    PAYALERT_CONFIG=/config/config.yaml \
    PAYALERT_PORT=8080

# A fixed UID/GID, so a bind-mounted data folder can be given to it: chown 10001:10001 DIR.
RUN groupadd --system --gid 10001 payalert \
    && useradd --system --uid 10001 --gid payalert --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin payalert \
    && mkdir /config /data \
    && chown payalert:payalert /data \
    && chmod 0750 /data

RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,from=builder,source=/src/deploy/install.sh,target=/tmp/install.sh \
    sh /tmp/install.sh venv /wheels /opt/payalert

# /config holds config.yaml (and optionally .env); /data holds the SQLite store (data_dir: /data).
VOLUME ["/config", "/data"]
WORKDIR /data
USER 10001:10001

# The HTTP server: push-source webhooks under /hooks/<name>/, /health and /metrics.
EXPOSE 8080

# /health answers 503 when a source, a notifier or the store is unhealthy; urlopen raises, exit 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PAYALERT_PORT', '8080') + '/health', timeout=4)"]

# The daemon is PID 1 (exec form): SIGTERM stops it gracefully, SIGHUP reloads config.yaml.
STOPSIGNAL SIGTERM
ENTRYPOINT ["payalert"]
CMD ["run", "--config", "/config/config.yaml"]
