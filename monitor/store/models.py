"""The tables: feeds (with fetch state), items, incidents, item-incident links, the outbox.

Times are stored as naive UTC and come back as aware UTC (:class:`UTCDateTime`), so the
same code runs on SQLite and PostgreSQL. Schema changes go through Alembic migrations
(``monitor/store/migrations``); never create tables from these classes in production.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, naive UTC in the database, aware UTC out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time(index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), index=index, nullable=nullable))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Feed(SQLModel, table=True):
    """A polled or backfilled feed and its fetch state."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    url: str | None = Field(default=None, index=True)
    #: The URL as the configuration gives it; ``url`` may differ after a permanent redirect.
    config_url: str | None = None
    path: str | None = None
    #: Where the feed came from: config, cli, opml or backfill.
    origin: str = "config"
    enabled: bool = True
    interval_s: int | None = None
    fetch_full_text: bool = False
    category: str | None = None
    title: str | None = None
    site_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    ttl_s: int | None = None
    next_poll_at: datetime | None = _time(index=True)
    last_polled_at: datetime | None = _time()
    last_success_at: datetime | None = _time()
    last_error_at: datetime | None = _time()
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    consecutive_failures: int = 0
    healthy: bool = True
    items_seen: int = 0
    lease_owner: str | None = None
    lease_expires_at: datetime | None = _time()
    created_at: datetime | None = _time()


class Item(SQLModel, table=True):
    """One unique article, with its classification."""

    __table_args__ = (UniqueConstraint("feed_id", "guid", name="uq_item_feed_guid"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    guid: str
    link: str | None = None
    canonical_link: str | None = Field(default=None, index=True)
    title: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    content: str = Field(default="", sa_column=Column(Text, nullable=False))
    published: datetime | None = _time(index=True)
    updated: datetime | None = _time()
    language: str | None = None
    fetched_at: datetime | None = _time()
    #: Hash of the normalised text: exact copies share it.
    content_hash: str | None = Field(default=None, index=True)
    #: 64-bit SimHash of the text (signed), for near-duplicate (syndicated) copies.
    simhash: int | None = Field(default=None, sa_column=Column(BigInteger))
    duplicate_of_id: int | None = Field(default=None, foreign_key="item.id")
    is_attack: bool = Field(default=False, index=True)
    relevant: bool = Field(default=False, index=True)
    score: float = 0.0
    watch: list[str] = _json(list)
    verdict: dict[str, Any] = _json(dict)
    classified_at: datetime | None = _time()


class Incident(SQLModel, table=True):
    """One attack, reconciled from every item that reports it."""

    __table_args__ = (
        Index("ix_incident_date_country", "event_date", "country"),
        # Candidates of a report: one country (or none), a range of dates.
        Index("ix_incident_country_date", "country", "event_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    event_date: date | None = Field(default=None, index=True)
    country: str | None = Field(default=None, index=True)
    place: str | None = None
    site: str | None = Field(default=None, index=True)
    target: str | None = None
    target_type: str | None = None
    target_nationality: str | None = None
    weapon: str | None = None
    munitions: int | None = None
    killed: int | None = None
    injured: int | None = None
    perpetrator: str | None = None
    perpetrator_status: str | None = None
    #: Every figure seen across sources, e.g. {"killed": [3, 5], "injured": [0, 34]}.
    figures: dict[str, Any] = _json(dict)
    #: How often each value was reported, per field, and what matching compares (place keys,
    #: titles): reconciliation reads it (see ``monitor/incidents/reconcile.py``).
    tally: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    relevant: bool = Field(default=False, index=True)
    watch: list[str] = _json(list)
    severity: str | None = None
    #: Bumped on each material change; alerts are keyed on it.
    revision: int = 1
    sources_count: int = 0
    outlets_count: int = 0
    first_seen_at: datetime | None = _time(index=True)
    last_updated_at: datetime | None = _time(index=True)
    #: Set when a report showed this incident to be another one's: its sources moved there.
    merged_into_id: int | None = Field(default=None, foreign_key="incident.id")


class ItemIncident(SQLModel, table=True):
    """An item reports an incident (a round-up reports several)."""

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", primary_key=True, index=True)
    attack_index: int = 0
    is_primary: bool = True
    #: The attack as this item reported it (its own figures).
    attack: dict[str, Any] = _json(dict)
    score: float = 0.0
    created_at: datetime | None = _time()


class ItemFingerprint(SQLModel, table=True):
    """One LSH band of an item's MinHash signature: near-duplicates share a band value."""

    __table_args__ = (Index("ix_itemfingerprint_band_value", "band", "value"),)

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    band: int = Field(primary_key=True)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class IncidentKey(SQLModel, table=True):
    """A site or place word an incident is known by: finds candidates without a scan."""

    __table_args__ = (Index("ix_incidentkey_kind_value_date", "kind", "value", "event_date"),)

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    #: ``site`` (a normalised site key) or ``place`` (a distinctive word of a place name).
    kind: str = Field(primary_key=True)
    value: str = Field(primary_key=True)
    #: The incident's event date, copied here so that one index serves the lookup.
    event_date: date | None = None


class Delivery(SQLModel, table=True):
    """The transactional outbox: one row per alert to send to one subscription."""

    __table_args__ = (Index("ix_delivery_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(index=True)
    channel: str
    #: new, update, digest or test.
    kind: str
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    revision: int | None = None
    idempotency_key: str = Field(unique=True)
    payload: dict[str, Any] = _json(dict)
    #: pending, sent or failed.
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = _time()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime | None = _time()
    sent_at: datetime | None = _time()
    lease_owner: str | None = None
    lease_expires_at: datetime | None = _time()


class SubscriptionState(SQLModel, table=True):
    """Per subscription: up to when digests have been sent."""

    name: str = Field(primary_key=True)
    last_digest_at: datetime | None = _time()
