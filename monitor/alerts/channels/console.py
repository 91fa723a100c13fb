"""The console channel: alerts printed on standard output."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from monitor.alerts.channels import SendResult
from monitor.alerts.render import Rendered


class ConsoleChannel:
    """Prints each alert as a framed block of text."""

    def __init__(self, name: str, console: Console | None = None) -> None:
        self.name = name
        self.console = console or Console(highlight=False)

    def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
        """Print the alert's text (feed values are shown literally, never as markup)."""
        self.console.print(
            Panel(Text(rendered.text.strip()), title=Text(rendered.subject), expand=False)
        )
        return SendResult(ok=True, detail="printed")
