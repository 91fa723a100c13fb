"""Alert channels: one module per kind, all with the same contract.

A channel takes a delivery's payload and its rendering and returns a :class:`SendResult`
(sent, or failed with a reason and whether retrying can help); it never raises for a
delivery problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from monitor.alerts.render import Rendered
from monitor.config import ChannelConfig, Settings


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send."""

    ok: bool
    detail: str = ""
    retryable: bool = True


class Channel(Protocol):
    """What the dispatcher needs of a channel."""

    name: str

    def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
        """Deliver one alert."""
        ...


def build_channel(config: ChannelConfig, settings: Settings) -> Channel:
    """The channel object for a configured channel."""
    if config.type == "console":
        from monitor.alerts.channels.console import ConsoleChannel

        return ConsoleChannel(config.name)
    if config.type == "file":
        from monitor.alerts.channels.file import FileChannel

        return FileChannel(config.name, config.directory, settings.smtp.sender)
    raise NotImplementedError(f"channel type {config.type!r} is not available yet")
