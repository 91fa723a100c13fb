"""Digests: one message listing the new and updated incidents of a period, per subscription."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from monitor.alerts.outbox import _sources, wants
from monitor.alerts.payload import SCHEMA, incident_snapshot
from monitor.config import SEVERITY_ORDER, Settings, SubscriptionConfig
from monitor.store.database import Database
from monitor.store.models import Delivery, Incident


def digest_payload(
    session: Session,
    settings: Settings,
    sub: SubscriptionConfig,
    incidents: Sequence[Incident],
    *,
    start: datetime | None,
    end: datetime,
    key: str,
) -> dict[str, Any]:
    """The payload of a digest of ``incidents`` for ``sub``, most severe first."""
    limit = settings.alerts.digest_max_incidents
    ordered = sorted(
        incidents,
        key=lambda i: (
            -SEVERITY_ORDER.get(i.severity or "low", 0),
            str(i.event_date or ""),
            i.id or 0,
        ),
    )[:limit]
    listed = []
    for incident in ordered:
        snap = incident_snapshot(incident, _sources(session, incident.id or 0, limit=5))
        snap["status"] = (
            "new" if start is None or (incident.first_seen_at or end) >= start else "updated"
        )
        listed.append(snap)
    return {
        "schema": SCHEMA,
        "kind": "digest",
        "subscription": sub.name,
        "idempotency_key": key,
        "created_at": end.isoformat(),
        "period": {"start": start.isoformat() if start else None, "end": end.isoformat()},
        "counts": {
            "new": sum(1 for i in listed if i["status"] == "new"),
            "updated": sum(1 for i in listed if i["status"] == "updated"),
        },
        "incidents": listed,
    }


def enqueue_digests(
    db: Database, settings: Settings, incident_ids: Sequence[int], *, now: datetime, reason: str
) -> int:
    """One digest delivery per subscription interested in any of ``incident_ids``."""
    fingerprint = hashlib.sha256(",".join(map(str, incident_ids)).encode()).hexdigest()[:16]
    count = 0
    with db.session() as session:
        incidents = list(
            session.exec(select(Incident).where(col(Incident.id).in_(list(incident_ids)))).all()
        )
        for sub in settings.effective_subscriptions():
            chosen = [i for i in incidents if i.relevant and wants(sub, settings, i.watch)]
            key = f"{sub.name}:{reason}-digest:{fingerprint}"
            if (
                not chosen
                or session.exec(select(Delivery.id).where(Delivery.idempotency_key == key)).first()
            ):
                continue
            payload = digest_payload(session, settings, sub, chosen, start=None, end=now, key=key)
            session.add(
                Delivery(
                    subscription=sub.name,
                    channel=sub.channel,
                    kind="digest",
                    idempotency_key=key,
                    payload=payload,
                    status="pending",
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            count += 1
    return count
