# monitor: a small image that runs the daemon as an unprivileged user.
#
#   docker build -t monitor .
#   docker run -d --name monitor -v monitor-data:/data -p 127.0.0.1:8080:8080 monitor
#
# /data holds the SQLite database and the file channel's outbox; with PostgreSQL
# (MONITOR_DATABASE_URL) it only holds the outbox. Mount your configuration over
# /app/config/monitor.toml or point MONITOR_CONFIG at it. Stop with `docker stop -t 30`:
# the daemon finishes the work in flight within daemon.stop_timeout (20s by default).

# --- build: a wheel of monitor and of every dependency --------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY config ./config
RUN pip wheel --wheel-dir /wheels .

# --- run -------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITOR_DATABASE_URL=sqlite:////data/monitor.db \
    MONITOR_HEALTH_HOST=0.0.0.0 \
    MONITOR_HEALTH_PORT=8080 \
    MONITOR_LOG_FORMAT=json
RUN useradd --system --create-home --home-dir /home/monitor --uid 10001 --user-group monitor \
    && mkdir -p /data /app \
    && chown monitor:monitor /data
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels monitor && rm -rf /wheels
WORKDIR /app
COPY config ./config
COPY seeds ./seeds
# The default config's var/ (outbox, SQLite) lives in the volume.
RUN ln -s /data /app/var
USER monitor
VOLUME ["/data"]
EXPOSE 8080
# Fails when the scheduler is stuck or the database unreachable (see /healthz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('MONITOR_HEALTH_PORT', '8080') + '/healthz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["monitor"]
CMD ["run"]
