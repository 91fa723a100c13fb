"""Write deliveries into the outbox, in the caller's transaction (the incident change's).

Sending never happens here: the dispatcher sends what this module writes, so an alert
exists exactly when the incident change that causes it was committed.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from monitor.alerts.payload import SCHEMA, incident_snapshot
from monitor.config import SEVERITY_ORDER, Settings, SubscriptionConfig
from monitor.records import IncidentChange
from monitor.store.models import Delivery, Feed, Incident, Item, ItemIncident


def wants(sub: SubscriptionConfig, settings: Settings, watch: tuple[str, ...] | list[str]) -> bool:
    """Whether a subscription cares about an incident hitting ``watch`` rules."""
    hit = [name for name in watch if "*" in sub.rules or name in sub.rules]
    if not hit:
        return False
    if sub.min_severity is None:
        return True
    severities = {rule.name: rule.severity for rule in settings.watch}
    best = max(SEVERITY_ORDER[severities.get(name, "high")] for name in hit)
    return best >= SEVERITY_ORDER[sub.min_severity]


def severity_of(settings: Settings, watch: tuple[str, ...] | list[str]) -> str | None:
    """The highest severity among the rules hit."""
    levels = [rule.severity for rule in settings.watch if rule.name in watch]
    return max(levels, key=SEVERITY_ORDER.__getitem__) if levels else None


def enqueue_change(
    session: Session, settings: Settings, change: IncidentChange, incident: Incident, now: datetime
) -> list[Delivery]:
    """Add one immediate delivery per interested subscription for a new or updated incident."""
    if change.kind == "source" or not change.relevant:
        return []
    subs = [
        s
        for s in settings.effective_subscriptions()
        if s.mode in ("immediate", "both") and wants(s, settings, change.watch)
    ]
    if not subs:
        return []
    snapshot = incident_snapshot(incident, _sources(session, change.incident_id))
    deliveries = []
    for sub in subs:
        key = f"{sub.name}:incident-{change.incident_id}:r{change.revision}"
        if session.exec(select(Delivery.id).where(Delivery.idempotency_key == key)).first():
            continue
        delivery = Delivery(
            subscription=sub.name,
            channel=sub.channel,
            kind=change.kind,
            incident_id=change.incident_id,
            revision=change.revision,
            idempotency_key=key,
            payload={
                "schema": SCHEMA,
                "kind": change.kind,
                "subscription": sub.name,
                "idempotency_key": key,
                "created_at": now.isoformat(),
                "incident": snapshot,
                "changes": list(change.changes),
            },
            status="pending",
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    return deliveries


def _sources(session: Session, incident_id: int, limit: int = 10) -> list[tuple[Item, str]]:
    query = (
        select(Item, Feed.title, Feed.name)
        .join(ItemIncident, col(ItemIncident.item_id) == col(Item.id))
        .join(Feed, col(Feed.id) == col(Item.feed_id))
        .where(ItemIncident.incident_id == incident_id)
        .order_by(col(Item.published).asc().nulls_last(), col(Item.id))
        .limit(limit)
    )
    return [(item, title or name) for item, title, name in session.exec(query).all()]
