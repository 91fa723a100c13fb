"""Helpers for the alert tests: settings with subscriptions, incidents written straight to the store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from monitor.alerts.payload import SCHEMA, incident_snapshot
from monitor.config import Settings
from monitor.store.database import Database
from monitor.store.models import Feed, Incident, Item, ItemIncident

T0 = datetime(2023, 12, 9, 7, 0, tzinfo=UTC)

RULES: list[dict[str, Any]] = [
    {"name": "us-diplomatic-military", "severity": "high", "target_types": ["diplomatic"]},
    {"name": "red-sea-shipping", "severity": "medium", "target_types": ["commercial ship"]},
    {"name": "aid-workers", "severity": "critical", "target_types": ["aid workers"]},
]


def alert_settings(
    subscriptions: list[dict[str, Any]] | None = None,
    channels: list[dict[str, Any]] | None = None,
    **sections: Any,
) -> Settings:
    """Settings with the three rules above, a file channel and the given subscriptions."""
    data: dict[str, Any] = {
        "watch": RULES,
        "channels": channels or [{"name": "files", "type": "file", "directory": "var/outbox"}],
        "subscriptions": subscriptions
        or [{"name": "morning", "channel": "files", "mode": "digest", "digest_cron": "0 7 * * *"}],
        **sections,
    }
    return Settings.model_validate(data)


def add_incident(
    db: Database,
    *,
    title: str = "Rocket attack on US Embassy, Baghdad (IQ)",
    watch: tuple[str, ...] = ("us-diplomatic-military",),
    first_seen: datetime = T0,
    updated: datetime | None = None,
    revision: int = 1,
    event_date: date | None = date(2023, 12, 9),
    sources: int = 1,
    source_title: str | None = None,
    **fields: Any,
) -> int:
    """An incident with ``sources`` items from one feed; its id."""
    with db.session() as session:
        feed = session.exec(select(Feed).where(Feed.name == "wire")).first()
        if feed is None:
            feed = Feed(name="wire", title="Wire Service", origin="backfill")
            session.add(feed)
            session.flush()
        incident = Incident(
            title=title,
            event_date=event_date,
            country=fields.pop("country", "IQ"),
            place=fields.pop("place", "Baghdad"),
            target=fields.pop("target", "US Embassy"),
            target_type=fields.pop("target_type", "diplomatic"),
            weapon=fields.pop("weapon", "rocket"),
            killed=fields.pop("killed", 0),
            injured=fields.pop("injured", 2),
            perpetrator=fields.pop("perpetrator", "Kataib Hezbollah"),
            relevant=bool(watch),
            watch=list(watch),
            severity="high" if watch else None,
            revision=revision,
            sources_count=sources,
            outlets_count=1,
            first_seen_at=first_seen,
            last_updated_at=updated or first_seen,
            **fields,
        )
        session.add(incident)
        session.flush()
        assert incident.id is not None and feed.id is not None
        for n in range(sources):
            item = Item(
                feed_id=feed.id,
                guid=f"{incident.id}-{n}",
                link=f"https://news.example.org/{incident.id}/{n}",
                title=source_title or f"{title} (report {n + 1})",
                published=first_seen,
            )
            session.add(item)
            session.flush()
            assert item.id is not None
            session.add(ItemIncident(item_id=item.id, incident_id=incident.id))
        return incident.id


def queue_alert(
    db: Database, settings: Settings, incident_id: int, kind: str = "new", revision: int = 1
) -> list[int]:
    """Queue the immediate alerts of an incident change through the real outbox; their ids."""
    from monitor.alerts.outbox import enqueue_change
    from monitor.records import IncidentChange
    from monitor.store.models import utcnow

    with db.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        change = IncidentChange(
            incident_id,
            kind,  # type: ignore[arg-type]
            revision,
            True,
            tuple(incident.watch),
        )
        deliveries = enqueue_change(session, settings, change, incident, utcnow())
        session.flush()
        return [d.id for d in deliveries if d.id is not None]


def delivery(db: Database, delivery_id: int) -> Any:
    """The delivery row, fresh from the database."""
    from monitor.store.models import Delivery

    with db.session() as session:
        return session.get(Delivery, delivery_id)


HOSTILE_TITLE = (
    'Rockets hit base <script>alert("x")</script>\r\nBcc: victim@example.org\r\n'
    "<img src=x onerror=alert(2)>"
)


PAYLOAD_TIME = datetime(2023, 12, 9, 10, 0, tzinfo=UTC)


def incident_row(
    title: str = "Rocket attack on US Embassy, Baghdad (IQ)", **fields: Any
) -> Incident:
    values: dict[str, Any] = {
        "id": 7,
        "title": title,
        "event_date": date(2023, 12, 9),
        "country": "IQ",
        "place": "Baghdad",
        "target": "US Embassy",
        "weapon": "rocket",
        "munitions": 14,
        "killed": 0,
        "injured": None,
        "perpetrator": "Kataib Hezbollah",
        "relevant": True,
        "watch": ["us-diplomatic-military"],
        "severity": "high",
        "revision": 1,
        "sources_count": 2,
        "outlets_count": 2,
        "first_seen_at": PAYLOAD_TIME,
        "last_updated_at": PAYLOAD_TIME,
    }
    return Incident(**(values | fields))


def alert(
    kind: str = "new", source_title: str = "Rockets fired at embassy", **fields: Any
) -> dict[str, Any]:
    """An alert payload built by the real snapshot code from an in-memory incident."""
    sources = [
        (Item(feed_id=1, guid="a", title=source_title, link="https://news.example.org/a"), "Wire"),
        (Item(feed_id=1, guid="b", title="Second report", link="javascript:alert(3)"), "Other"),
    ]
    return {
        "schema": SCHEMA,
        "kind": kind,
        "subscription": "ops",
        "idempotency_key": "ops:incident-7:r1",
        "created_at": PAYLOAD_TIME.isoformat(),
        "incident": incident_snapshot(incident_row(**fields), sources),
        "changes": ["killed 0 -> 3"] if kind == "update" else [],
    }


def digest(incidents: list[dict[str, Any]], timezone: str = "UTC") -> dict[str, Any]:
    """A digest payload of incident snapshots, in one group; the first is 'updated'."""
    for n, snap in enumerate(incidents):
        snap["status"] = "new" if n else "updated"
        snap["rule"] = "us-diplomatic-military"
    return {
        "schema": SCHEMA,
        "kind": "digest",
        "subscription": "ops",
        "idempotency_key": "ops:digest:20231210T060000Z",
        "created_at": PAYLOAD_TIME.isoformat(),
        "period": {"start": None, "end": "2023-12-09T22:00:00+00:00", "timezone": timezone},
        "counts": {"new": len(incidents) - 1, "updated": 1, "omitted": 0},
        "groups": [
            {
                "rule": "us-diplomatic-military",
                "severity": "high",
                "incident_ids": [i["id"] for i in incidents],
            }
        ],
        "incidents": incidents,
    }
