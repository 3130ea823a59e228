# Steward in a container: `steward serve` (Slack, MCP over HTTP, /healthz, scheduled ingest) as a
# non-root user, with the DuckDB store on a mounted volume at /data. See docs/deploy.md.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY . /src
# A wheel build, not an editable install: the image holds no source tree.
RUN /opt/venv/bin/pip install /src

FROM python:3.11-slim
RUN groupadd --gid 10001 steward \
 && useradd --uid 10001 --gid steward --home-dir /data --no-create-home --shell /usr/sbin/nologin steward \
 && mkdir -p /data && chown steward:steward /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    STEWARD_DB=/data/steward.duckdb
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["steward"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
