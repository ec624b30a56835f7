# newsalert in a container. With compose (see compose.yaml and deploy/README.md):  docker compose up -d
# Alone:  docker build -t newsalert .
#         docker run -d --name newsalert --env-file newsalert.env -v newsalert-data:/data \
#             -v "$PWD/config.toml:/config/config.toml:ro" newsalert
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/opt/newsalert/numba-cache \
    NEWSALERT_CACHE_DIR=/data/cache

RUN groupadd --system --gid 10001 newsalert \
 && useradd --system --uid 10001 --gid newsalert --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin newsalert \
 && mkdir -p /data /config /opt/newsalert/numba-cache \
 && chown newsalert:newsalert /data /opt/newsalert/numba-cache

WORKDIR /opt/newsalert/src
COPY pyproject.toml README.md ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY alerts/ alerts/
COPY feeds/ feeds/
COPY storage/ storage/
COPY matching/ matching/
COPY observe/ observe/
COPY stories/ stories/
COPY i18n/ i18n/
COPY config.toml /config/config.toml
RUN pip install . && rm -rf build

USER newsalert
# Compile matching's numba functions now, into NUMBA_CACHE_DIR, so the bot's first start does not spend a minute
# compiling with the GIL held. The gazetteer tables and the installation's secret hash seed go to a throwaway
# folder here: each deployment makes its own, on its volume (NEWSALERT_CACHE_DIR), at first start; an image must
# not ship one installation's secret to everyone who pulls it.
RUN NEWSALERT_CACHE_DIR=/tmp/warm-up newsalert match --compiled kosovo --text "Zvečan" \
 && NEWSALERT_CACHE_DIR=/tmp/warm-up newsalert match --compiled kosovo --text "Harbour closed in Zvecan" \
 && rm -rf /tmp/warm-up

# The database (config.toml's storage.path, relative to here), the gazetteer cache and the seed live on /data.
WORKDIR /data
VOLUME ["/data"]
# Only used when config.toml sets [metrics] listen = "0.0.0.0:9464".
EXPOSE 9464
# newsalert status (as python -m bot.cli.status: the same, without loading the bot, so it answers in well under a
# second) reads the heartbeat the bot writes to its database every 5 s: exit 0 healthy, 1 not.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-m", "bot.cli.status", "--config", "/config/config.toml"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["newsalert"]
CMD ["run", "--config", "/config/config.toml"]
