"""Put each attack an item reports into an incident: join the one it matches, or start one.

:class:`Assigner` is what the pipeline (and ``monitor reprocess``) calls, in the caller's
transaction. For each attack of an item it finds candidates through the indexes
(``repository.candidate_incidents``), lets the matcher decide, reconciles the incident's
fields, links the item to it and keeps the incident's keys and source counts current. It
answers with one :class:`~monitor.records.IncidentChange` per attack, which the caller
turns into alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from monitor.incidents.matcher import DATE_WINDOW_DAYS, Report, Score, decide_all, score
from monitor.incidents.reconcile import absorb, reconcile
from monitor.records import Attack, IncidentChange
from monitor.store import repository as repo
from monitor.store.models import Incident, Item, ItemIncident, utcnow

log = logging.getLogger(__name__)

#: Gives the row a new incident should use (``monitor reprocess`` hands back the incident
#: an item belonged to before, to keep its id); ``None``: a fresh row.
RowForNew = Callable[[int, int], Incident | None]
#: Computes the severity of an incident from the watch rules it hits.
SeverityOf = Callable[[Sequence[str]], str | None]


@dataclass(frozen=True, slots=True)
class Assignment:
    """One attack of one item put into an incident."""

    change: IncidentChange
    incident: Incident
    #: Why the report joined its incident (``None`` when it started it).
    score: Score | None = None


class Assigner:
    """Joins attack reports to incidents or starts new ones (see the module docstring)."""

    def __init__(self, severity_of: SeverityOf | None = None) -> None:
        self.severity_of = severity_of or (lambda _watch: None)

    def assign(
        self,
        session: Session,
        item: Item,
        reports: Sequence[Report],
        now: datetime,
        *,
        row_for_new: RowForNew | None = None,
    ) -> list[Assignment]:
        """Put each report of ``item`` (attack 0 first) into an incident."""
        done: list[Assignment] = []
        for index, report in enumerate(reports):
            taken = [a.incident.id for a in done if a.incident.id is not None]
            done.append(self._assign_one(session, item, index, report, now, taken, row_for_new))
        return done

    def _assign_one(
        self,
        session: Session,
        item: Item,
        index: int,
        report: Report,
        now: datetime,
        taken: list[int],
        row_for_new: RowForNew | None,
    ) -> Assignment:
        candidates = repo.candidate_incidents(
            session,
            report.attack,
            DATE_WINDOW_DAYS,
            date_range=report.date_range(),
            keys=lookup_keys(report),
        )
        found = decide_all(report, candidates, exclude=taken)
        if found is None:
            reused = row_for_new(item.id or 0, index) if row_for_new else None
            return self._start(session, item, index, report, now, reused)
        # Of the incidents found to be one, the oldest stays: ids never move forward, so
        # alerts already sent keep their subject and reprocessing lands on the same ids.
        group = sorted(
            (i for i in (found.incident, *found.merge) if isinstance(i, Incident)),
            key=lambda i: i.id or 0,
        )
        incident, merged, why = group[0], group[1:], found.score
        log.debug("item %s attack %d joins incident %s (%s)", item.id, index, incident.id, why)
        return self._join(session, item, index, report, incident, why, now, merged)

    def _start(
        self,
        session: Session,
        item: Item,
        index: int,
        report: Report,
        now: datetime,
        row: Incident | None,
    ) -> Assignment:
        incident = row or Incident(revision=1, first_seen_at=now)
        reconcile(incident, report)
        watch = list(report.attack.watch)
        incident.watch, incident.relevant = watch, bool(watch)
        incident.severity = self.severity_of(watch)
        incident.last_updated_at = now
        session.add(incident)
        session.flush()
        self._record(session, item, index, report, incident, 1.0)
        change = IncidentChange(
            incident.id or 0, "new", incident.revision, incident.relevant, tuple(watch)
        )
        return Assignment(change, incident)

    def _join(
        self,
        session: Session,
        item: Item,
        index: int,
        report: Report,
        incident: Incident,
        why: Score,
        now: datetime,
        merged: Sequence[Incident] = (),
    ) -> Assignment:
        # An incident merged in was alerted under its own id: the attack is not news.
        was_relevant = incident.relevant or any(m.relevant for m in merged)
        changes = [change for other in merged for change in merge(session, incident, other)]
        changes += reconcile(incident, report)
        if changes:  # a merge alone is not news; with news, say what was merged
            changes += [f"merged with incident {other.id}" for other in merged]
        watch = list(dict.fromkeys([*incident.watch, *report.attack.watch]))
        incident.watch, incident.relevant = watch, bool(watch)
        incident.severity = self.severity_of(watch)
        kind: Literal["new", "update", "source"] = "source"
        if incident.relevant and not was_relevant:
            kind, changes = "new", [*changes, "now hits a watch rule"]
        elif changes:
            kind = "update"
        if kind != "source":
            incident.revision += 1
            incident.last_updated_at = now
        session.add(incident)
        self._record(session, item, index, report, incident, why.total)
        change = IncidentChange(
            incident.id or 0,
            kind,
            incident.revision,
            incident.relevant,
            tuple(watch),
            tuple(changes),
        )
        return Assignment(change, incident, why)

    def _record(
        self,
        session: Session,
        item: Item,
        index: int,
        report: Report,
        incident: Incident,
        points: float,
    ) -> None:
        assert incident.id is not None
        fresh = incident.sources_count == 0
        link(session, item, incident.id, index, report.attack, points)
        keys = incident_keys(incident)
        repo.set_incident_keys(session, incident.id, keys, incident.event_date, fresh=fresh)
        if fresh:  # its first source: nothing to count
            incident.sources_count = incident.outlets_count = 1
        else:
            count_sources(session, incident)


def merge(session: Session, keep: Incident, gone: Incident) -> list[str]:
    """Fold ``gone`` into ``keep``: its sources, tally and keys move over; ``gone`` stays,
    empty, pointing at ``keep`` (alerts sent about it keep their subject). The material
    changes to ``keep``."""
    assert keep.id is not None and gone.id is not None
    log.info("incident %s merged into %s: one attack reported apart", gone.id, keep.id)
    changes = absorb(keep, gone)
    keep.watch = list(dict.fromkeys([*keep.watch, *gone.watch]))
    keep.relevant = bool(keep.watch)
    if gone.first_seen_at and (
        keep.first_seen_at is None or gone.first_seen_at < keep.first_seen_at
    ):
        keep.first_seen_at = gone.first_seen_at
    repo.move_sources(session, gone.id, keep.id)
    repo.drop_incident_keys(session, gone.id)
    gone.merged_into_id = keep.id
    gone.sources_count = gone.outlets_count = 0
    session.add_all([keep, gone])
    session.flush()
    return changes


def link(
    session: Session, item: Item, incident_id: int, index: int, attack: Attack, points: float
) -> bool:
    """Record that ``item`` reports ``incident_id`` (attack ``index``); False if it already did."""
    assert item.id is not None
    pending = session.identity_map.get(session.identity_key(ItemIncident, (item.id, incident_id)))
    if pending is not None:
        return False
    session.add(
        ItemIncident(
            item_id=item.id,
            incident_id=incident_id,
            attack_index=index,
            is_primary=index == 0,
            attack=attack.to_dict(),
            score=points if points != float("-inf") else 0.0,
            created_at=utcnow(),
        )
    )
    return True


def count_sources(session: Session, incident: Incident) -> None:
    """Refresh the incident's number of sources and outlets."""
    assert incident.id is not None
    incident.sources_count, incident.outlets_count = repo.source_counts(session, incident.id)
    session.add(incident)


