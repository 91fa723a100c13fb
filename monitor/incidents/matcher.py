"""Score how well an attack report agrees with a candidate incident, and pick the best.

Candidates come from indexed queries (``repository.candidate_incidents``: event date within
:data:`DATE_WINDOW_DAYS`, same country, shared site or place word); this module only scores
them, so it never sees more than a handful of incidents.

The score adds points for each piece of evidence (README: "How duplicates and updates are
decided" has the table). Some disagreements rule a candidate out whatever else agrees
(:data:`VETO`): another country, event dates more than :data:`DATE_WINDOW_DAYS` apart,
another attacked nationality, two different named sites. A report joins the best candidate
that scores at least :data:`MATCH_THRESHOLD` and whose evidence of *when* and *where*
allows it (:attr:`Score.eligible`):

- the same site, or place words all found in the incident's: joins on the score alone;
- place words half shared ("Sarsang oil field, Duhok" vs "Tawke oil field, Duhok"): only
  on the same day;
- no place to compare: only when the dates agree (same or next day, or the incident's date
  falls in the days before an undated report's publication), and only if the best stands
  clear of the runner-up by :data:`AMBIGUITY_MARGIN`, so a vague report on a busy day
  starts its own incident rather than joining a wrong one;
- place words that disagree: never;
- no date at all on either side (an undated archive item): only with the same site or
  place, :data:`UNDATED_EXTRA` more points, and clear of the runner-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from rapidfuzz import fuzz

from monitor.incidents.places import overlap, place_keys
from monitor.records import Attack

#: Days either side of the event date within which incidents are candidates.
DATE_WINDOW_DAYS = 2
#: A report without an event date is taken to be about the days before its publication.
UNDATED_LOOKBACK_DAYS = 3
#: A candidate scoring at least this joins the report to the incident.
MATCH_THRESHOLD = 3.0
#: Without evidence of where, the best candidate must beat the runner-up by this much.
AMBIGUITY_MARGIN = 1.0
#: Without any date to compare, a report needs the same site or place and this much more.
UNDATED_EXTRA = 0.5
#: Score of a candidate ruled out.
VETO = float("-inf")

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
_PLACE_VERDICTS = {
    "same site": "same",
    "same place": "same",
    "nearby place": "nearby",
    "other place": "other",
}
_TITLE_SIMILAR, _TITLE_CLOSE = 80.0, 65.0


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


@dataclass(frozen=True, slots=True)
class Report:
    """One attack as one item reports it, with what matching compares beyond its fields."""

    attack: Attack
    #: The item's publication day: stands in for a missing event date.
    published: date | None = None
    title: str = ""
    #: The opening of the item's text, for the incident's summary.
    lede: str = ""

    @property
    def keys(self) -> frozenset[str]:
        """Distinctive words of the attack's site, place and target."""
        return place_keys(self.attack.site, self.attack.place, self.attack.target)

    def date_range(self) -> tuple[date, date] | None:
        """Event dates within which candidates are looked for, ``None`` when undated."""
        if self.attack.event_date is not None:
            day, window = self.attack.event_date, timedelta(days=DATE_WINDOW_DAYS)
            return day - window, day + window
        if self.published is not None:
            return (
                self.published - timedelta(days=UNDATED_LOOKBACK_DAYS + DATE_WINDOW_DAYS),
                self.published + timedelta(days=1),
            )
        return None


