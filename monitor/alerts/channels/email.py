"""The email channel: multipart text + HTML over SMTP (plain, STARTTLS or implicit TLS).

The password is read from the environment variable or file named in ``[smtp]`` at every
send, so a rotated secret is picked up without a restart; it is never logged. Failures are
sorted for the dispatcher: a refused connection, a timeout or a 4xx reply is retried; a
5xx reply (refused sender or recipients, rejected message) is permanent, except an
authentication failure, which is retried (the operator may be fixing the password).
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from typing import Any

from monitor.alerts.channels import SendResult
from monitor.alerts.mime import build_message
from monitor.alerts.render import Rendered
from monitor.config import SmtpSettings, read_secret
from monitor.errors import ConfigError

log = logging.getLogger(__name__)


class EmailChannel:
    """Sends each alert as one message to the channel's recipients."""

    def __init__(self, name: str, to: list[str], smtp: SmtpSettings) -> None:
        self.name = name
        self.to = list(to)
        self.smtp = smtp
        self._password()  # fail at start, not at the first alert, when the secret is missing
        if smtp.username and smtp.security == "none" and not _is_loopback(smtp.host):
            log.warning(
                "channel %s: SMTP login to %s without TLS sends the password in clear; "
                "set smtp.security to starttls or tls",
                name,
                smtp.host,
            )

    def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
        """Deliver the message; the result says whether a retry can help."""
        message = build_message(payload, rendered, sender=self.smtp.sender, to=self.to)
        where = f"smtp {self.smtp.host}:{self.smtp.port}"
        try:
            password = self._password()
            with self._connect() as client:
                if self.smtp.username:
                    client.login(self.smtp.username, password or "")
                refused = client.send_message(message, to_addrs=self.to)
        except ConfigError as exc:
            return SendResult(False, str(exc))
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult(False, f"{where}: {_refusals(exc.recipients)}", retryable=False)
        except smtplib.SMTPNotSupportedError as exc:
            return SendResult(False, f"{where}: {exc}", retryable=False)
        except smtplib.SMTPAuthenticationError as exc:
            return SendResult(False, f"{where}: login refused: {_reply(exc)}")
        except smtplib.SMTPResponseException as exc:
            return SendResult(False, f"{where}: {_reply(exc)}", retryable=exc.smtp_code < 500)
        except (smtplib.SMTPException, OSError) as exc:
            return SendResult(False, f"{where}: {type(exc).__name__}: {exc}")
        detail = f"{where}: sent to {len(self.to) - len(refused)} recipient(s)"
        if refused:
            detail += f"; refused {_refusals(refused)}"
        return SendResult(True, detail)

    def _connect(self) -> smtplib.SMTP:
        smtp, timeout = self.smtp, self.smtp.timeout.total_seconds()
        if smtp.security == "tls":
            return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=self._tls())
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
        if smtp.security == "starttls":
            try:
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS (smtp.security = starttls)"
                    )
                client.starttls(context=self._tls())
                client.ehlo()
            except BaseException:
                client.close()
                raise
        return client

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.smtp.ca_file)

    def _password(self) -> str | None:
        if not self.smtp.username:
            return None
        password = read_secret(self.smtp.password_env, self.smtp.password_file)
        if password is None:
            where = f"${self.smtp.password_env}"
            if self.smtp.password_file:
                where += f" or {self.smtp.password_file}"
            raise ConfigError(f"smtp.username is set but no password was found in {where}")
        return password


def _reply(exc: smtplib.SMTPResponseException) -> str:
    error: bytes | str = exc.smtp_error
    text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
    return f"{exc.smtp_code} {text}".strip()


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(
        f"{address} ({code} {reply.decode(errors='replace')})"
        for address, (code, reply) in recipients.items()
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
