"""The pieces of evidence for and against a report belonging to an incident, with points.

Each function compares one aspect and returns ``(name, points)`` pairs; ``VETO`` points rule
the candidate out. The names are what ``Score.explain`` prints and what the matcher's
rules read (``date: …`` is evidence of when, ``same site``/``same place`` of where).
The table is in the README ("How duplicates and updates are decided").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from rapidfuzz import fuzz

from monitor.incidents.places import fold, overlap, place_keys, same_word
from monitor.records import Attack

if TYPE_CHECKING:
    from monitor.incidents.matcher import Report

#: Days either side of the event date within which incidents are candidates.
DATE_WINDOW_DAYS = 2
#: A report without an event date is taken to be about the days before its publication.
UNDATED_LOOKBACK_DAYS = 3
#: Score of a candidate ruled out.
VETO = float("-inf")
Evidence = list[tuple[str, float]]
#: Evidence name: the report has no date at all, the incident has one.
UNDATED_REPORT = "undated report, dated incident"
#: Evidence name: a day of the month one side gives fits the other's date.
MONTH_DAY_AGREES = "date: day of the month agrees"
#: Evidence name: the incident has no date at all, the report has one.
UNDATED_INCIDENT = "undated incident, dated report"

_GAP = (("date: same day", 2.0), ("date: next day", 0.75), ("date: two days apart", -0.5))
_MISSILES = frozenset({"missile", "ballistic missile", "cruise missile"})
_VAGUE_WEAPONS = frozenset({"mixed", "unknown"})
#: Weapons reporters confuse for one another: disagreeing on these costs little.
_NEAR_WEAPONS = (
    frozenset({"rocket", "missile", "mortar"}),
    frozenset({"rocket", "drone"}),
    frozenset({"gunfire", "storming", "suicide bombing", "ied"}),
    frozenset({"airstrike", "missile", "drone"}),
)
_PERPETRATOR_SIMILARITY = 70.0
_TITLE_SIMILAR, _TITLE_CLOSE = 80.0, 65.0
_GROUP_WORD = re.compile(r"\w+")
#: One shared name counts when it is at least this share of the shorter list of names.
NAMES_AGREE = 0.5
#: Points for 1, 2, 3 or more proper names shared.
_NAME_POINTS = (0.0, 0.75, 1.25, 1.5)
#: A name held by candidates whose dates lie this many days apart tells none of them apart.
CROWDED_DAYS = 2 * DATE_WINDOW_DAYS


class IncidentLike(Protocol):
    """What the matcher reads of a stored incident."""

    id: int | None
    event_date: date | None
    country: str | None
    site: str | None
    place: str | None
    target: str | None
    weapon: str | None
    target_type: str | None
    target_nationality: str | None
    killed: int | None
    perpetrator: str | None
    figures: dict[str, Any]
    tally: dict[str, Any]


def veto(attack: Attack, incident: IncidentLike) -> str | None:
    """Why the incident cannot be the attack's, or ``None``."""
    if attack.country and incident.country and attack.country != incident.country:
        return "another country"
    if (
        attack.target_nationality
        and incident.target_nationality
        and attack.target_nationality != incident.target_nationality
    ):
        return "another attacked nationality"
    sites = sites_of(incident)
    if attack.site and sites and attack.site not in sites:
        keys = place_keys(attack.site)
        if not any(overlap(keys, place_keys(s)) >= 1.0 for s in sites):
            return "another site"
    return None


# --- when ---------------------------------------------------------------------------------


def when(report: Report, incident: IncidentLike) -> Evidence:
    """Event dates, publication days, weekdays and days of the month compared."""
    day, consensus = report.attack.event_date, incident.event_date
    if day and consensus:
        gap = abs((day - consensus).days)
        return [("dates too far apart", VETO)] if gap > DATE_WINDOW_DAYS else [_GAP[gap]]
    if consensus:  # an undated report: its publication window and the days it names
        window = report.date_range()
        marker = [] if window else [(UNDATED_REPORT, 0.0)]
        named = _weekday(report.weekdays, consensus) + _month_day(report.month_days, consensus)
        return marker + _within(window, consensus) + named
    seen = {int(d) for d in counts(incident.tally.get("weekdays"))}
    if day:  # an undated incident
        window = _published_window(incident)
        marker = [] if window else [(UNDATED_INCIDENT, 0.0)]
        named = _weekday(seen, day, undated=True) + _month_day(month_days_of(incident), day)
        return marker + _within(window, day) + named
    both = report.month_days & month_days_of(incident)
    return _weekdays_both(report.weekdays, seen) + ([(MONTH_DAY_AGREES, 1.0)] if both else [])


