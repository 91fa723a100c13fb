"""Real local servers for tests: an HTTP server with programmable routes, an SMTP server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Response:
    """A canned answer: status, headers, body.

    ``stream`` (a function returning chunks) sends the body chunked instead, sleeping
    ``chunk_delay`` seconds between chunks: slow, endless or dripping servers. ``delay``
    waits before the status line.
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: Callable[[], Iterable[bytes]] | None = None
    chunk_delay: float = 0.0
    delay: float = 0.0


@dataclass
class Request:
    """What the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Request], Response]


class HTTPTestServer:
    """A threaded HTTP server on an ephemeral port of 127.0.0.1 (or another loopback address).

    ``route(path, response_or_handler)`` sets what a path answers; ``requests`` records
    every request received, in order.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Response | Handler] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        owner = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with owner._lock:
                    owner.requests.append(request)
                route = owner.routes.get(self.path.split("?")[0])
                response = (
                    Response(404, b"not found")
                    if route is None
                    else (route if isinstance(route, Response) else route(request))
                )
                try:
                    self._answer(response)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up: fine

            def _answer(self, response: Response) -> None:
                time.sleep(response.delay)
                self.send_response(response.status)
                length = {} if response.stream else {"Content-Length": str(len(response.body))}
                chunked = {"Transfer-Encoding": "chunked"} if response.stream else {}
                for key, value in {**length, **chunked, **response.headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command == "HEAD":
                    return
                if response.stream is None:
                    self.wfile.write(response.body)
                    return
                for chunk in response.stream():
                    time.sleep(response.chunk_delay)
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_HEAD = _serve  # noqa: N815

        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return self.base_url + path

    def route(self, path: str, answer: Response | Handler) -> None:
        """Answer requests for ``path`` with ``answer``."""
        self.routes[path] = answer

    def hits(self, path: str) -> list[Request]:
        """The requests received for ``path`` (query string ignored)."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()


# --- SMTP --------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None = None


class SMTPTestServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, optionally with AUTH and TLS.

    ``security``: ``none``, ``starttls`` (STARTTLS offered and required) or ``tls``
    (implicit TLS). With ``credentials`` the server requires AUTH with them. ``reply``
    makes DATA answer with another status (e.g. ``"451 4.3.0 try later"``). The port is
    chosen at construction, so a test can start the server after a client met a closed
    port (connection refused) and see it recover.
    """

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        security: str = "none",
        tls_context: Any = None,
    ) -> None:
        self.messages: list[ReceivedMail] = []
        self.reply: str | None = None
        self.credentials = credentials
        self.security = security
        self.tls_context = tls_context
        self.port = free_port()
        self._controller: Any = None

    def start(self) -> None:
        """Serve in a background thread."""
        from aiosmtpd.controller import Controller

        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        if self.credentials:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.security != "none",
            )
        if self.security == "starttls":
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        elif self.security == "tls":
            kwargs.update(ssl_context=self.tls_context)
        self._controller = Controller(_SMTPHandler(self), **kwargs)
        self._controller.start()

    def stop(self) -> None:
        """Stop serving (later connections are refused)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and self.credentials == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        if ok:
            session.monitor_login = auth_data.login.decode()
        return AuthResult(success=ok, handled=False)


class _SMTPHandler:
    def __init__(self, owner: SMTPTestServer) -> None:
        self.owner = owner

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.owner.reply:
            return self.owner.reply
        self.owner.messages.append(
            ReceivedMail(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content or envelope.content,
                getattr(session, "monitor_login", None),
            )
        )
        return "250 2.0.0 queued"


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
