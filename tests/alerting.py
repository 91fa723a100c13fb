"""Helpers for the alert tests: settings with subscriptions, incidents written straight to the store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

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
