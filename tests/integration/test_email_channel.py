"""The email channel against a real SMTP server (aiosmtpd): plain, AUTH, STARTTLS, TLS, faults."""

from __future__ import annotations

import email
import ssl
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest
import trustme

from monitor.alerts.channels.email import EmailChannel
from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.render import render
from monitor.config import SmtpSettings
from monitor.errors import ConfigError
from monitor.store.database import Database
from monitor.store.models import utcnow
from tests.alerting import (
    HOSTILE_TITLE,
    add_incident,
    alert,
    alert_settings,
    delivery,
    queue_alert,
)
from tests.servers import SMTPTestServer

# AUTH without TLS on 127.0.0.1 is what the plain-login tests are about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

TO = ["analyst@example.org", "Duty Officer <duty@example.org>"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A throw-away certificate authority."""
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CA certificate as a PEM file, for smtp.ca_file."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def started() -> Iterator[list[SMTPTestServer]]:
    """Servers to stop at the end of the test."""
    servers: list[SMTPTestServer] = []
    yield servers
    for server in servers:
        server.stop()


def serve(started: list[SMTPTestServer], **kwargs: Any) -> SMTPTestServer:
    server = SMTPTestServer(**kwargs)
    server.start()
    started.append(server)
    return server


def smtp(server: SMTPTestServer, **fields: Any) -> SmtpSettings:
    return SmtpSettings.model_validate(
        {"host": "127.0.0.1", "port": server.port, "sender": "monitor@example.org", "timeout": 5}
        | fields
    )


def payload(title: str = "Rocket attack on US Embassy, Baghdad (IQ)") -> dict[str, Any]:
    return alert(title=title)


def send(channel: EmailChannel, title: str = "Rocket attack on US Embassy, Baghdad (IQ)") -> Any:
    data = payload(title)
    return channel.send(data, render(data))


def received(server: SMTPTestServer, n: int = 0) -> email.message.EmailMessage:
    message = email.message_from_bytes(server.messages[n].data, policy=policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_an_alert_arrives_as_multipart_text_and_html(started: list[SMTPTestServer]) -> None:
    server = serve(started)
    result = send(EmailChannel("mail", TO, smtp(server)))
    assert result.ok, result.detail
    [mail] = server.messages
    assert mail.mail_from == "monitor@example.org"
    assert mail.rcpt_tos == ["analyst@example.org", "duty@example.org"]
    message = received(server)
    assert message["Subject"] == "[monitor] New: Rocket attack on US Embassy, Baghdad (IQ)"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and "Baghdad (IQ)" in text.get_content()
    assert html is not None and "<table" in html.get_content()


def test_login_with_the_password_from_the_environment(
    started: list[SMTPTestServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(started, credentials=("monitor", "s3cret"))
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "s3cret")
    assert send(EmailChannel("mail", TO, smtp(server, username="monitor"))).ok
    assert server.messages[0].login == "monitor"


def test_login_with_the_password_from_a_file(
    started: list[SMTPTestServer], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = serve(started, credentials=("monitor", "from-file"))
    monkeypatch.delenv("MONITOR_SMTP_PASSWORD", raising=False)
    (tmp_path / "pw").write_text("from-file\n")
    settings = smtp(server, username="monitor", password_file=str(tmp_path / "pw"))
    assert send(EmailChannel("mail", TO, settings)).ok


def test_a_refused_login_is_reported_and_retried(
    started: list[SMTPTestServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(started, credentials=("monitor", "s3cret"))
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "wrong")
    result = send(EmailChannel("mail", TO, smtp(server, username="monitor")))
    assert not result.ok and result.retryable
    assert "login refused: 535" in result.detail
    assert "wrong" not in result.detail
    assert server.messages == []


def test_a_missing_password_stops_the_channel_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_SMTP_PASSWORD", raising=False)
    settings = SmtpSettings(username="monitor")
    with pytest.raises(ConfigError, match=r"no password was found in \$MONITOR_SMTP_PASSWORD"):
        EmailChannel("mail", TO, settings)


def test_starttls_with_auth(
    started: list[SMTPTestServer],
    ca: trustme.CA,
    ca_file: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = serve(
        started,
        credentials=("monitor", "s3cret"),
        security="starttls",
        tls_context=server_context(ca),
    )
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "s3cret")
    settings = smtp(server, username="monitor", security="starttls", ca_file=ca_file)
    result = send(EmailChannel("mail", TO, settings))
    assert result.ok, result.detail
    assert server.messages[0].login == "monitor"


def test_implicit_tls(started: list[SMTPTestServer], ca: trustme.CA, ca_file: str) -> None:
    server = serve(started, security="tls", tls_context=server_context(ca))
    result = send(EmailChannel("mail", TO, smtp(server, security="tls", ca_file=ca_file)))
    assert result.ok, result.detail
    assert len(server.messages) == 1


def test_an_untrusted_certificate_is_refused(started: list[SMTPTestServer], ca: trustme.CA) -> None:
    server = serve(started, security="tls", tls_context=server_context(ca))
    result = send(EmailChannel("mail", TO, smtp(server, security="tls")))
    assert not result.ok and "CERTIFICATE_VERIFY_FAILED" in result.detail
    assert server.messages == []


def test_starttls_is_never_silently_dropped(started: list[SMTPTestServer]) -> None:
    server = serve(started)  # offers no STARTTLS
    result = send(EmailChannel("mail", TO, smtp(server, security="starttls")))
    assert not result.ok and not result.retryable
    assert "does not offer STARTTLS" in result.detail
    assert server.messages == []


def test_temporary_and_permanent_rejections(started: list[SMTPTestServer]) -> None:
    server = serve(started)
    channel = EmailChannel("mail", TO, smtp(server))
    server.reply = "451 4.3.0 mailbox busy, try later"
    busy = send(channel)
    assert (busy.ok, busy.retryable) == (False, True)
    assert "451" in busy.detail
    server.reply = "554 5.7.1 message rejected"
    rejected = send(channel)
    assert (rejected.ok, rejected.retryable) == (False, False)
    assert "554" in rejected.detail


def test_a_hostile_title_cannot_add_recipients_or_headers(started: list[SMTPTestServer]) -> None:
    server = serve(started)
    assert send(EmailChannel("mail", ["analyst@example.org"], smtp(server)), HOSTILE_TITLE).ok
    [mail] = server.messages
    assert mail.rcpt_tos == ["analyst@example.org"]
    message = received(server)
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "Bcc: victim" in message["Subject"]
    html = message.get_body(("html",))
    assert html is not None
    assert "<script" not in html.get_content() and "<img" not in html.get_content()


def test_a_server_refusing_connections_delays_the_alert_until_it_recovers(
    db: Database, started: list[SMTPTestServer]
) -> None:
    server = SMTPTestServer()  # not started yet: connections are refused
    settings = alert_settings(
        [{"name": "ops", "channel": "mail"}],
        [{"name": "mail", "type": "email", "to": ["analyst@example.org"]}],
        smtp={"host": "127.0.0.1", "port": server.port, "timeout": 5},
    )
    [delivery_id] = queue_alert(db, settings, add_incident(db))
    dispatcher = Dispatcher(settings, db, "test-process")
    first = dispatcher.dispatch()
    assert (first.sent, first.retried) == (0, 1)
    row = delivery(db, delivery_id)
    assert row.status == "pending" and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)
    assert dispatcher.dispatch().sent == 0, "not before the back-off delay"
    server.start()
    started.append(server)
    later = dispatcher.dispatch(now=utcnow() + timedelta(minutes=1))
    assert later.sent == 1
    row = delivery(db, delivery_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(server.messages) == 1