@dataclass(frozen=True, slots=True)
class Score:
    """A candidate's total and the evidence that made it, e.g. ``("same site", 3.0)``."""

    total: float
    evidence: tuple[tuple[str, float], ...] = field(default=())

    @property
    def vetoed(self) -> bool:
        """True when a disagreement ruled the candidate out."""
        return self.total == VETO

    @property
    def when(self) -> bool:
        """True when the dates agree (same or adjacent day, or within days of publication)."""
        return any(name.startswith("date") and pts > 0 for name, pts in self.evidence)

    @property
    def dated(self) -> bool:
        """True when dates could be compared at all."""
        return any(name.startswith("date") for name, _ in self.evidence)

    @property
    def same_day(self) -> bool:
        """True when both event dates are known and equal."""
        return any(name == "date: same day" for name, _ in self.evidence)

    @property
    def place(self) -> str | None:
        """``same`` (site or place words), ``nearby`` (half the words), ``other``, or ``None``."""
        for name, _ in self.evidence:
            if name in _PLACE_VERDICTS:
                return _PLACE_VERDICTS[name]
        return None

    @property
    def where(self) -> bool:
        """True when the site or the place words agree."""
        return self.place == "same"

    @property
    def eligible(self) -> bool:
        """Whether the evidence of when and where allows joining at all (module docstring)."""
        if self.vetoed or self.place == "other":
            return False
        if self.place == "nearby":
            return self.same_day
        if not self.dated:
            return self.where and self.total >= MATCH_THRESHOLD + UNDATED_EXTRA
        return self.where or self.when

    def explain(self) -> str:
        """The evidence as text, e.g. ``"5.5: same site +3.0, same day +2.0, …"``."""
        if self.vetoed:
            return "ruled out: " + ", ".join(name for name, _ in self.evidence)
        parts = ", ".join(f"{name} {pts:+.1f}" for name, pts in self.evidence)
        return f"{self.total:.1f}: {parts}"


def as_report(report: Report | Attack) -> Report:
    """A :class:`Report` from a bare attack (no publication date, no title)."""
    return report if isinstance(report, Report) else Report(report)


def score(report: Report | Attack, incident: IncidentLike) -> Score:
    """How well a report agrees with an incident (see the module docstring)."""
    report = as_report(report)
    veto = _veto(report.attack, incident)
    if veto:
        return Score(VETO, ((veto, VETO),))
    evidence = [
        *_date_evidence(report, incident),
        *_place_evidence(report, incident),
        *_target_evidence(report.attack, incident),
        *_weapon_evidence(report.attack.weapon, incident.weapon),
        *_casualty_evidence(report.attack, incident),
        *_perpetrator_evidence(report.attack.perpetrator, incident.perpetrator),
        *_title_evidence(report.title, incident.tally.get("titles") or ()),
    ]
    if any(pts == VETO for _, pts in evidence):
        return Score(VETO, tuple(e for e in evidence if e[1] == VETO))
    return Score(sum(pts for _, pts in evidence), tuple(evidence))


def best_match(
    report: Report | Attack,
    candidates: Sequence[IncidentLike],
    threshold: float = MATCH_THRESHOLD,
    exclude: Iterable[int] = (),
) -> tuple[IncidentLike, float] | None:
    """The incident the report belongs to, with its score, or ``None`` for a new incident."""
    found = decide(report, candidates, threshold, exclude)
    return (found[0], found[1].total) if found else None


def decide(
    report: Report | Attack,
    candidates: Sequence[IncidentLike],
    threshold: float = MATCH_THRESHOLD,
    exclude: Iterable[int] = (),
) -> tuple[IncidentLike, Score] | None:
    """Like :func:`best_match`, with the evidence of the chosen candidate."""
    skip = set(exclude)
    scored = [(c, score(report, c)) for c in candidates if c.id not in skip]
    # Best first; ties go to the oldest incident so that reprocessing is deterministic.
    eligible = sorted(
        ((c, s) for c, s in scored if s.eligible and s.total >= threshold),
        key=lambda cs: (-cs[1].total, cs[0].id or 0),
    )
    if not eligible:
        return None
    best, best_score = eligible[0]
    runner_up = eligible[1][1].total if len(eligible) > 1 else VETO
    sure = best_score.where and best_score.dated
    if not sure and runner_up > best_score.total - AMBIGUITY_MARGIN:
        return None
    return best, best_score


# --- evidence ----------------------------------------------------------------------------


def _veto(attack: Attack, incident: IncidentLike) -> str | None:
    if attack.country and incident.country and attack.country != incident.country:
        return "another country"
    if (
        attack.target_nationality
        and incident.target_nationality
        and attack.target_nationality != incident.target_nationality
    ):
        return "another attacked nationality"
    sites = _counts(incident.tally.get("sites")) or ({incident.site: 1} if incident.site else {})
    if attack.site and sites and attack.site not in sites:
        keys = place_keys(attack.site)
        if not any(overlap(keys, place_keys(s)) >= 1.0 for s in sites):
            return "another site"
    return None


