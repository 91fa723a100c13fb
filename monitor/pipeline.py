"""The one path every item takes, for the daemon and for backfill alike.

fetch -> parse -> detect -> incidents -> store -> outbox. :meth:`Pipeline.ingest` stores a
batch of entries of one feed in one transaction: new items, their verdicts, the incident
changes they cause and the deliveries those changes call for, all or nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from monitor.alerts.outbox import enqueue_change, severity_of
from monitor.config import Settings
from monitor.detect import Detector
from monitor.incidents import assign, duplicates
from monitor.incidents.matcher import Report
from monitor.parse.urls import canonical_link
from monitor.records import Entry, Verdict
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Item, utcnow

log = logging.getLogger(__name__)

#: immediate: alerts go to the outbox; none: nothing is sent; collect: changes are only counted
#: (backfill sends one digest at the end instead).
AlertMode = Literal["immediate", "none", "collect"]

#: Characters of an item's body kept as the lede (an incident's summary comes from it).
LEDE_CHARS = 600
#: Characters of an item's body searched for a day of the month ("on February 4").
BODY_CHARS = 1500


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


def text_hash(entry: Entry) -> str:
    """Hash of the lower-cased words of title and body: equal for verbatim copies."""
    return duplicates.text_hash(entry.text)


def reports_of(entry: Entry, verdict: Verdict) -> list[Report]:
    """The attacks of a verdict as reports, with what matching reads of the entry."""
    published = entry.published.date() if entry.published else None
    lede = entry.body[:LEDE_CHARS]
    only, body = len(verdict.attacks) == 1, entry.body[:BODY_CHARS]
    return [Report.of(a, published, entry.title, lede, only, body) for a in verdict.attacks]


class Pipeline:
    """Runs entries through detection, incident matching, storage and the outbox."""

    def __init__(self, settings: Settings, db: Database, detector: Detector | None = None) -> None:
        self.settings = settings
        self.db = db
        self.detector = detector or Detector(settings.watch)
        self.assigner = assign.Assigner(lambda watch: severity_of(settings, list(watch)))

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
            digests = [text_hash(entry) for entry in fresh]
            # One query for the batch's verbatim copies of stored items; copies inside the
            # batch are found as they are added.
            originals = repo.items_by_hash(session, digests)
            for entry, digest in zip(fresh, digests, strict=True):
                item = self._store_entry(
                    session, feed_id, entry, digest, originals.get(digest), alerts, now, stats
                )
                originals.setdefault(digest, item)
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
        digest: str,
        original: Item | None,
        alerts: AlertMode,
        now: datetime,
        stats: IngestStats,
    ) -> Item:
        verdict = self.detector.detect(entry)
        if original is not None and original.id is None:
            session.flush()  # a copy of an item of this batch: its original needs an id
        item = _item_row(feed_id, entry, verdict, digest, now, original)
        session.add(item)
        if verdict.attacks or _may_have_incidents(original):
            # Linking needs the item's id; other rows are inserted together, at the next
            # query's autoflush or at commit, which saves a round trip per item.
            session.flush()
        stats.new += 1
        stats.attacks += verdict.is_attack
        stats.relevant += verdict.relevant
        for done in self.link_item(session, item, entry, verdict, original, now, stats):
            if alerts == "immediate":
                stats.deliveries += len(
                    enqueue_change(session, self.settings, done.change, done.incident, now)
                )
        return item

    def link_item(
        self,
        session: Session,
        item: Item,
        entry: Entry,
        verdict: Verdict,
        original: Item | None,
        now: datetime,
        stats: IngestStats,
        row_for_new: assign.RowForNew | None = None,
    ) -> list[assign.Assignment]:
        """Link a stored, classified item to its incidents; the assignments made.

        A verbatim copy of ``original`` or a near-duplicate is linked to its original's
        incidents (no assignment, no alert); an attack report goes through matching.
        """
        reports = reports_of(entry, verdict)
        if self._copied(session, item, entry, reports, original):
            stats.duplicates += 1
            return []
        if not verdict.is_attack:
            return []
        done = self.assigner.assign(session, item, reports, now, row_for_new=row_for_new)
        for assignment in done:
            change = assignment.change
            stats.incidents_new += change.kind == "new"
            stats.incidents_updated += change.kind == "update"
            if change.kind != "source":
                stats.changed_incidents.add(change.incident_id)
        return done

    @staticmethod
    def _copied(
        session: Session, item: Item, entry: Entry, reports: list[Report], original: Item | None
    ) -> bool:
        """Link a verbatim or near-duplicate copy to its original's incidents; False if none."""
        if original is not None and not reports and not _may_have_incidents(original):
            return True  # a copy of an article that reports no attack: nothing to link
        original_id = original.id if original is not None else None
        if original_id is None and reports:
            near = duplicates.fingerprint_item(session, item, entry.text)
            if near is not None and not assign.contradicts(session, reports[0], near):
                original_id = item.duplicate_of_id = near
                session.add(item)
        if original_id is None:
            return False
        # A copy reports what its original reports, and alerts nobody.
        return bool(assign.copy_links(session, item, original_id, reports)) or not reports


def _may_have_incidents(item: Item | None) -> bool:
    """Only attack reports and their copies are linked to incidents."""
    return item is not None and (item.is_attack or item.duplicate_of_id is not None)


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
