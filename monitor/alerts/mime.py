"""Build the multipart (text + HTML) email message of an alert."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from monitor.alerts.render import Rendered, single_line


def build_message(
    payload: dict[str, Any], rendered: Rendered, *, sender: str, to: list[str]
) -> EmailMessage:
    """An RFC 5322 message with Message-ID, Date, and text and HTML alternatives."""
    message = EmailMessage()
    message["Subject"] = single_line(rendered.subject, 250)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring="monitor", domain=domain)
    if key := payload.get("idempotency_key"):
        message["X-Monitor-Idempotency-Key"] = single_line(key, 200)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
