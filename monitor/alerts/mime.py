"""Build the multipart (text + HTML) email message of an alert.

The Message-ID derives from the delivery's idempotency key, so a message re-sent after a
crash carries the same Message-ID and mail clients and servers can drop the repeat; every
alert about one incident references the same thread id, so clients thread its updates.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any

from monitor.alerts.render import Rendered, single_line


def build_message(
    payload: dict[str, Any],
    rendered: Rendered,
    *,
    sender: str,
    to: list[str],
    now: datetime | None = None,
) -> EmailMessage:
    """An RFC 5322 message with Message-ID, Date, and text and HTML alternatives."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = single_line(rendered.subject, 250)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(now or datetime.now(UTC))
    domain = _domain(sender)
    key = payload.get("idempotency_key")
    message["Message-ID"] = message_id(str(key), domain) if key else make_msgid(domain=domain)
    if thread := _thread_id(payload, domain):
        message["References"] = thread
        if payload.get("kind") == "update":
            message["In-Reply-To"] = thread
    if key:
        message["X-Monitor-Idempotency-Key"] = single_line(key, 200)
    # RFC 3834: tell vacation responders and ticket systems not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def message_id(key: str, domain: str) -> str:
    """The Message-ID of the delivery whose idempotency key is ``key``."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.alert@{domain}>"


def _thread_id(payload: dict[str, Any], domain: str) -> str | None:
    incident = payload.get("incident") or {}
    if payload.get("kind") not in ("new", "update") or not incident.get("id"):
        return None
    seed = f"{payload.get('subscription')}:incident-{incident['id']}"
    return f"<{hashlib.sha256(seed.encode()).hexdigest()[:32]}.incident@{domain}>"


def _domain(sender: str) -> str:
    domain = sender.rpartition("@")[2].strip("<> ")
    return domain or "localhost"