def _month_day(named: Iterable[tuple[int, int]], day: date) -> Evidence:
    """A day of the month a report gives ("February 4") against a date (a day off: a
    statement's day, or a date read a day late, fits but says less)."""
    named = set(named)
    if not named:
        return []
    if (day.month, day.day) in named:
        return [(MONTH_DAY_AGREES, 1.5)]
    near = {(d.month, d.day) for d in (day - timedelta(days=1), day + timedelta(days=1))}
    return [(MONTH_DAY_AGREES, 0.5)] if named & near else [("days of the month differ", -1.0)]


def month_days_of(incident: IncidentLike) -> frozenset[tuple[int, int]]:
    """The (month, day) pairs an incident's reports gave without a year."""
    pairs = counts(incident.tally.get("month_days"))
    return frozenset((int(k[:2]), int(k[3:])) for k in pairs)


def _within(window: tuple[date, date] | None, day: date) -> Evidence:
    if window is None:
        return []
    if window[0] <= day <= window[1]:
        return [("date: within days of publication", 0.5)]
    return [("dates too far apart", VETO)]


def _weekday(named: Iterable[int], day: date, undated: bool = False) -> Evidence:
    """The event's weekday, or the next (a statement's: "the military said on Tuesday"),
    among those a report names. The day before does not fit: an undated "Wednesday" report
    is not of a Thursday attack at the same base (rather of an earlier one)."""
    named = set(named)
    if not named:
        return []
    if {(day.weekday() + shift) % 7 for shift in (0, 1)} & named:
        # Weak (two days in seven agree by chance): not evidence of when on its own.
        return [("weekday agrees", 0.5)]
    return [("weekday disagrees", -2.0 if undated else -3.0)]


def _weekdays_both(mine: frozenset[int], theirs: set[int]) -> Evidence:
    """Neither side dated: weekdays named by both (weak: one chance in seven)."""
    if not mine or not theirs:
        return []
    return [("weekdays agree", 0.5)] if mine & theirs else [("weekdays disagree", -2.0)]


def _published_window(incident: IncidentLike) -> tuple[date, date] | None:
    days = incident.tally.get("published") or []
    if not days:
        return None
    low, high = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    return low - timedelta(days=UNDATED_LOOKBACK_DAYS + DATE_WINDOW_DAYS), high + timedelta(days=1)


# --- where --------------------------------------------------------------------------------


def where(
    report: Report, incident: IncidentLike, crowded: frozenset[str] = frozenset()
) -> Evidence:
    """Site, place words and proper names compared (``crowded``: names many candidates
    share, which tell none of them apart)."""
    return _place(report, incident) + _names(report, incident, crowded)


def _place(report: Report, incident: IncidentLike) -> Evidence:
    attack = report.attack
    if attack.site and attack.site in sites_of(incident):
        return [("same site", 3.0)]
    keys = report.keys
    if not keys:
        return []
    shared = max((overlap(keys, known) for known in places_of(incident)), default=None)
    if shared is None:
        return []
    if shared >= 1.0:
        return [("same place", 1.5)]
    if shared >= 0.5 or _named_by_the_other(report, incident):
        return [("nearby place", 0.5)]
    return [("other place", -2.5)]


def _named_by_the_other(report: Report, incident: IncidentLike) -> bool:
    """A datelined "BAGHDAD, base" and "Ain al-Asad air base" disagree as places; but when
    the other side's reports name the place ("al-Asad" among their proper names), they may
    be one attack described from two cities."""
    theirs = set(counts(incident.tally.get("names")))
    mine_in_theirs = bool(theirs) and overlap(report.keys, theirs) >= 1.0
    places = [k for keys in places_of(incident) for k in keys]
    return mine_in_theirs or (bool(places) and overlap(places, report.names) >= 1.0)


def _names(report: Report, incident: IncidentLike, crowded: frozenset[str]) -> Evidence:
    """Proper names shared, leaving out crowded ones and the words of the groups named as
    perpetrators (a group claims many attacks)."""
    groups = {report.attack.perpetrator or "", *counts(incident.tally.get("perpetrators"))}
    skip = {w for g in groups for w in _GROUP_WORD.findall(fold(g))} | crowded
    mine = report.names - skip
    theirs = {n for n in counts(incident.tally.get("names")) if n not in skip}
    if not mine or not theirs:
        return []
    shared = sum(1 for n in mine if n in theirs or any(same_word(n, m) for m in theirs))
    if shared >= 2 or (shared and shared / min(len(mine), len(theirs)) >= NAMES_AGREE):
        return [(f"names: {shared} shared", _NAME_POINTS[min(shared, 3)])]
    if shared:
        return [("one name shared", 0.25)]
    if len(mine) >= 3 and len(theirs) >= 3:
        return [("no names shared", -0.5)]
    return []


