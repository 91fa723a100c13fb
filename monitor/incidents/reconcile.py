"""Fold one more report into an incident and say whether an analyst should hear of it.

An incident keeps a *tally*: how often each value of each field was reported. Its fields
are read off the tally, so the result does not depend on the order reports arrive in:

- event date, country, site, place, target: the most reported value (ties: the earliest
  date, else the first reported);
- weapon: the most reported value other than "unknown";
- killed, injured, munitions: the highest figure reported (tolls rise as reports come in);
  ``figures`` keeps the range seen, and each source's own figures stay on its link;
- perpetrator: the most reported claimed one, else the most reported one.

A *material* change is one an analyst acts on: first deaths or injuries, a higher toll, a
perpetrator named or a claim, the weapon becoming known. It bumps the incident's revision
(the outbox keys alerts on incident and revision) and makes an ``update`` alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from monitor.incidents.matcher import Report
from monitor.incidents.places import place_keys
from monitor.records import Attack

#: Most headlines, place spellings and place words an incident keeps for matching.
MAX_TITLES = 8
MAX_PLACES = 12
MAX_KEYS = 40
MAX_NAMES = 60
#: Longest summary kept (characters).
SUMMARY_CHARS = 320

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# "Col.", "Gen.", "Lt.", "U.S.", "No.": a capitalised word of up to three letters, or initials.
_ABBREVIATION = re.compile(r"(?:\b[A-Z][a-z]{0,2}|\b(?:[A-Za-z]\.)+[A-Za-z])\.$")
_VAGUE_WEAPONS = ("unknown",)


class MutableIncident(Protocol):
    """The incident fields reconciliation reads and writes."""

    title: str
    summary: str
    event_date: date | None
    country: str | None
    place: str | None
    site: str | None
    target: str | None
    target_type: str | None
    target_nationality: str | None
    weapon: str | None
    munitions: int | None
    killed: int | None
    injured: int | None
    perpetrator: str | None
    perpetrator_status: str | None
    figures: dict[str, Any]
    tally: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Material:
    killed: int | None
    injured: int | None
    perpetrator: str | None
    perpetrator_status: str | None
    weapon: str | None


def reconcile(incident: MutableIncident, report: Report | Attack) -> list[str]:
    """Merge a report into ``incident``; the material changes, described for an analyst."""
    report = report if isinstance(report, Report) else Report(report)
    before = _material(incident)
    incident.tally = add_to_tally(incident.tally, report)
    incident.figures = _widen(incident.figures, report.attack)
    apply_tally(incident)
    apply_figures(incident)
    if not incident.summary and report.lede:
        incident.summary = summary_of(report.lede)
    incident.title = title_for(incident)
    return material_changes(before, _material(incident))


def absorb(incident: MutableIncident, other: MutableIncident) -> list[str]:
    """Fold ``other`` (the same attack, reported apart) into ``incident``: tallies add up,
    ranges widen; the material changes this makes to ``incident``."""
    before = _material(incident)
    incident.tally = combined_tally(incident.tally, other.tally)
    figures = dict(incident.figures)
    for name, seen in other.figures.items():
        low, high = figures.get(name) or seen
        figures[name] = [min(low, seen[0]), max(high, seen[1])]
    incident.figures = figures
    apply_tally(incident)
    apply_figures(incident)
    incident.summary = incident.summary or other.summary
    incident.title = title_for(incident)
    return material_changes(before, _material(incident))


def combined_tally(tally: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """Two incidents' tallies as one: counts added, lists joined (within their caps)."""
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in tally.items()}
    for name, value in other.items():
        mine = out.get(name)
        if isinstance(value, dict):
            counts = dict(mine) if isinstance(mine, dict) else {}
            for key, n in value.items():
                counts[key] = counts.get(key, 0) + n
            out[name] = counts
        elif name == "published":
            seen = [*(mine or ()), *value]
            out[name] = [min(seen), max(seen)] if seen else []
        elif name == "reports":
            out[name] = int(mine or 0) + int(value or 0)
        elif isinstance(value, list):
            cap = MAX_KEYS if name == "keys" else MAX_TITLES
            joined = list(dict.fromkeys([*(mine or ()), *value]))
            out[name] = sorted(joined)[:cap] if name == "keys" else joined[:cap]
    return out


def add_to_tally(tally: Mapping[str, Any], report: Report) -> dict[str, Any]:
    """A new tally with one more report counted."""
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in tally.items()}
    attack = report.attack
    for name, value in (
        ("dates", attack.event_date.isoformat() if attack.event_date else None),
        ("countries", attack.country),
        ("sites", attack.site),
        ("targets", attack.target),
        ("target_types", attack.target_type),
        ("nationalities", attack.target_nationality),
        ("weapons", attack.weapon),
        ("perpetrators", attack.perpetrator),
        ("claimed", attack.perpetrator if attack.perpetrator_status == "claimed" else None),
    ):
        _count(out, name, value)
    _count(out, "places", attack.place, MAX_PLACES)
    keys = set(out.get("keys") or ()) | place_keys(attack.site, attack.place, attack.target)
    out["keys"] = sorted(keys)[:MAX_KEYS]
    for name in sorted(report.names):
        _count(out, "names", name, MAX_NAMES)
    for day in sorted(report.weekdays):
        _count(out, "weekdays", str(day))
    for month, day in sorted(report.month_days):
        _count(out, "month_days", f"{month:02d}-{day:02d}")
    titles = list(out.get("titles") or ())
    if report.title and report.title not in titles and len(titles) < MAX_TITLES:
        out["titles"] = [*titles, report.title]
    if report.published:
        seen = [*(out.get("published") or ()), report.published.isoformat()]
        out["published"] = [min(seen), max(seen)]
    out["reports"] = int(out.get("reports") or 0) + 1
    return out


