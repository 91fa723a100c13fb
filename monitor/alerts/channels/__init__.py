"""Alert channels: one module per kind, all with the same contract.

A channel takes a delivery's payload and its rendering and returns a :class:`SendResult`
(sent, or failed with a reason and whether retrying can help); it never raises for a
delivery problem. Kinds: ``console`` and ``file`` (the defaults), ``email`` (SMTP) and
``webhook`` (generic signed JSON, or the Slack, Discord and Teams presets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from monitor.alerts.render import Rendered
from monitor.config import ChannelConfig, Settings


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send.

    ``retryable`` says whether trying again later can help (a timeout, a 5xx) or not (a
    404, a refused recipient); ``retry_after`` is the delay the receiver asked for, in
    seconds, when it gave one.
    """

    ok: bool
    detail: str = ""
    retryable: bool = True
    retry_after: float | None = None


class Channel(Protocol):
    """What the dispatcher needs of a channel."""

    name: str

    def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
        """Deliver one alert."""
        ...


def build_channel(config: ChannelConfig, settings: Settings) -> Channel:
    """The channel object for a configured channel (raises ConfigError for a missing secret)."""
    if config.type == "console":
        from monitor.alerts.channels.console import ConsoleChannel

        return ConsoleChannel(config.name)
    if config.type == "file":
        from monitor.alerts.channels.file import FileChannel

        return FileChannel(config.name, config.directory, settings.smtp.sender)
    if config.type == "email":
        from monitor.alerts.channels.email import EmailChannel

        return EmailChannel(config.name, config.to, settings.smtp)
    from monitor.alerts.channels.webhook import WebhookChannel

    assert config.url is not None  # the config validator requires it
    return WebhookChannel(
        config.name,
        config.url,
        preset=config.preset,
        secret_env=config.secret_env,
        secret_file=config.secret_file,
        timeout=config.timeout.total_seconds(),
    )
