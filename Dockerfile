# monitor: a small image that runs the daemon as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY config ./config
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    MONITOR_DATABASE_URL=sqlite:////data/monitor.db
RUN useradd --system --create-home --home-dir /home/monitor --uid 10001 monitor \
    && mkdir -p /data /app \
    && chown monitor:monitor /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY config ./config
COPY seeds ./seeds
# Alerts written by the file channel go to /data/outbox when the config says so; the
# default config's var/ is made a link into the volume.
RUN ln -s /data /app/var
USER monitor
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["monitor"]
CMD ["run"]
