"""``monitor db``: migrations."""

from __future__ import annotations

import typer

from monitor.cli.common import console, state

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply every pending migration."""
    db = state(ctx).database(migrate=False)
    db.upgrade()
    console.print(f"{db.safe_url}: at revision {db.current_revision()}")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision the database is at."""
    db = state(ctx).database(migrate=False)
    console.print(f"{db.safe_url}: {db.current_revision() or 'not initialised'}")
