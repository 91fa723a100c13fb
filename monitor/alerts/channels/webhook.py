"""The webhook channel: an HTTP POST of the alert as JSON, optionally signed.

Headers (documented in the README for receivers)::

    Content-Type: application/json
    Idempotency-Key: <the delivery's key>       the same on every retry: drop repeats
    X-Monitor-Event: new | update | digest | test
    X-Monitor-Timestamp: <unix seconds>
    X-Monitor-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>   with a secret

The generic preset posts the ``monitor.alert/1`` payload; ``slack``, ``discord`` and
``teams`` post what those incoming webhooks expect (see :mod:`presets`). Any 2xx is
success. 408, 429, 5xx, timeouts and connection errors are retried (honouring
Retry-After); any other status, redirects included, is a permanent failure: a 404 or a
moved URL never counts as delivered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from monitor import __version__
from monitor.alerts.channels import SendResult
from monitor.alerts.channels.presets import PRESETS
from monitor.alerts.render import Rendered
from monitor.config import read_secret
from monitor.errors import ConfigError

RETRYABLE_STATUSES = frozenset({408, 425, 429})
SIGNATURE_VERSION = "v1"


class WebhookChannel:
    """POSTs each alert to one URL."""

    def __init__(
        self,
        name: str,
        url: str,
        *,
        preset: str = "generic",
        secret_env: str | None = None,
        secret_file: str | None = None,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.preset = preset
        self.secret_env, self.secret_file = secret_env, secret_file
        self.timeout = timeout
        self.transport = transport
        if (secret_env or secret_file) and self._secret() is None:
            raise ConfigError(
                f"channel {name}: no signing secret in ${secret_env or '-'}"
                f"{' or ' + secret_file if secret_file else ''}"
            )

    def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
        """POST the alert; the result says whether a retry can help."""
        try:
            body = encode_json(PRESETS[self.preset](payload, rendered))
            headers = self._headers(payload, body)
        except ConfigError as exc:
            return SendResult(False, str(exc))
        try:
            with httpx.Client(
                timeout=self.timeout, follow_redirects=False, transport=self.transport
            ) as client:
                response = client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return SendResult(False, f"{self._where()}: no answer within {self.timeout:g}s")
        except httpx.HTTPError as exc:
            return SendResult(False, f"{self._where()}: {type(exc).__name__}: {exc}")
        return self._outcome(response)

    def _headers(self, payload: dict[str, Any], body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"monitor/{__version__} (alerts)",
            "Idempotency-Key": str(payload.get("idempotency_key") or ""),
            "X-Monitor-Event": str(payload.get("kind") or ""),
            "X-Monitor-Timestamp": timestamp,
        }
        secret = self._secret()
        if secret:
            headers["X-Monitor-Signature"] = sign(secret, timestamp, body)
        return headers

    def _secret(self) -> str | None:
        if not (self.secret_env or self.secret_file):
            return None
        return read_secret(self.secret_env, self.secret_file)

    def _outcome(self, response: httpx.Response) -> SendResult:
        status = response.status_code
        where = f"{self._where()}: HTTP {status}"
        if 200 <= status < 300:
            return SendResult(True, where)
        reason = " ".join(response.text[:200].split())
        if 300 <= status < 400:
            moved = response.headers.get("location", "?")
            return SendResult(
                False, f"{where} redirect to {moved}; update the channel url", retryable=False
            )
        retryable = status >= 500 or status in RETRYABLE_STATUSES
        return SendResult(
            False,
            f"{where}{': ' + reason if reason else ''}",
            retryable=retryable,
            retry_after=retry_after(response.headers.get("retry-after")),
        )

    def _where(self) -> str:
        # The URL path of Slack/Discord/Teams webhooks is the credential: show the host only.
        return f"webhook {httpx.URL(self.url).host}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Monitor-Signature`` value: ``v1=`` + hex HMAC-SHA256 of ``timestamp.body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def encode_json(data: Any) -> bytes:
    """Compact UTF-8 JSON with ``<``, ``>``, ``&`` and line separators escaped.

    The decoded values are unchanged; the escaping keeps the raw body inert if a receiver
    ever pastes it into HTML or a ``<script>`` block.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text.encode()


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), if valid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
