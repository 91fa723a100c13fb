"""The one path every item takes, for the daemon and for backfill alike.

fetch -> parse -> detect -> incidents -> store -> outbox. :meth:`Pipeline.ingest` stores a
batch of entries of one feed in one transaction: new items, their verdicts, the incident
changes they cause and the deliveries those changes call for, all or nothing.
"""

from __future__ import annotations

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
from monitor.incidents.matcher import DATE_WINDOW_DAYS, best_match
from monitor.incidents.reconcile import reconcile, title_for
from monitor.parse.urls import canonical_link
from monitor.records import Attack, Entry, IncidentChange, Verdict
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Incident, Item, ItemIncident, utcnow

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
