"""``/healthz`` and ``/metrics`` over HTTP, served from a thread of their own.

A thread (not the event loop) answers, so a probe gets its answer even while the loop is
busy storing a large feed; whether the loop is *stuck* is judged from the scheduler's
heartbeat instead.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from monitor.errors import MonitorError

log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class HealthReport:
    """Whether the process is healthy, and each check's details."""

    ok: bool
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """The report as the JSON body of ``/healthz``."""
        status = "ok" if self.ok else "failing"
        return json.dumps({"status": status, "checks": self.checks}, sort_keys=True).encode()


class Heartbeat:
    """When the scheduler last made progress (started, finished a batch or a cycle)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.last = self.started
        self.cycles = 0

    def beat(self, *, cycle_done: bool = False) -> None:
        """Record progress."""
        self.last = time.monotonic()
        self.cycles += cycle_done

    def check(self, stale_after_s: float) -> dict[str, Any]:
        """The scheduler check: ok when progress is more recent than ``stale_after_s``."""
        age = time.monotonic() - self.last
        return {
            "ok": age <= stale_after_s,
            "seconds_since_progress": round(age, 3),
            "stale_after_seconds": stale_after_s,
            "cycles": self.cycles,
        }


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health server: " + format, *args)


class HealthServer:
    """Serves ``GET /healthz`` (200 or 503, JSON) and ``GET /metrics`` (Prometheus text)."""

    def __init__(
        self,
        host: str,
        port: int,
        check: Callable[[], HealthReport],
        metrics: Callable[[], bytes],
        metrics_type: str,
    ) -> None:
        self.check = check
        self.metrics = metrics
        self.metrics_type = metrics_type
        try:
            self._httpd = make_server(
                host, port, self._app, server_class=_Server, handler_class=_QuietHandler
            )
        except OSError as exc:
            raise MonitorError(
                f"health server: cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from exc
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="health-server", daemon=True
        )

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the server (the real port when 0 was asked)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()
        log.info("health and metrics on %s/healthz and %s/metrics", self.url, self.url)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        if path not in ("/healthz", "/metrics"):
            return _reply(start_response, "404 Not Found", "text/plain", b"not found\n", method)
        if method not in ("GET", "HEAD"):
            return _reply(
                start_response, "405 Method Not Allowed", "text/plain", b"use GET\n", method
            )
        if path == "/metrics":
            return _reply(start_response, "200 OK", self.metrics_type, self.metrics(), method)
        report = self.check()
        status = "200 OK" if report.ok else "503 Service Unavailable"
        return _reply(start_response, status, "application/json", report.to_json(), method)


def _reply(
    start_response: StartResponse, status: str, content_type: str, body: bytes, method: str
) -> list[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    start_response(status, headers)
    return [] if method == "HEAD" else [body]