def crowded_names(names: frozenset[str], candidates: Iterable[IncidentLike]) -> frozenset[str]:
    """Names of the report that candidates of different events share ("Baghdad", a ship
    attacked twice, a group): their dates lie more than :data:`CROWDED_DAYS` apart."""
    held: dict[str, list[date]] = {}
    for incident in candidates:
        if incident.event_date is None:
            continue
        for name in names & counts(incident.tally.get("names")).keys():
            held.setdefault(name, []).append(incident.event_date)
    return frozenset(
        name for name, days in held.items() if (max(days) - min(days)).days > CROWDED_DAYS
    )


def sites_of(incident: IncidentLike) -> Mapping[str, int]:
    """Every named site reported for the incident."""
    return counts(incident.tally.get("sites")) or ({incident.site: 1} if incident.site else {})


def places_of(incident: IncidentLike) -> list[frozenset[str]]:
    """The place words of each place name the incident was reported at."""
    names = [*counts(incident.tally.get("places")), *counts(incident.tally.get("sites"))]
    names += [n for n in (incident.place, incident.site, incident.target) if n]
    places = {place_keys(name) for name in names} - {frozenset()}
    if not places and incident.tally.get("keys"):
        places.add(frozenset(incident.tally["keys"]))
    return sorted(places, key=sorted)


# --- what and who -------------------------------------------------------------------------


def target(attack: Attack, incident: IncidentLike) -> Evidence:
    """Attacked nationality and target type compared."""
    out: Evidence = []
    if attack.target_nationality and attack.target_nationality == incident.target_nationality:
        out.append(("same attacked nationality", 0.5))
    kinds = {attack.target_type, incident.target_type} - {None, "unknown"}
    if attack.target_type and attack.target_type == incident.target_type:
        out.append(("same target type", 0.5))
    elif len(kinds) == 2:
        out.append(("other target type", -1.5))
    return out


def weapon(mine: str | None, other: str | None) -> Evidence:
    """Weapons compared: the same, of one family, often confused, or different."""
    if not mine or not other or mine in _VAGUE_WEAPONS or other in _VAGUE_WEAPONS:
        return []
    if mine == other:
        return [("same weapon", 1.0)]
    pair = {mine, other}
    if pair <= _MISSILES and "missile" in pair:
        return [("same weapon family", 0.5)]
    if any(pair <= near for near in _NEAR_WEAPONS):
        return [("other weapon", -0.25)]
    return [("other weapon", -1.0)]


def casualties(attack: Attack, incident: IncidentLike) -> Evidence:
    """The report's death toll against the range the incident's reports gave."""
    if attack.killed is None:
        return []
    low, high = (incident.figures.get("killed") or [incident.killed, incident.killed])[:2]
    if low is None or high is None:
        return []
    if attack.killed == 0 and high == 0:
        return [("no deaths either", 0.25)]
    if low - 2 <= attack.killed <= high + 2 or low / 2 <= attack.killed <= high * 2:
        return [("death tolls agree", 0.5)]
    if min(attack.killed, low) == 0 or attack.killed > 3 * high or attack.killed * 3 < low:
        return [("death tolls disagree", -2.0)]
    return []


def perpetrator(name: str | None, other: str | None) -> Evidence:
    """The same group named (spellings aside)."""
    if not name or not other:
        return []
    if fuzz.token_set_ratio(name.lower(), other.lower()) >= _PERPETRATOR_SIMILARITY:
        return [("same perpetrator", 0.5)]
    return []


def headline(title: str, titles: Iterable[str]) -> Evidence:
    """The report's headline against the incident's reports' headlines."""
    if not title:
        return []
    best = max((fuzz.token_sort_ratio(title.lower(), t.lower()) for t in titles), default=0.0)
    if best >= _TITLE_SIMILAR:
        return [("similar headline", 1.0)]
    if best >= _TITLE_CLOSE:
        return [("similar headline", 0.5)]
    return []


def counts(value: Any) -> Mapping[str, int]:
    """A tally entry as a mapping (empty when absent)."""
    return value if isinstance(value, Mapping) else {}
