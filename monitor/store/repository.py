"""Queries and writes on the tables, one small function each. Callers own the session."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from monitor.config import FeedConfig
from monitor.records import Attack
from monitor.store.models import (
    Delivery,
    Feed,
    Incident,
    IncidentKey,
    Item,
    ItemFingerprint,
    ItemIncident,
    utcnow,
)

# --- feeds -----------------------------------------------------------------------------


def sync_config_feeds(session: Session, feeds: Sequence[FeedConfig]) -> None:
    """Make the feed table hold the configured feeds; config feeds no longer listed are disabled."""
    existing = {f.name: f for f in session.exec(select(Feed)).all()}
    listed = set()
    for conf in feeds:
        listed.add(conf.name)
        feed = existing.get(conf.name) or Feed(name=conf.name, created_at=utcnow())
        # A feed that moved permanently keeps its new URL until the configuration changes.
        config_changed = feed.config_url != conf.url or feed.path != conf.path
        if config_changed:
            if feed.url != conf.url or feed.path != conf.path:
                feed.etag = feed.last_modified = feed.body_hash = None
            feed.url, feed.config_url = conf.url, conf.url
        feed.path, feed.origin = conf.path, "config"
        feed.enabled = conf.enabled
        feed.interval_s = int(conf.interval.total_seconds()) if conf.interval else None
        feed.fetch_full_text, feed.category = conf.fetch_full_text, conf.category
        session.add(feed)
    for name, feed in existing.items():
        if feed.origin == "config" and name not in listed and feed.enabled:
            feed.enabled = False
            session.add(feed)


def source_feed(
    session: Session,
    name: str,
    *,
    url: str | None = None,
    path: str | None = None,
    origin: str = "backfill",
    category: str | None = None,
) -> Feed:
    """The feed row for a source, created on first use (backfill sources are not polled)."""
    feed = session.exec(select(Feed).where(Feed.name == name)).first()
    if feed is None:
        feed = Feed(
            name=name,
            url=url,
            path=path,
            origin=origin,
            enabled=origin != "backfill",
            category=category,
            created_at=utcnow(),
        )
        session.add(feed)
        session.flush()
    return feed


def due_feeds(session: Session, now: datetime, limit: int = 10_000) -> list[Feed]:
    """Enabled feeds whose next poll time has come (never-polled first)."""
    query = (
        select(Feed)
        .where(Feed.enabled, or_(col(Feed.next_poll_at).is_(None), col(Feed.next_poll_at) <= now))
        .order_by(col(Feed.next_poll_at).asc().nulls_first(), col(Feed.id))
        .limit(limit)
    )
    return list(session.exec(query).all())


def all_feeds(session: Session) -> list[Feed]:
    """Every feed, by name."""
    return list(session.exec(select(Feed).order_by(col(Feed.name))).all())


def feed_by_name(session: Session, name: str) -> Feed | None:
    """The feed called ``name``, if any."""
    return session.exec(select(Feed).where(Feed.name == name)).first()


def feed_by_url(session: Session, url: str) -> Feed | None:
    """The first feed polling ``url``, if any."""
    return session.exec(select(Feed).where(Feed.url == url).order_by(col(Feed.id))).first()


def update_feed_states(session: Session, states: Sequence[Mapping[str, Any]]) -> None:
    """Write the fetch state of many feeds in one go; each mapping holds the feed's ``id``.

    Mappings with the same keys become one executemany UPDATE, so a poll cycle costs a
    few statements, not one round trip per feed.
    """
    if states:
        session.execute(update(Feed), [dict(state) for state in states])


# --- items -----------------------------------------------------------------------------


def known_guids(session: Session, feed_id: int, guids: Iterable[str]) -> set[str]:
    """Which of ``guids`` this feed already stored."""
    wanted = list(guids)
    found: set[str] = set()
    for chunk in _chunks(wanted, 500):
        query = select(Item.guid).where(Item.feed_id == feed_id, col(Item.guid).in_(chunk))
        found.update(session.exec(query).all())
    return found


def known_links(session: Session, links: Iterable[str]) -> dict[str, int]:
    """Canonical link -> item id, for the links already stored (any feed)."""
    wanted = [link for link in links if link]
    found: dict[str, int] = {}
    for chunk in _chunks(wanted, 500):
        query = select(Item.canonical_link, Item.id).where(col(Item.canonical_link).in_(chunk))
        for link, item_id in session.exec(query).all():
            if link is not None and item_id is not None:
                found.setdefault(link, item_id)
    return found


def items_by_hash(session: Session, content_hashes: Iterable[str]) -> dict[str, Item]:
    """Content hash -> the first stored item whose normalised text hashes to it."""
    found: dict[str, Item] = {}
    for chunk in _chunks(sorted(set(content_hashes)), 500):
        query = select(Item).where(col(Item.content_hash).in_(chunk)).order_by(col(Item.id))
        for item in session.exec(query).all():
            if item.content_hash is not None:
                found.setdefault(item.content_hash, item)
    return found


def item_by_hash(session: Session, content_hash: str) -> Item | None:
    """The first item whose normalised text hashes to ``content_hash``."""
    query = select(Item).where(Item.content_hash == content_hash).order_by(col(Item.id)).limit(1)
    return session.exec(query).first()


def incident_ids_of_item(session: Session, item_id: int) -> list[tuple[int, int]]:
    """(incident id, attack index) for every incident an item reports."""
    query = select(ItemIncident.incident_id, ItemIncident.attack_index).where(
        ItemIncident.item_id == item_id
    )
    return [(i, a) for i, a in session.exec(query).all()]


def add_fingerprint(session: Session, item_id: int, bands: Sequence[int]) -> None:
    """Index an item's near-duplicate fingerprint: one row per band value."""
    for band, value in enumerate(bands):
        session.add(ItemFingerprint(item_id=item_id, band=band, value=value))


