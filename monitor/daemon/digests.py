"""Scheduled digests: when each digest subscription's digest is due, in its own time zone.

Every process schedules every digest; queuing one is idempotent per subscription and
scheduled time, so N processes queue it once. The scheduled time a run stands for is the
latest cron time at or before now, so a digest missed while no process ran is queued at
the next start instead of being lost.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from croniter import croniter
from sqlalchemy.exc import IntegrityError

from monitor.config import Settings, SubscriptionConfig
from monitor.store.database import Database
from monitor.store.models import utcnow

log = logging.getLogger(__name__)


def digest_subscriptions(settings: Settings) -> list[SubscriptionConfig]:
    """The subscriptions that receive scheduled digests (mode digest or both)."""
    return [s for s in settings.effective_subscriptions() if s.mode in ("digest", "both")]


def trigger_for(sub: SubscriptionConfig) -> CronTrigger:
    """The APScheduler trigger of a subscription's digest schedule."""
    return CronTrigger.from_crontab(sub.digest_cron, timezone=sub.timezone)


def latest_due(sub: SubscriptionConfig, now: datetime | None = None) -> datetime:
    """The latest scheduled digest time at or before ``now``, in UTC."""
    local_now = (now or utcnow()).astimezone(ZoneInfo(sub.timezone))
    # croniter's get_prev is strictly before its start; a second later includes ``now``.
    start = local_now.replace(microsecond=0) + timedelta(seconds=1)
    previous: datetime = croniter(sub.digest_cron, start).get_prev(datetime)
    return previous.astimezone(UTC)


def queue_digest(
    db: Database, settings: Settings, sub: SubscriptionConfig, scheduled_for: datetime
) -> int:
    """Queue ``sub``'s digest for ``scheduled_for`` (0 when already queued or empty)."""
    from monitor.alerts.digest import enqueue_scheduled_digest

    try:
        count = enqueue_scheduled_digest(db, settings, sub.name, scheduled_for)
    except IntegrityError:
        # Another process queued the same digest in the same instant: it exists once.
        log.debug("digest %s at %s already queued by another process", sub.name, scheduled_for)
        return 0
    if count:
        log.info(
            "digest for %s (scheduled %s) queued",
            sub.name,
            scheduled_for.isoformat(timespec="minutes"),
            extra={"action": "digest", "subscription": sub.name},
        )
    return count
