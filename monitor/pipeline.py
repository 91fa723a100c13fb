"""The one path every item takes, for the daemon and for backfill alike.

fetch -> parse -> detect -> incidents -> store -> outbox. :meth:`Pipeline.ingest` stores a
batch of entries of one feed in one transaction: new items, their verdicts, the incident
changes they cause and the deliveries those changes call for, all or nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from monitor.alerts.outbox import enqueue_change, severity_of
from monitor.config import Settings
from monitor.detect import Detector
from monitor.errors import FetchError, HTTPStatusError, ParseError
from monitor.fetch import schedule
from monitor.fetch.client import Fetcher
from monitor.fetch.files import read_feed_file
from monitor.incidents.matcher import DATE_WINDOW_DAYS, best_match
from monitor.incidents.reconcile import reconcile, title_for
from monitor.parse import parse_feed
from monitor.parse.urls import canonical_link
from monitor.records import Attack, Entry, FetchResult, IncidentChange, Verdict
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Feed, Incident, Item, ItemIncident, utcnow

log = logging.getLogger(__name__)

#: immediate: alerts go to the outbox; none: nothing is sent; collect: changes are only counted
#: (backfill sends one digest at the end instead).
AlertMode = Literal["immediate", "none", "collect"]

_WORDS = re.compile(r"\w+")


@dataclass
class IngestStats:
    """Counts of what a batch (or a whole run) did."""

    read: int = 0
    new: int = 0
    duplicates: int = 0
    attacks: int = 0
    relevant: int = 0
    incidents_new: int = 0
    incidents_updated: int = 0
    deliveries: int = 0
    changed_incidents: set[int] = field(default_factory=set)

    def add(self, other: IngestStats) -> None:
        """Add another batch's counts into this one."""
        for f in fields(self):
            if f.name == "changed_incidents":
                self.changed_incidents |= other.changed_incidents
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class FeedOutcome:
    """What polling one feed did."""

    feed: str
    ok: bool
    not_modified: bool = False
    stats: IngestStats = field(default_factory=IngestStats)
    error: str | None = None
    problems: tuple[str, ...] = ()


def text_hash(entry: Entry) -> str:
    """Hash of the lower-cased words of title and body: equal for verbatim copies."""
    words = _WORDS.findall(entry.text.lower())
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest()