def items_sharing_a_band(session: Session, bands: Sequence[int], limit: int = 50) -> list[int]:
    """Ids of stored items whose fingerprint shares at least one band value, oldest first."""
    if not bands:
        return []
    shared = or_(
        *(
            and_(col(ItemFingerprint.band) == band, col(ItemFingerprint.value) == value)
            for band, value in enumerate(bands)
        )
    )
    query = (
        select(ItemFingerprint.item_id)
        .where(shared)
        .distinct()
        .order_by(col(ItemFingerprint.item_id))
        .limit(limit)
    )
    return list(session.exec(query).all())


def items_by_id(session: Session, ids: Sequence[int]) -> list[Item]:
    """The items with these ids, in id order."""
    if not ids:
        return []
    return list(session.exec(select(Item).where(col(Item.id).in_(ids)).order_by(col(Item.id))))


def clear_fingerprints(session: Session) -> None:
    """Forget every stored fingerprint (``monitor reprocess`` computes them again)."""
    session.execute(delete(ItemFingerprint))


# --- incidents -------------------------------------------------------------------------


#: Most incidents one candidate query returns (the matcher scores each).
CANDIDATE_LIMIT = 200
#: Most incidents found through one key when the report or the incidents have no date,
#: per kind of key (the most recent ones).
UNDATED_KEY_LIMITS = {"site": 50, "place": 20, "name": 10}


def candidate_incidents(
    session: Session,
    attack: Attack,
    window_days: int,
    limit: int = CANDIDATE_LIMIT,
    *,
    date_range: tuple[date, date] | None = None,
    keys: Iterable[tuple[str, str]] = (),
) -> list[Incident]:
    """Incidents an attack might belong to, found through indexes only, never a scan.

    - by date: event date within ``date_range`` (default: the attack's event date plus or
      minus ``window_days``), same country or none (index on event date and country);
    - by name: incidents known by one of ``keys`` (``("site", key)`` or ``("place", word)``,
      index on kind, value and event date) whose date is in the range or unknown, or the
      most recent ones when the report has no date at all.

    Incidents left without sources (retired by ``monitor reprocess``) are never candidates.
    """
    if date_range is None and attack.event_date is not None:
        window = timedelta(days=window_days)
        date_range = (attack.event_date - window, attack.event_date + window)
    found: dict[int, Incident] = {}
    if date_range is not None:
        in_range = col(Incident.event_date).between(*date_range)
        query = select(Incident).where(in_range)
        if attack.country:
            # One index range per branch: (country, event_date), then (NULL, event_date).
            query = select(Incident).where(
                or_(
                    and_(col(Incident.country) == attack.country, in_range),
                    and_(col(Incident.country).is_(None), in_range),
                )
            )
        for incident in session.exec(query.order_by(col(Incident.id)).limit(limit)).all():
            found[incident.id or 0] = incident
    for incident in _incidents_by_key(session, list(keys), date_range):
        found.setdefault(incident.id or 0, incident)
    return [i for _, i in sorted(found.items()) if i.sources_count > 0][:limit]


