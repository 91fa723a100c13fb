"""Re-run classification, duplicate detection and incident matching over the stored items.

After the watch rules or the detector change, ``monitor reprocess`` rebuilds what was
derived from the items, in one transaction (all or nothing), deterministically: items are
taken in the order they were stored and go through the same code as at ingest
(:meth:`Pipeline.link_item`), so reprocessing twice gives the same incidents.

Incidents keep their ids: a new incident takes the id of the incident its first item
belonged to before (if no earlier item claimed it), so alerts already sent, which are keyed
on incident id and revision, are never sent again and links to incidents stay valid. An
incident that ends with no sources is deleted, or kept empty ("retired", never a match
candidate) when alerts were sent for it. With ``alerts=True``, an incident that hits a watch
rule and never had an alert gets one (e.g. after a new rule); nothing else is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from monitor.alerts.outbox import enqueue_change
from monitor.pipeline import IngestStats, Pipeline
from monitor.records import Entry, IncidentChange, Verdict
from monitor.store import repository as repo
from monitor.store.models import Delivery, Incident, IncidentKey, Item, ItemIncident, utcnow

log = logging.getLogger(__name__)

Row = TypeVar("Row", Item, Incident)
#: Called after each batch of items with the number of items done.
ProgressHook = Callable[[int], None]
#: Items loaded and processed per batch (the session is cleared between batches).
BATCH = 500

#: Incident fields cleared before the rebuild (the row, its id and history, stay).
_CLEARED: dict[str, Any] = {
    "event_date": None,
    "country": None,
    "place": None,
    "site": None,
    "target": None,
    "target_type": None,
    "target_nationality": None,
    "weapon": None,
    "munitions": None,
    "killed": None,
    "injured": None,
    "perpetrator": None,
    "perpetrator_status": None,
    "figures": {},
    "tally": {},
    "summary": "",
    "relevant": False,
    "watch": [],
    "severity": None,
    "sources_count": 0,
    "outlets_count": 0,
    # Counted again by the rebuild; the old revision is restored if it was higher.
    "revision": 1,
}


@dataclass
class ReprocessSummary:
    """What a reprocessing run did (or would do, in a dry run)."""

    items: int = 0
    attacks_before: int = 0
    attacks_after: int = 0
    relevant_before: int = 0
    relevant_after: int = 0
    incidents_before: int = 0
    incidents_after: int = 0
    #: Incidents rebuilt under their old id.
    kept: int = 0
    new: int = 0
    #: Old incidents left without sources: deleted, or kept empty when alerts were sent.
    deleted: int = 0
    retired: int = 0
    duplicates: int = 0
    alerts: int = 0
    dry_run: bool = False
    stats: IngestStats = field(default_factory=IngestStats)


@dataclass
class _Before:
    """The incidents as they were: links per item and attack, revisions, alerted ones."""

    links: dict[tuple[int, int], int]
    revisions: dict[int, int]
    alerted: set[int]
    claimed: dict[int, int] = field(default_factory=dict)  # old id -> item that claimed it

    def row_for_new(self, session: Session) -> Callable[[int, int], Incident | None]:
        def reuse(item_id: int, index: int) -> Incident | None:
            old = self.links.get((item_id, index))
            if old is None or old in self.claimed:
                return None
            self.claimed[old] = item_id
            return session.get(Incident, old)

        return reuse


def reprocess(
    pipeline: Pipeline,
    *,
    alerts: bool = False,
    dry_run: bool = False,
    progress: ProgressHook | None = None,
) -> ReprocessSummary:
    """Rebuild verdicts, duplicates and incidents from the stored items (module docstring)."""
    summary = ReprocessSummary(dry_run=dry_run)
    with pipeline.db.session() as session:
        before = _snapshot(session, summary)
        _clear(session)
        for items in _batches(session, Item):
            for item in items:
                _redo(pipeline, session, item, before, summary)
            session.flush()
            session.expunge_all()
            if progress:
                progress(len(items))
        _finish(pipeline, session, before, summary, alerts)
        if dry_run:
            session.rollback()
    return summary


def count_items(pipeline: Pipeline) -> int:
    """How many items a reprocessing run will go through."""
    with pipeline.db.session() as session:
        return len(session.exec(select(Item.id)).all())


def entry_of(item: Item) -> Entry:
    """The entry an item was stored from."""
    return Entry(
        guid=item.guid,
        link=item.link,
        title=item.title,
        summary=item.summary,
        content=item.content,
        published=item.published,
        updated=item.updated,
        language=item.language,
    )


def _snapshot(session: Session, summary: ReprocessSummary) -> _Before:
    links = {
        (item_id, index): incident_id
        for item_id, incident_id, index in session.exec(
            select(ItemIncident.item_id, ItemIncident.incident_id, ItemIncident.attack_index)
        ).all()
    }
    revisions = dict(session.exec(select(Incident.id, Incident.revision)).all())
    alerted = set(
        session.exec(
            select(Delivery.incident_id).where(col(Delivery.incident_id).is_not(None)).distinct()
        ).all()
    )
    summary.incidents_before = sum(
        1 for n in session.exec(select(Incident.sources_count)).all() if n > 0
    )
    for is_attack, relevant in session.exec(select(Item.is_attack, Item.relevant)).all():
        summary.attacks_before += is_attack
        summary.relevant_before += relevant
    return _Before(
        links={k: v for k, v in links.items() if v is not None},
        revisions={k: v for k, v in revisions.items() if k is not None},
        alerted={i for i in alerted if i is not None},
    )


def _clear(session: Session) -> None:
    session.execute(delete(ItemIncident))
    session.execute(delete(IncidentKey))
    repo.clear_fingerprints(session)
    session.execute(update(Item).values(duplicate_of_id=None))
    session.execute(update(Incident).values(**_CLEARED))


def _batches(session: Session, model: type[Row]) -> Iterator[list[Row]]:
    """Every row of ``model`` in id order, a batch at a time."""
    last = 0
    while True:
        query = select(model).where(model.id > last).order_by(model.id).limit(BATCH)  # type: ignore[arg-type,operator]
        rows = list(session.exec(query).all())
        if not rows:
            return
        yield rows
        last = rows[-1].id or last


def _redo(
    pipeline: Pipeline, session: Session, item: Item, before: _Before, summary: ReprocessSummary
) -> None:
    entry = entry_of(item)
    verdict = pipeline.detector.detect(entry)
    _reclassify(item, verdict)
    session.add(item)
    original = repo.item_by_hash(session, item.content_hash) if item.content_hash else None
    if original is not None and original.id == item.id:
        original = None
    item.duplicate_of_id = original.id if original is not None else None
    summary.items += 1
    summary.attacks_after += verdict.is_attack
    summary.relevant_after += verdict.relevant
    now = item.fetched_at or utcnow()
    pipeline.link_item(
        session, item, entry, verdict, original, now, summary.stats, before.row_for_new(session)
    )


def _reclassify(item: Item, verdict: Verdict) -> None:
    item.is_attack = verdict.is_attack
    item.relevant = verdict.relevant
    item.score = verdict.score
    item.watch = list(verdict.watch)
    item.verdict = verdict.to_dict()
    item.classified_at = utcnow()


def _finish(
    pipeline: Pipeline,
    session: Session,
    before: _Before,
    summary: ReprocessSummary,
    alerts: bool,
) -> None:
    summary.duplicates = summary.stats.duplicates
    for incidents in _batches(session, Incident):
        for incident in incidents:
            _settle(pipeline, session, incident, before, summary, alerts)
        session.flush()
        session.expunge_all()


def _settle(
    pipeline: Pipeline,
    session: Session,
    incident: Incident,
    before: _Before,
    summary: ReprocessSummary,
    alerts: bool,
) -> None:
    """Count, renumber, retire and (if asked) alert one rebuilt incident."""
    assert incident.id is not None
    if incident.sources_count == 0:
        _retire(session, incident, before, summary)
        return
    summary.incidents_after += 1
    old = before.revisions.get(incident.id)
    if old is not None:
        summary.kept += 1
        # Revisions only move forward: alerts are keyed on them.
        incident.revision = max(incident.revision, old)
        session.add(incident)
    else:
        summary.new += 1
    if alerts and incident.relevant and incident.id not in before.alerted:
        change = IncidentChange(incident.id, "new", incident.revision, True, tuple(incident.watch))
        sent = enqueue_change(session, pipeline.settings, change, incident, utcnow())
        summary.alerts += len(sent)


def _retire(
    session: Session, incident: Incident, before: _Before, summary: ReprocessSummary
) -> None:
    if incident.id not in before.revisions:  # started and merged away during this run
        _forget(session, incident)
        return
    if incident.id in before.alerted:
        summary.retired += 1
        return
    summary.deleted += 1
    _forget(session, incident)


def _forget(session: Session, incident: Incident) -> None:
    """Delete an incident, first unpointing the incidents once merged into it."""
    session.execute(
        update(Incident)
        .where(col(Incident.merged_into_id) == incident.id)
        .values(merged_into_id=None)
    )
    session.delete(incident)