def _count(tally: dict[str, Any], name: str, value: str | None, cap: int | None = None) -> None:
    """One more report of ``value`` for ``name`` (a new value only while under ``cap``)."""
    if not value:
        return
    counts = tally.setdefault(name, {})
    if value in counts or cap is None or len(counts) < cap:
        counts[value] = counts.get(value, 0) + 1


def apply_tally(incident: MutableIncident) -> None:
    """Set the incident's fields from its tally (see the module docstring)."""
    tally = incident.tally
    dates = _counts(tally, "dates")
    if dates:
        top = max(dates.values())
        incident.event_date = date.fromisoformat(min(d for d, n in dates.items() if n == top))
    incident.country = _most(tally, "countries") or incident.country
    incident.site = _most(tally, "sites") or incident.site
    incident.place = _most(tally, "places") or incident.place
    incident.target = _most(tally, "targets") or incident.target
    incident.target_type = _most(tally, "target_types", skip=("unknown",)) or incident.target_type
    incident.target_nationality = _most(tally, "nationalities") or incident.target_nationality
    incident.weapon = _most(tally, "weapons", skip=_VAGUE_WEAPONS) or incident.weapon
    claimed = _most(tally, "claimed")
    if claimed:
        incident.perpetrator, incident.perpetrator_status = claimed, "claimed"
    elif (named := _most(tally, "perpetrators")) is not None:
        incident.perpetrator = named
        incident.perpetrator_status = incident.perpetrator_status or "suspected"


def _widen(figures: Mapping[str, Any], attack: Attack) -> dict[str, Any]:
    out = dict(figures)
    for name in ("killed", "injured", "munitions"):
        value = getattr(attack, name)
        if value is None:
            continue
        low, high = out.get(name) or [value, value]
        out[name] = [min(low, value), max(high, value)]
    return out


def material_changes(before: _Material, after: _Material) -> list[str]:
    """What changed that an analyst acts on, as short phrases."""
    changes: list[str] = []
    for name, first in (("killed", "first deaths"), ("injured", "first injuries")):
        old, new = getattr(before, name), getattr(after, name)
        if new is None or new == old or (old is not None and new < old):
            continue
        if not old and new > 0:
            changes.append(f"{first}: {new} {name}")
        elif old is not None and new > old:
            changes.append(f"{name}: {old} -> {new}")
    if after.perpetrator and (
        before.perpetrator is None
        or (after.perpetrator_status == "claimed" and before.perpetrator_status != "claimed")
    ):
        verb = "claimed by" if after.perpetrator_status == "claimed" else "attributed to"
        changes.append(f"{verb} {after.perpetrator}")
    if after.weapon not in (None, "unknown") and before.weapon in (None, "unknown"):
        changes.append(f"weapon: {after.weapon}")
    return changes


def _material(incident: MutableIncident) -> _Material:
    return _Material(
        incident.killed,
        incident.injured,
        incident.perpetrator,
        incident.perpetrator_status,
        incident.weapon,
    )


def apply_figures(incident: MutableIncident) -> None:
    """Killed, injured and munitions: the highest figure seen."""
    for name in ("killed", "injured", "munitions"):
        seen = incident.figures.get(name)
        if seen:
            setattr(incident, name, seen[1])


def summary_of(text: str) -> str:
    """The first sentences of a report, up to :data:`SUMMARY_CHARS` characters."""
    summary = ""
    for sentence in sentences(text):
        if summary and len(summary) + len(sentence) + 1 > SUMMARY_CHARS:
            break
        summary = f"{summary} {sentence}".strip()
    return summary[:SUMMARY_CHARS]


def sentences(text: str) -> list[str]:
    """The sentences of a text, not cut after abbreviations such as "Col." or "U.S."."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(" ".join(text.split())):
        if out and _ABBREVIATION.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def title_for(incident: MutableIncident | Attack) -> str:
    """A short headline, e.g. 'Rocket attack on US Embassy, Baghdad (IQ)'."""
    weapon = incident.weapon if incident.weapon not in (None, "unknown", "mixed") else None
    what = f"{weapon.capitalize()} attack" if weapon else "Attack"
    target = incident.target or (
        f"{incident.target_nationality} {incident.target_type} target"
        if incident.target_nationality and incident.target_type
        else incident.target_type
    )
    # A place often names the target too ("eastern Syria, Mission Support Site Conoco"):
    # the headline says each name once.
    parts = [p.strip() for p in (incident.place or "").split(",") if p.strip()]
    where = ", ".join(p for p in parts if not target or p.lower() not in target.lower())
    text = what + (f" on {target}" if target else "") + (f", {where}" if where else "")
    return text + (f" ({incident.country})" if incident.country else "")


def _counts(tally: Mapping[str, Any], name: str) -> dict[str, int]:
    value = tally.get(name)
    return value if isinstance(value, dict) else {}


def _most(tally: Mapping[str, Any], name: str, skip: tuple[str, ...] = ()) -> str | None:
    counts = {k: n for k, n in _counts(tally, name).items() if k not in skip}
    if not counts:
        return None
    # max() keeps the first of equal counts: ties go to the first value reported.
    return max(counts, key=counts.__getitem__)