def _incidents_by_key(
    session: Session, keys: list[tuple[str, str]], date_range: tuple[date, date] | None
) -> list[Incident]:
    """Incidents known by one of ``keys``; each query is one range of the key index.

    A dated report finds a named site's incidents in its date range, and the most recent
    undated incidents known by each key; a report without a date, the most recent
    incidents known by each key. Per-key limits keep the number of candidates (each one
    loaded and scored) flat as an archive of undated incidents grows.
    """
    if not keys:
        return []
    kind_, value_, day = col(IncidentKey.kind), col(IncidentKey.value), col(IncidentKey.event_date)
    ids: set[int] = set()
    sites = _by_kind(keys).get("site")
    if date_range is not None and sites:
        # A named site in range, beyond the date query's limit on a crowded day.
        in_range = and_(kind_ == "site", value_.in_(sites), day.between(*date_range))
        query = select(IncidentKey.incident_id).where(in_range).limit(CANDIDATE_LIMIT)
        ids.update(session.exec(query).all())
    for kind, value in keys:
        query = select(IncidentKey.incident_id).where(kind_ == kind, value_ == value)
        if date_range is not None:
            # Dated incidents in range are the date query's; the key adds undated ones.
            query = query.where(day.is_(None)).order_by(col(IncidentKey.incident_id).desc())
        else:
            query = query.order_by(day.desc())  # the index is in date order
        ids.update(session.exec(query.limit(UNDATED_KEY_LIMITS.get(kind, 10))).all())
    if not ids:
        return []
    return list(session.exec(select(Incident).where(col(Incident.id).in_(sorted(ids)))).all())


