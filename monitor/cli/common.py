"""What every command shares: the loaded settings, the database, the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import typer
from rich.console import Console

from monitor.config import Settings, load_settings
from monitor.logs import setup_logging
from monitor.store.database import Database

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class AppState:
    """Lazily loaded settings and database for the running command."""

    config_path: Path | None = None
    log_level: str | None = None
    _db: Database | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        """The validated configuration (raises ConfigError)."""
        settings = load_settings(self.config_path)
        setup_logging(settings.daemon.log_format, self.log_level or settings.daemon.log_level)
        return settings

    def database(self, *, migrate: bool = True) -> Database:
        """The database, migrated to the latest schema unless ``migrate`` is False."""
        if self._db is None:
            self._db = Database(self.settings.database.url, echo=self.settings.database.echo)
            if migrate:
                self._db.upgrade()
        return self._db


def state(ctx: typer.Context) -> AppState:
    """The shared state of the root command."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
