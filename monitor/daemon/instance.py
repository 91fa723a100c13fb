"""Who this process is, and the guard that keeps one daemon per SQLite database.

SQLite has one writer and no row locks to share work with, so a second ``monitor run`` on
the same file would only fight the first. The guard is an OS lock (``flock``) on a file
next to the database: the kernel drops it when the process dies, however it dies, so a
crash never leaves a stale lock behind. PostgreSQL needs no guard: processes split the
work with row locks and leases.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from monitor.errors import InstanceLockedError
from monitor.store.models import utcnow


def process_name() -> str:
    """A name for this process in leases and logs: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lock_path(database: Path) -> Path:
    """The lock file of a SQLite database: ``monitor.db`` -> ``monitor.db.lock``."""
    return database.with_name(database.name + ".lock")


class InstanceLock:
    """An exclusive, non-blocking lock on ``<database>.lock``, held until :meth:`release`."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise :class:`InstanceLockedError` naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise InstanceLockedError(
                f"another `monitor run` already uses {self.path.with_suffix('')} ({holder}); "
                "a SQLite database serves one daemon. Stop it first, or use PostgreSQL to run "
                "several processes."
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{process_name()} since {utcnow().isoformat(timespec='seconds')}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Drop the lock (the file stays; an unlocked file means nothing)."""
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