def _date_evidence(report: Report, incident: IncidentLike) -> list[tuple[str, float]]:
    day, consensus = report.attack.event_date, incident.event_date
    if day and consensus:
        gap = abs((day - consensus).days)
        if gap > DATE_WINDOW_DAYS:
            return [("dates too far apart", VETO)]
        return [(("date: same day", "date: next day", "date: two days apart")[gap], _GAP[gap])]
    # One side has no event date: compare the other's with when the first was published.
    if consensus:
        window, known = report.date_range(), consensus
    elif day:
        window, known = _published_window(incident), day
    else:
        return []
    if window is None:
        return []
    if window[0] <= known <= window[1]:
        return [("date: within days of publication", 0.5)]
    return [("dates too far apart", VETO)]


_GAP = (2.0, 0.75, -0.5)


def _published_window(incident: IncidentLike) -> tuple[date, date] | None:
    days = incident.tally.get("published") or []
    if not days:
        return None
    low, high = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    return low - timedelta(days=UNDATED_LOOKBACK_DAYS + DATE_WINDOW_DAYS), high + timedelta(days=1)


def _place_evidence(report: Report, incident: IncidentLike) -> list[tuple[str, float]]:
    attack = report.attack
    sites = _counts(incident.tally.get("sites")) or ({incident.site: 1} if incident.site else {})
    if attack.site and attack.site in sites:
        return [("same site", 3.0)]
    keys = report.keys
    if not keys:
        return []
    shared = max((overlap(keys, known) for known in _incident_places(incident)), default=None)
    if shared is None:
        return []
    if shared >= 1.0:
        return [("same place", 1.5)]
    if shared >= 0.5:
        return [("nearby place", 0.5)]
    return [("other place", -2.5)]


def _incident_places(incident: IncidentLike) -> list[frozenset[str]]:
    """The place words of each place name the incident was reported at."""
    names = [*_counts(incident.tally.get("places")), *_counts(incident.tally.get("sites"))]
    names += [n for n in (incident.place, incident.site, incident.target) if n]
    places = {place_keys(name) for name in names} - {frozenset()}
    if not places and incident.tally.get("keys"):
        places.add(frozenset(incident.tally["keys"]))
    return sorted(places, key=sorted)


def _target_evidence(attack: Attack, incident: IncidentLike) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    if attack.target_nationality and attack.target_nationality == incident.target_nationality:
        out.append(("same attacked nationality", 0.5))
    kinds = {attack.target_type, incident.target_type} - {None, "unknown"}
    if attack.target_type and attack.target_type == incident.target_type:
        out.append(("same target type", 0.5))
    elif len(kinds) == 2:
        out.append(("other target type", -1.5))
    return out


def _weapon_evidence(weapon: str | None, other: str | None) -> list[tuple[str, float]]:
    if not weapon or not other or weapon in _VAGUE_WEAPONS or other in _VAGUE_WEAPONS:
        return []
    if weapon == other:
        return [("same weapon", 1.0)]
    pair = {weapon, other}
    if pair <= _MISSILES and "missile" in pair:
        return [("same weapon family", 0.5)]
    if any(pair <= near for near in _NEAR_WEAPONS):
        return [("other weapon", -0.25)]
    return [("other weapon", -1.0)]


def _casualty_evidence(attack: Attack, incident: IncidentLike) -> list[tuple[str, float]]:
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
        return [("death tolls disagree", -1.5)]
    return []


def _perpetrator_evidence(name: str | None, other: str | None) -> list[tuple[str, float]]:
    if not name or not other:
        return []
    if fuzz.token_set_ratio(name.lower(), other.lower()) >= _PERPETRATOR_SIMILARITY:
        return [("same perpetrator", 0.5)]
    return []


def _title_evidence(title: str, titles: Iterable[str]) -> list[tuple[str, float]]:
    if not title:
        return []
    best = max((fuzz.token_sort_ratio(title.lower(), t.lower()) for t in titles), default=0.0)
    if best >= _TITLE_SIMILAR:
        return [("similar headline", 1.0)]
    if best >= _TITLE_CLOSE:
        return [("similar headline", 0.5)]
    return []


def _counts(value: Any) -> Mapping[str, int]:
    return value if isinstance(value, Mapping) else {}
