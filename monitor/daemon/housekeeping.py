"""Housekeeping: retention of old items that belong to no incident.

Items that report an incident are kept for as long as the incident (they are its sources);
the others only matter for deduplication, which needs days, not months. Deletion goes in
small batches, each its own transaction, so it never holds long locks.
"""

from __future__ import annotations

import logging
from datetime import datetime

from monitor.config import Settings
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import utcnow

log = logging.getLogger(__name__)

BATCH = 1000


def purge_old_items(db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Delete items stored longer ago than ``daemon.retention`` that report no incident."""
    retention = settings.daemon.retention
    if retention is None or retention.total_seconds() <= 0:
        return 0
    cutoff = (now or utcnow()) - retention
    deleted = 0
    while True:
        with db.session() as session:
            count = repo.delete_orphan_items(session, cutoff, limit=BATCH)
        deleted += count
        if count < BATCH:
            break
    if deleted:
        log.info(
            "retention: deleted %d item(s) stored before %s that report no incident",
            deleted,
            cutoff.date().isoformat(),
            extra={"action": "retention", "deleted": deleted},
        )
    return deleted
