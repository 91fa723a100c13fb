"""``monitor alert``: try a subscription's channel with a test message."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from monitor.alerts.channels import build_channel
from monitor.alerts.digest import subscription as find_subscription
from monitor.alerts.payload import sample_payload
from monitor.alerts.render import render
from monitor.cli.common import console, err_console, state
from monitor.store.models import utcnow

app = typer.Typer(help="Try alert channels.", no_args_is_help=True)


@app.command("test")
def test(
    ctx: typer.Context,
    subscription: Annotated[str, typer.Argument(help="Subscription whose channel is tried.")],
) -> None:
    """Send a test message through SUBSCRIPTION's channel now, and say what happened.

    The message is clearly marked as a test; it does not go through the outbox, so
    nothing is retried: exit status 1 when the channel refused it.
    """
    settings = state(ctx).settings
    sub = find_subscription(settings, subscription)
    config = next(c for c in settings.effective_channels() if c.name == sub.channel)
    now = utcnow()
    payload = sample_payload(sub.name, f"{sub.name}:test:{now:%Y%m%dT%H%M%S%fZ}", now)
    result = build_channel(config, settings).send(payload, render(payload))
    where = f"{escape(sub.name)} via {escape(config.name)} ({config.type})"
    if result.ok:
        console.print(f"[green]sent[/] test alert for {where}: {escape(result.detail)}")
        return
    hint = "will not help: fix the configuration" if not result.retryable else "may help later"
    err_console.print(f"[red]failed[/] test alert for {where}: {escape(result.detail)}")
    err_console.print(f"(retrying {hint})")
    raise typer.Exit(1)