def _by_kind(keys: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, value in keys:
        out.setdefault(kind, []).append(value)
    return out


def set_incident_keys(
    session: Session,
    incident_id: int,
    keys: Iterable[tuple[str, str]],
    event_date: date | None,
    *,
    fresh: bool = False,
) -> None:
    """Make the incident known by ``keys`` (added to those it has), all dated ``event_date``;
    ``fresh``: the incident has no keys yet (saves reading them)."""
    query = select(IncidentKey).where(IncidentKey.incident_id == incident_id)
    have = {} if fresh else {(k.kind, k.value): k for k in session.exec(query)}
    for kind, value in keys:
        if (kind, value) not in have:
            key = IncidentKey(
                incident_id=incident_id, kind=kind, value=value, event_date=event_date
            )
            session.add(key)
            have[(kind, value)] = key
    for key in have.values():
        if key.event_date != event_date:
            key.event_date = event_date
            session.add(key)


def move_sources(session: Session, from_id: int, to_id: int) -> None:
    """Make the items reporting incident ``from_id`` report ``to_id`` instead (an item that
    already reports ``to_id`` keeps that link, primary if either was)."""
    kept = {
        link.item_id: link
        for link in session.exec(select(ItemIncident).where(ItemIncident.incident_id == to_id))
    }
    for link in session.exec(select(ItemIncident).where(ItemIncident.incident_id == from_id)):
        if link.item_id in kept:
            kept[link.item_id].is_primary = kept[link.item_id].is_primary or link.is_primary
            session.add(kept[link.item_id])
        else:
            session.add(
                ItemIncident(
                    item_id=link.item_id,
                    incident_id=to_id,
                    attack_index=link.attack_index,
                    is_primary=link.is_primary,
                    attack=link.attack,
                    score=link.score,
                    created_at=link.created_at,
                )
            )
        session.delete(link)
    session.flush()


def drop_incident_keys(session: Session, incident_id: int) -> None:
    """Forget the keys an incident is found by (it is no longer a candidate)."""
    for key in session.exec(select(IncidentKey).where(IncidentKey.incident_id == incident_id)):
        session.delete(key)


def source_counts(session: Session, incident_id: int) -> tuple[int, int]:
    """(items, distinct feeds) reporting an incident."""
    sources, outlets = session.exec(
        select(func.count(), func.count(func.distinct(Item.feed_id)))
        .select_from(ItemIncident)
        .join(Item, col(Item.id) == col(ItemIncident.item_id))
        .where(ItemIncident.incident_id == incident_id)
    ).one()
    return int(sources), int(outlets)


def incident_sources(
    session: Session, incident_id: int, limit: int = 50
) -> list[tuple[Item, ItemIncident]]:
    """The items reporting an incident, oldest first, with their link rows."""
    query = (
        select(Item, ItemIncident)
        .join(ItemIncident, col(ItemIncident.item_id) == col(Item.id))
        .where(ItemIncident.incident_id == incident_id)
        .order_by(col(Item.published).asc().nulls_last(), col(Item.id))
        .limit(limit)
    )
    return [(item, link) for item, link in session.exec(query).all()]


def incident_sources_with_outlets(
    session: Session, incident_id: int, limit: int = 200
) -> list[tuple[Item, ItemIncident, str]]:
    """The items reporting an incident, oldest first, with their link rows and feed names."""
    query = (
        select(Item, ItemIncident, Feed.title, Feed.name)
        .join(ItemIncident, col(ItemIncident.item_id) == col(Item.id))
        .join(Feed, col(Feed.id) == col(Item.feed_id))
        .where(ItemIncident.incident_id == incident_id)
        .order_by(col(Item.published).asc().nulls_last(), col(Item.id))
        .limit(limit)
    )
    return [(item, link, title or name) for item, link, title, name in session.exec(query).all()]


def list_incidents(
    session: Session,
    *,
    relevant_only: bool = False,
    since: date | None = None,
    limit: int | None = None,
    include_retired: bool = True,
) -> list[Incident]:
    """Incidents, most recently updated first; ``include_retired=False`` leaves out those
    ``monitor reprocess`` left without sources."""
    query = select(Incident)
    if not include_retired:
        query = query.where(col(Incident.sources_count) > 0)
    if relevant_only:
        query = query.where(Incident.relevant)
    if since:
        query = query.where(col(Incident.event_date) >= since)
    query = query.order_by(col(Incident.last_updated_at).desc(), col(Incident.id).desc())
    if limit:
        query = query.limit(limit)
    return list(session.exec(query).all())


# --- export ----------------------------------------------------------------------------


def iter_items_with_primary_incident(
    session: Session, batch: int = 1000
) -> Iterator[tuple[Item, str, int | None, date | None]]:
    """Every item with its feed's name, its main incident's id and event date, streamed."""
    last_id = 0
    while True:
        query = (
            select(Item, Feed.name, Feed.title)
            .join(Feed, col(Feed.id) == col(Item.feed_id))
            .where(col(Item.id) > last_id)
            .order_by(col(Item.id))
            .limit(batch)
        )
        rows = session.exec(query).all()
        if not rows:
            return
        ids = [item.id for item, _, _ in rows]
        primary = {
            item_id: (incident_id, event_date)
            for item_id, incident_id, event_date in session.exec(
                select(ItemIncident.item_id, ItemIncident.incident_id, col(Incident.event_date))
                .join(Incident, col(Incident.id) == col(ItemIncident.incident_id))
                .where(col(ItemIncident.item_id).in_(ids), ItemIncident.is_primary)
            ).all()
        }
        for item, name, title in rows:
            incident_id, event_date = primary.get(item.id or 0, (None, None))
            yield item, title or name, incident_id, event_date
        last_id = rows[-1][0].id or last_id


def incident_links(session: Session, incident_ids: Sequence[int]) -> dict[int, list[str]]:
    """Incident id -> links of its sources."""
    out: dict[int, list[str]] = {}
    for chunk in _chunks(list(incident_ids), 500):
        query = (
            select(ItemIncident.incident_id, Item.link)
            .join(Item, col(Item.id) == col(ItemIncident.item_id))
            .where(col(ItemIncident.incident_id).in_(chunk))
            .order_by(col(Item.id))
        )
        for incident_id, link in session.exec(query).all():
            if link:
                out.setdefault(incident_id, []).append(link)
    return out


# --- deliveries ------------------------------------------------------------------------


def delivery_counts(session: Session) -> dict[str, int]:
    """Number of deliveries per status."""
    query = select(Delivery.status, func.count()).group_by(Delivery.status)
    return dict(session.exec(query).all())


def _chunks(values: list[str] | list[int], size: int) -> Iterator[list]:  # type: ignore[type-arg]
    for start in range(0, len(values), size):
        yield values[start : start + size]


def claim_due_feeds(
    session: Session, now: datetime, owner: str, lease_until: datetime, limit: int = 10_000
) -> list[Feed]:
    """Lease due feeds to ``owner`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).

    A feed leased by another process is skipped until its lease expires, so several
    processes split the due feeds and a dead process's feeds are taken over.
    """
    query = (
        select(Feed)
        .where(
            Feed.enabled,
            or_(col(Feed.next_poll_at).is_(None), col(Feed.next_poll_at) <= now),
            or_(col(Feed.lease_expires_at).is_(None), col(Feed.lease_expires_at) < now),
        )
        .order_by(col(Feed.next_poll_at).asc().nulls_first(), col(Feed.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    feeds = list(session.exec(query).all())
    for feed in feeds:
        feed.lease_owner, feed.lease_expires_at = owner, lease_until
        session.add(feed)
    return feeds


def release_feed_leases(session: Session, owner: str) -> int:
    """Give back every feed ``owner`` still holds (a clean stop), so others poll them now."""
    feeds = session.exec(select(Feed).where(Feed.lease_owner == owner)).all()
    for feed in feeds:
        feed.lease_owner = feed.lease_expires_at = None
        session.add(feed)
    return len(feeds)


def renew_feed_leases(
    session: Session, owner: str, feed_ids: Sequence[int], lease_until: datetime
) -> int:
    """Extend ``owner``'s leases on ``feed_ids`` (the polls still in flight) to ``lease_until``."""
    if not feed_ids:
        return 0
    result = session.execute(
        update(Feed)
        .where(col(Feed.id).in_(list(feed_ids)), col(Feed.lease_owner) == owner)
        .values(lease_expires_at=lease_until)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def serialize(session: Session, key: int) -> None:
    """Hold a transaction-scoped lock on ``key`` so processes take turns (PostgreSQL).

    SQLite needs nothing: its transactions start with ``BEGIN IMMEDIATE`` and so already
    take turns.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(func.pg_advisory_xact_lock(key)))


# --- daemon figures and housekeeping ----------------------------------------------------


def poll_lag_seconds(session: Session, now: datetime) -> float:
    """How late the most overdue enabled feed is (0 when none is due), in seconds."""
    due_since = func.min(func.coalesce(Feed.next_poll_at, Feed.created_at))
    query = select(due_since).where(
        Feed.enabled, or_(col(Feed.next_poll_at).is_(None), col(Feed.next_poll_at) <= now)
    )
    oldest = session.exec(query).one()
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite hands back coalesce() of datetimes as text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - oldest).total_seconds())


def feed_health_counts(session: Session) -> dict[str, int]:
    """Enabled feeds by health: ``{"healthy": n, "unhealthy": m}``."""
    query = select(Feed.healthy, func.count()).where(Feed.enabled).group_by(col(Feed.healthy))
    counts = {"healthy": 0, "unhealthy": 0}
    for healthy, n in session.exec(query).all():
        counts["healthy" if healthy else "unhealthy"] += n
    return counts


def delete_orphan_items(session: Session, stored_before: datetime, limit: int = 1000) -> int:
    """Delete up to ``limit`` items stored before ``stored_before`` that report no incident.

    Items that others point to as their original are kept until those copies go first, so
    no reference is left dangling.
    """
    copy = aliased(Item)
    linked = select(ItemIncident.item_id).where(ItemIncident.item_id == Item.id)
    referenced = select(copy.id).where(copy.duplicate_of_id == Item.id)
    ids = session.exec(
        select(Item.id)
        .where(
            col(Item.fetched_at) < stored_before,
            ~linked.exists(),
            ~referenced.exists(),
        )
        .order_by(col(Item.id))
        .limit(limit)
    ).all()
    if ids:
        # Their near-duplicate fingerprints go with them (they only index stored items).
        session.execute(delete(ItemFingerprint).where(col(ItemFingerprint.item_id).in_(list(ids))))
        session.execute(delete(Item).where(col(Item.id).in_(list(ids))))
    return len(ids)