#: Most proper names an incident is indexed by (its most reported ones).
INDEXED_NAMES = 20


def lookup_keys(report: Report) -> list[tuple[str, str]]:
    """The index keys a report's candidates are looked up by: site, place words, names."""
    keys = [("site", report.attack.site)] if report.attack.site else []
    keys += [("place", word) for word in sorted(report.keys)]
    return keys + [("name", name) for name in sorted(report.names)]


def incident_keys(incident: Incident) -> list[tuple[str, str]]:
    """The index keys an incident is known by: every site and place word reported, and its
    most reported proper names."""
    sites = sorted((incident.tally.get("sites") or {}).keys())
    words = incident.tally.get("keys") or []
    names = incident.tally.get("names") or {}
    top = sorted(names, key=lambda n: (-names[n], n))[:INDEXED_NAMES]
    return [("site", s) for s in sites] + [("place", w) for w in words] + [("name", n) for n in top]


def copy_links(
    session: Session, item: Item, original_id: int, reports: Sequence[Report]
) -> list[int]:
    """Link a copy to its original's incidents (same attack index); their ids."""
    linked = []
    for incident_id, index in repo.incident_ids_of_item(session, original_id):
        attack = reports[index].attack if index < len(reports) else Attack()
        if link(session, item, incident_id, index, attack, 0.0):
            incident = session.get(Incident, incident_id)
            if incident is not None:
                count_sources(session, incident)
            linked.append(incident_id)
    return linked


def contradicts(session: Session, report: Report, original_id: int) -> bool:
    """True when a near-duplicate's main attack cannot be its original's main incident."""
    for incident_id, index in repo.incident_ids_of_item(session, original_id):
        incident = session.get(Incident, incident_id)
        if index == 0 and incident is not None:
            return score(report, incident).vetoed
    return False