class Pipeline:
    """Runs entries through detection, incident matching, storage and the outbox."""

    def __init__(self, settings: Settings, db: Database, detector: Detector | None = None) -> None:
        self.settings = settings
        self.db = db
        self.detector = detector or Detector(settings.watch)

    # --- ingest ------------------------------------------------------------------------

    def ingest(
        self,
        feed_id: int,
        entries: Sequence[Entry],
        *,
        alerts: AlertMode = "immediate",
        now: datetime | None = None,
    ) -> IngestStats:
        """Store the new entries of one feed, with their incidents and alerts, atomically."""
        now = now or utcnow()
        stats = IngestStats(read=len(entries))
        with self.db.session() as session:
            fresh = self._unseen(session, feed_id, entries, stats)
            for entry in fresh:
                self._store_entry(session, feed_id, entry, alerts, now, stats)
        return stats

    def _unseen(
        self, session: Session, feed_id: int, entries: Sequence[Entry], stats: IngestStats
    ) -> list[Entry]:
        known = repo.known_guids(session, feed_id, [e.guid for e in entries])
        candidates = [e for e in entries if e.guid not in known]
        links = repo.known_links(session, [canonical_link(e.link) or "" for e in candidates])
        fresh, seen_links = [], set(links)
        for entry in candidates:
            link = canonical_link(entry.link)
            if link and link in seen_links:
                stats.duplicates += 1
                continue
            if link:
                seen_links.add(link)
            fresh.append(entry)
        return fresh

    def _store_entry(
        self,
        session: Session,
        feed_id: int,
        entry: Entry,
        alerts: AlertMode,
        now: datetime,
        stats: IngestStats,
    ) -> None:
        verdict = self.detector.detect(entry)
        digest = text_hash(entry)
        original = repo.item_by_hash(session, digest)
        item = _item_row(feed_id, entry, verdict, digest, now, original)
        session.add(item)
        session.flush()
        stats.new += 1
        stats.attacks += verdict.is_attack
        stats.relevant += verdict.relevant
        if original is not None and original.id is not None:
            # A verbatim copy reports what its original reports, and alerts nobody.
            stats.duplicates += 1
            for incident_id, index in repo.incident_ids_of_item(session, original.id):
                self._link(
                    session,
                    item,
                    incident_id,
                    index,
                    verdict.attacks[index] if index < len(verdict.attacks) else Attack(),
                    0.0,
                )
                self._count_sources(session, incident_id)
            return
        if not verdict.is_attack:
            return
        for index, attack in enumerate(verdict.attacks):
            change, incident = self._assign(session, item, attack, index, now)
            stats.incidents_new += change.kind == "new"
            stats.incidents_updated += change.kind == "update"
            if change.kind != "source":
                stats.changed_incidents.add(change.incident_id)
            if alerts == "immediate":
                stats.deliveries += len(
                    enqueue_change(session, self.settings, change, incident, now)
                )

    def _assign(
        self, session: Session, item: Item, attack: Attack, index: int, now: datetime
    ) -> tuple[IncidentChange, Incident]:
        candidates = repo.candidate_incidents(session, attack, DATE_WINDOW_DAYS)
        match = best_match(attack, candidates)
        if match is None:
            incident = _new_incident(attack, now, self.settings)
            session.add(incident)
            session.flush()
            assert incident.id is not None
            self._link(session, item, incident.id, index, attack, 1.0)
            self._count_sources(session, incident.id)
            change = IncidentChange(incident.id, "new", 1, incident.relevant, tuple(incident.watch))
            return change, incident
        found, score = match
        assert isinstance(found, Incident) and found.id is not None
        incident, incident_id = found, found.id
        was_relevant = incident.relevant
        changes = reconcile(incident, attack)
        watch = list(dict.fromkeys([*incident.watch, *attack.watch]))
        incident.watch, incident.relevant = watch, bool(watch)
        incident.severity = severity_of(self.settings, watch)
        kind: Literal["new", "update", "source"] = "source"
        if incident.relevant and not was_relevant:
            kind, changes = "new", [*changes, "now hits a watch rule"]
        elif changes:
            kind = "update"
        if kind != "source":
            incident.revision += 1
            incident.last_updated_at = now
        self._link(session, item, incident_id, index, attack, score)
        self._count_sources(session, incident_id)
        session.add(incident)
        return IncidentChange(
            incident_id, kind, incident.revision, incident.relevant, tuple(watch), tuple(changes)
        ), incident

    @staticmethod
    def _link(
        session: Session, item: Item, incident_id: int, index: int, attack: Attack, score: float
    ) -> None:
        assert item.id is not None
        if session.get(ItemIncident, (item.id, incident_id)) is not None:
            return
        session.add(
            ItemIncident(
                item_id=item.id,
                incident_id=incident_id,
                attack_index=index,
                is_primary=index == 0,
                attack=attack.to_dict(),
                score=score,
                created_at=utcnow(),
            )
        )
        session.flush()

    @staticmethod
    def _count_sources(session: Session, incident_id: int) -> None:
        sources, outlets = session.exec(
            select(func.count(), func.count(func.distinct(Item.feed_id)))
            .select_from(ItemIncident)
            .join(Item, col(Item.id) == col(ItemIncident.item_id))
            .where(ItemIncident.incident_id == incident_id)
        ).one()
        incident = session.get(Incident, incident_id)
        if incident is not None:
            incident.sources_count, incident.outlets_count = sources, outlets
            session.add(incident)

    # --- polling -----------------------------------------------------------------------

    def process_fetch(
        self,
        feed: Feed,
        result: FetchResult,
        *,
        alerts: AlertMode = "immediate",
        now: datetime | None = None,
    ) -> FeedOutcome:
        """Parse a fetched body, ingest its entries and record the feed's fetch state."""
        now = now or utcnow()
        outcome = FeedOutcome(
            feed.name, ok=True, not_modified=result.not_modified or result.unchanged
        )
        parsed = None
        if result.body is not None and not result.unchanged:
            try:
                parsed = parse_feed(
                    result.body,
                    url=result.final_url or result.url,
                    now=now,
                    content_type=result.content_type,
                )
            except ParseError as exc:
                return self.record_failure(feed, str(exc), now=now)
            outcome.problems = parsed.problems
            for problem in parsed.problems[:5]:
                log.warning("feed %s: %s", feed.name, problem)
            assert feed.id is not None
            outcome.stats = self.ingest(feed.id, parsed.entries, alerts=alerts, now=now)
        self._record_success(
            feed,
            result,
            parsed.ttl_s if parsed else None,
            parsed.title if parsed else None,
            outcome.stats.new,
            now,
        )
        return outcome

    def _record_success(
        self,
        feed: Feed,
        result: FetchResult,
        ttl_s: int | None,
        title: str | None,
        new_items: int,
        now: datetime,
    ) -> None:
        with self.db.session() as session:
            row = session.get(Feed, feed.id)
            if row is None:
                return
            row.last_polled_at = row.last_success_at = now
            row.last_status, row.last_error = result.status, None
            row.consecutive_failures, row.healthy = 0, True
            row.etag = result.etag or row.etag
            row.last_modified = result.last_modified or row.last_modified
            row.body_hash = result.body_hash or row.body_hash
            row.ttl_s = ttl_s if ttl_s is not None else row.ttl_s
            row.title = title or row.title
            row.items_seen += new_items
            if result.permanent_redirect and result.final_url and row.url:
                log.info("feed %s moved permanently to %s", row.name, result.final_url)
                row.url = result.final_url
            row.next_poll_at = schedule.after_success(
                self.settings.polling, now, row.interval_s, row.ttl_s
            )
            row.lease_owner = row.lease_expires_at = None
            session.add(row)

    def record_failure(
        self,
        feed: Feed,
        error: str,
        *,
        now: datetime | None = None,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> FeedOutcome:
        """Record a failed poll: error text, back-off, unhealthy after repeated failures."""
        now = now or utcnow()
        with self.db.session() as session:
            row = session.get(Feed, feed.id)
            if row is not None:
                row.last_polled_at = row.last_error_at = now
                row.last_status, row.last_error = status, error[:2000]
                row.consecutive_failures += 1
                row.healthy = row.consecutive_failures < self.settings.polling.unhealthy_after
                row.next_poll_at = schedule.after_failure(
                    self.settings.polling, now, row.consecutive_failures, retry_after_s
                )
                row.lease_owner = row.lease_expires_at = None
                session.add(row)
        log.warning("feed %s failed: %s", feed.name, error)
        return FeedOutcome(feed.name, ok=False, error=error)

    async def poll_feed(
        self, fetcher: Fetcher, feed: Feed, *, alerts: AlertMode = "immediate"
    ) -> FeedOutcome:
        """Fetch one feed (URL or file) and process what it returned."""
        try:
            if feed.path:
                result = read_feed_file(
                    feed.path,
                    max_bytes=self.settings.fetch.max_response_bytes,
                    previous_hash=feed.body_hash,
                )
            elif feed.url:
                result = await fetcher.fetch(
                    feed.url,
                    etag=feed.etag,
                    last_modified=feed.last_modified,
                    previous_hash=feed.body_hash,
                )
            else:
                return self.record_failure(feed, "feed has neither url nor path")
        except HTTPStatusError as exc:
            return self.record_failure(
                feed, str(exc), status=exc.status, retry_after_s=exc.retry_after
            )
        except FetchError as exc:
            return self.record_failure(feed, str(exc))
        return self.process_fetch(feed, result, alerts=alerts)

    async def poll(
        self, fetcher: Fetcher, feeds: Sequence[Feed], *, alerts: AlertMode = "immediate"
    ) -> list[FeedOutcome]:
        """Poll feeds concurrently (bounded by ``fetch.max_concurrency``)."""
        limit = asyncio.Semaphore(self.settings.fetch.max_concurrency)

        async def one(feed: Feed) -> FeedOutcome:
            async with limit:
                return await self.poll_feed(fetcher, feed, alerts=alerts)

        return list(await asyncio.gather(*(one(f) for f in feeds)))


def _item_row(
    feed_id: int, entry: Entry, verdict: Verdict, digest: str, now: datetime, original: Item | None
) -> Item:
    return Item(
        feed_id=feed_id,
        guid=entry.guid,
        link=entry.link,
        canonical_link=canonical_link(entry.link),
        title=entry.title,
        summary=entry.summary,
        content=entry.content,
        published=entry.published,
        updated=entry.updated,
        language=entry.language,
        fetched_at=now,
        content_hash=digest,
        duplicate_of_id=original.id if original is not None else None,
        is_attack=verdict.is_attack,
        relevant=verdict.relevant,
        score=verdict.score,
        watch=list(verdict.watch),
        verdict=verdict.to_dict(),
        classified_at=now,
    )


def _new_incident(attack: Attack, now: datetime, settings: Settings) -> Incident:
    figures = {k: [v, v] for k in ("killed", "injured") if (v := getattr(attack, k)) is not None}
    return Incident(
        title=title_for(attack),
        event_date=attack.event_date,
        country=attack.country,
        place=attack.place,
        site=attack.site,
        target=attack.target,
        target_type=attack.target_type,
        target_nationality=attack.target_nationality,
        weapon=attack.weapon,
        munitions=attack.munitions,
        killed=attack.killed,
        injured=attack.injured,
        perpetrator=attack.perpetrator,
        perpetrator_status=attack.perpetrator_status,
        figures=figures,
        relevant=bool(attack.watch),
        watch=list(attack.watch),
        severity=severity_of(settings, attack.watch),
        revision=1,
        first_seen_at=now,
        last_updated_at=now,
    )
