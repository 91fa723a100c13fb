"""Send pending deliveries from the outbox, retrying failures with exponential back-off.

Claiming a delivery sets a lease (owner + expiry) in its own transaction, using
``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several processes split the work; a process
that dies leaves leases that expire and are taken over. Delivery is at-least-once: a crash
between sending and marking sent re-sends with the same idempotency key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, or_, select

from monitor.alerts.channels import Channel, SendResult, build_channel
from monitor.alerts.render import render
from monitor.config import Settings
from monitor.store.database import Database
from monitor.store.models import Delivery, utcnow

log = logging.getLogger(__name__)


@dataclass
class DispatchSummary:
    """What one dispatch round did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int, base: timedelta, ceiling: timedelta) -> timedelta:
    """Delay before the next try: ``base * 2 ** (attempts - 1)``, capped at ``ceiling``.

    With the defaults (30s, 1h, 8 attempts) a delivery is tried at about 0, 30s, 1.5m,
    3.5m, 7.5m, 15.5m, 31.5m and 1h 3.5m, then marked failed.
    """
    return min(ceiling, base * (2 ** max(attempts - 1, 0)))


class Dispatcher:
    """Claims due deliveries, sends them through their channel and records the outcome."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        owner: str,
        channels: dict[str, Channel] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.owner = owner
        self.channels = (
            channels
            if channels is not None
            else {c.name: build_channel(c, settings) for c in settings.effective_channels()}
        )

    def dispatch(self, now: datetime | None = None) -> DispatchSummary:
        """Send every due delivery, one claimed batch at a time."""
        summary = DispatchSummary()
        while claimed := self.claim(now or utcnow()):
            for delivery in claimed:
                self._deliver(delivery, summary)
            if len(claimed) < self.settings.alerts.batch_size:
                break
        return summary

    def claim(self, now: datetime) -> list[Delivery]:
        """Lease a batch of due deliveries to this process."""
        lease_until = now + self.settings.daemon.lease_ttl
        with self.db.session() as session:
            query = (
                select(Delivery)
                .where(
                    Delivery.status == "pending",
                    col(Delivery.next_attempt_at) <= now,
                    or_(
                        col(Delivery.lease_expires_at).is_(None),
                        col(Delivery.lease_expires_at) < now,
                    ),
                )
                .order_by(col(Delivery.id))
                .limit(self.settings.alerts.batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list(session.exec(query).all())
            for row in rows:
                row.lease_owner, row.lease_expires_at = self.owner, lease_until
                session.add(row)
        return rows

    def _renew(self, delivery: Delivery) -> bool:
        """Extend this process's lease on one delivery just before sending it.

        A batch can take longer than ``lease_ttl`` to send through slow channels; renewing
        per delivery means every send starts with a full lease, so another process never
        takes over a delivery that is about to be sent. False when the lease was lost.
        """
        with self.db.session() as session:
            renewed = session.execute(
                update(Delivery)
                .where(
                    col(Delivery.id) == delivery.id,
                    col(Delivery.lease_owner) == self.owner,
                    col(Delivery.status) == "pending",
                )
                .values(lease_expires_at=utcnow() + self.settings.daemon.lease_ttl)
            )
            return bool(getattr(renewed, "rowcount", 0))

    def _deliver(self, delivery: Delivery, summary: DispatchSummary) -> None:
        if not self._renew(delivery):
            log.info("delivery %s: lease lost to another process; not sent here", delivery.id)
            return
        channel = self.channels.get(delivery.channel)
        if channel is None:
            result = SendResult(
                False, f"channel {delivery.channel!r} is not configured", retryable=False
            )
        else:
            try:
                result = channel.send(delivery.payload, render(delivery.payload))
            except Exception as exc:  # a channel bug must not lose the delivery
                log.exception("channel %s crashed on delivery %s", delivery.channel, delivery.id)
                result = SendResult(False, f"{type(exc).__name__}: {exc}")
        self._record(delivery, result, summary)

    def _delay(self, attempts: int, asked: float | None) -> timedelta:
        """The back-off, or longer when the receiver asked (Retry-After, up to retry_max)."""
        alerts = self.settings.alerts
        delay = retry_delay(attempts, alerts.retry_base, alerts.retry_max)
        if asked is not None:
            delay = max(delay, min(timedelta(seconds=asked), alerts.retry_max))
        return delay

    def _record(self, delivery: Delivery, result: SendResult, summary: DispatchSummary) -> None:
        now = utcnow()
        with self.db.session() as session:
            row = session.get(Delivery, delivery.id)
            if row is None or row.lease_owner != self.owner:
                return  # the lease expired and another process owns it now
            row.attempts += 1
            row.lease_owner = row.lease_expires_at = None
            if result.ok:
                row.status, row.sent_at, row.last_error = "sent", now, None
                summary.sent += 1
            elif result.retryable and row.attempts < self.settings.alerts.max_attempts:
                row.next_attempt_at = now + self._delay(row.attempts, result.retry_after)
                row.last_error = result.detail
                summary.retried += 1
            else:
                row.status, row.last_error = "failed", result.detail
                summary.failed += 1
            session.add(row)
        if not result.ok:
            summary.errors.append(f"delivery {delivery.id} ({delivery.channel}): {result.detail}")
        _log_outcome(row, result)


def _log_outcome(row: Delivery, result: SendResult) -> None:
    extra = {
        "action": "deliver",
        "delivery": row.id,
        "subscription": row.subscription,
        "channel": row.channel,
        "status": row.status,
        "attempts": row.attempts,
    }
    where = f"delivery {row.id} ({row.kind}, {row.subscription} via {row.channel})"
    if result.ok:
        log.info("%s sent: %s", where, result.detail, extra=extra)
    elif row.status == "pending":
        when = f"{row.next_attempt_at:%H:%M:%S}" if row.next_attempt_at else "?"
        log.warning(
            "%s failed (attempt %d), retrying at %s UTC: %s",
            where,
            row.attempts,
            when,
            result.detail,
            extra=extra,
        )
    else:
        log.error(
            "%s failed for good after %d attempt(s): %s (`monitor deliveries retry %s` "
            "queues it again)",
            where,
            row.attempts,
            result.detail,
            row.id,
            extra=extra,
        )
