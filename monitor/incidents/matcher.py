"""Decide which incident an attack report belongs to, from the evidence for each candidate.

Candidates come from indexed queries (``repository.candidate_incidents``: event date within
:data:`DATE_WINDOW_DAYS`, same country, shared site or place word); this module only scores
them (:mod:`~monitor.incidents.evidence` has the pieces), so it never sees more than a
handful of incidents.

Some disagreements rule a candidate out whatever else agrees: another country, event dates
more than :data:`DATE_WINDOW_DAYS` apart, another attacked nationality, two different named
sites, an undated report naming another weekday than the incident's. A report joins the
best candidate that scores at least :data:`MATCH_THRESHOLD` and whose evidence of *when*
and *where* allows it (:attr:`Score.eligible`):

- the same site, place words all found in the incident's, or two proper names shared:
  joins on the score alone;
- place words half shared ("Sarsang oil field, Duhok" vs "Tawke oil field, Duhok"), or
  place words that disagree while two names are shared: only on the same day;
- no place to compare: only when both event dates are known and agree (same or next day),
  and only if the best stands clear of the runner-up by :data:`AMBIGUITY_MARGIN`, so a
  vague report on a busy day starts its own incident rather than joining a wrong one;
- place words that disagree: never;
- no date on either side (an undated archive item): only with the same site, place or
  names, :data:`UNDATED_EXTRA` more points, and no other eligible incident (two attacks
  at one base, and nothing to say which).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from monitor.incidents import evidence as ev
from monitor.incidents.evidence import (
    DATE_WINDOW_DAYS,
    UNDATED_LOOKBACK_DAYS,
    VETO,
    IncidentLike,
)
from monitor.incidents.places import place_keys
from monitor.incidents.text import attack_text, month_days, names, weekdays
from monitor.records import Attack

__all__ = [
    "DATE_WINDOW_DAYS",
    "UNDATED_LOOKBACK_DAYS",
    "VETO",
    "Decision",
    "IncidentLike",
    "Report",
    "Score",
    "best_match",
    "compatible",
    "decide",
    "decide_all",
    "score",
]

#: A candidate scoring at least this joins the report to the incident.
MATCH_THRESHOLD = 3.0
#: Without evidence of where, the best candidate must beat the runner-up by this much.
AMBIGUITY_MARGIN = 1.0
#: Without any date to compare, a report needs the same site, place or names and this more.
UNDATED_EXTRA = 1.0
#: Evidence at or below this many points forbids merging two incidents.
STRONG_DISAGREEMENT = -1.0
#: Proper names (not crowded, not a perpetrator's) two reports must share to count as
#: evidence of the same place.
NAMES_FOR_PLACE = 1


@dataclass(frozen=True, slots=True)
class Report:
    """One attack as one item reports it, with what matching compares beyond its fields."""

    attack: Attack
    #: The item's publication day: stands in for a missing event date.
    published: date | None = None
    title: str = ""
    #: The opening of the item's text, for the incident's summary.
    lede: str = ""
    #: Distinctive proper names the report uses for this attack (:func:`text.names`).
    names: frozenset[str] = frozenset()
    #: Weekdays it names for it (0 = Monday).
    weekdays: frozenset[int] = frozenset()
    #: Days it gives without a year, as (month, day): "February 4".
    month_days: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def of(
        cls,
        attack: Attack,
        published: date | None,
        title: str,
        lede: str,
        only: bool = True,
        body: str = "",
    ) -> Report:
        """A report with the names and days read from its words (``only``: the item reports
        no other attack, so its lede is about this one; ``body``: more of its text, where a
        day of the month may come later: "claimed the attack on February 4")."""
        text = attack_text(attack, title, lede, only)
        days = month_days(f"{text}\n{body}" if only else text)
        return cls(attack, published, title, lede, names(text), weekdays(text), days)

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


#: Evidence that, with dates two days apart, tells two attacks apart.
_DIFFERENT = frozenset({"other weapon", "death tolls disagree", "other target type"})


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
    def dated(self) -> bool:
        """True when a date could be compared (event dates, publication, weekday)."""
        return any(name.startswith("date") for name, _ in self.evidence)

    @property
    def when(self) -> bool:
        """True when both event dates are known and agree (same or next day)."""
        return any(name in ("date: same day", "date: next day") for name, _ in self.evidence)

    @property
    def same_day(self) -> bool:
        """True when both event dates are known and equal."""
        return any(name == "date: same day" for name, _ in self.evidence)

    @property
    def one_sided(self) -> bool:
        """True when one side has a date and the other none, not even a publication day."""
        return any(name in (ev.UNDATED_REPORT, ev.UNDATED_INCIDENT) for name, _ in self.evidence)

    @property
    def weekday_fits(self) -> bool:
        """True when the weekday or the day of the month one side names fits the other's."""
        fits = ("weekday agrees", ev.MONTH_DAY_AGREES)
        return any(name in fits for name, _ in self.evidence)

    @property
    def place(self) -> str | None:
        """``same``, ``nearby``, ``other`` or ``None`` (nothing to compare): see the module."""
        found = {name for name, _ in self.evidence}
        named = self._names_shared() >= NAMES_FOR_PLACE
        if found & {"same site", "same place"}:
            return "same"
        if "other place" in found:
            return "nearby" if named else "other"
        if "nearby place" in found:
            return "nearby"
        return "same" if named else None

    @property
    def days_apart_and_different(self) -> bool:
        """Dates two days apart and another weapon, toll or kind of target: two attacks on
        one place ("rockets hit the base two days after drones targeted it")."""
        found = {name for name, _ in self.evidence}
        return "date: two days apart" in found and bool(found & _DIFFERENT)

    @property
    def where(self) -> bool:
        """True when the site, the place words or the proper names agree."""
        return self.place == "same"

    @property
    def eligible(self) -> bool:
        """Whether the evidence of when and where allows joining at all (module docstring)."""
        if self.vetoed or self.place == "other" or self.days_apart_and_different:
            return False
        if self.place == "nearby":
            return self.same_day
        if not self.dated:
            # An undated report could be of any attack ever made on that site: it joins a
            # dated incident (or a dated report an undated one) only if the weekday fits.
            if self.one_sided and not self.weekday_fits:
                return False
            return self.where and self.total >= MATCH_THRESHOLD + UNDATED_EXTRA
        return self.where or self.when

    def explain(self) -> str:
        """The evidence as text, e.g. ``"5.5: same site +3.0, date: same day +2.0, …"``."""
        if self.vetoed:
            return "ruled out: " + ", ".join(name for name, _ in self.evidence)
        parts = ", ".join(f"{name} {pts:+.1f}" for name, pts in self.evidence)
        return f"{self.total:.1f}: {parts}"

    def _names_shared(self) -> int:
        for name, _ in self.evidence:
            if name.startswith("names: ") and name.endswith(" shared"):
                return int(name.split()[1])
        return 0


def score(
    report: Report | Attack, incident: IncidentLike, crowded: frozenset[str] = frozenset()
) -> Score:
    """How well a report agrees with an incident (see the module docstring); ``crowded``:
    names too many candidates share to tell them apart."""
    report = report if isinstance(report, Report) else Report(report)
    attack = report.attack
    veto = ev.veto(attack, incident)
    if veto:
        return Score(VETO, ((veto, VETO),))
    found = [
        *ev.when(report, incident),
        *ev.where(report, incident, crowded),
        *ev.target(attack, incident),
        *ev.weapon(attack.weapon, incident.weapon),
        *ev.casualties(attack, incident),
        *ev.perpetrator(attack.perpetrator, incident.perpetrator),
        *ev.headline(report.title, incident.tally.get("titles") or ()),
    ]
    if any(pts == VETO for _, pts in found):
        return Score(VETO, tuple(e for e in found if e[1] == VETO))
    return Score(sum(pts for _, pts in found), tuple(found))


def best_match(
    report: Report | Attack,
    candidates: Sequence[IncidentLike],
    threshold: float = MATCH_THRESHOLD,
    exclude: Iterable[int] = (),
) -> tuple[IncidentLike, float] | None:
    """The incident the report belongs to, with its score, or ``None`` for a new incident."""
    found = decide(report, candidates, threshold, exclude)
    return (found[0], found[1].total) if found else None


@dataclass(frozen=True, slots=True)
class Decision:
    """The incident a report joins, why, and the incidents it shows to be the same one."""

    incident: IncidentLike
    score: Score
    #: Other candidates the report matches as well, compatible with ``incident``: they were
    #: one attack reported apart (e.g. an undated report and a dated one) and merge into it.
    merge: tuple[IncidentLike, ...] = ()


def decide(
    report: Report | Attack,
    candidates: Sequence[IncidentLike],
    threshold: float = MATCH_THRESHOLD,
    exclude: Iterable[int] = (),
) -> tuple[IncidentLike, Score] | None:
    """Like :func:`best_match`, with the evidence of the chosen candidate."""
    found = decide_all(report, candidates, threshold, exclude)
    return (found.incident, found.score) if found else None


def decide_all(
    report: Report | Attack,
    candidates: Sequence[IncidentLike],
    threshold: float = MATCH_THRESHOLD,
    exclude: Iterable[int] = (),
) -> Decision | None:
    """The incident a report joins (see the module docstring), with those to merge into it."""
    skip = set(exclude)
    report = report if isinstance(report, Report) else Report(report)
    crowded = ev.crowded_names(report.names, candidates)
    scored = [(c, score(report, c, crowded)) for c in candidates if c.id not in skip]
    # Best first; ties go to the oldest incident so that reprocessing is deterministic.
    eligible = sorted(
        ((c, s) for c, s in scored if s.eligible and s.total >= threshold),
        key=lambda cs: (-cs[1].total, cs[0].id or 0),
    )
    if not eligible:
        return None
    best, best_score = eligible[0]
    same: tuple[IncidentLike, ...] = ()
    for other, _ in eligible[1:]:
        if all(compatible(kept, other, report) for kept in (best, *same)):
            same = (*same, other)
    rivals = [s.total for c, s in eligible[1:] if c not in same]
    if rivals and not best_score.dated:
        return None  # several attacks at that place, and nothing to say when: can't tell
    sure = best_score.where and best_score.dated
    if not sure and rivals and rivals[0] > best_score.total - AMBIGUITY_MARGIN:
        return None
    return Decision(best, best_score, same)


def compatible(incident: IncidentLike, other: IncidentLike, link: Report | None = None) -> bool:
    """Whether two incidents can be one attack: nothing rules it out, nothing strongly
    disagrees (death tolls, weapon, target type), the places agree or one has none, dates
    are at most a day apart if both have one, and if only one has, the weekday named by
    the other (or by the ``link``, the report that matches both) fits it."""
    return _fits(incident, other, link) or _fits(other, incident, link)


def _fits(incident: IncidentLike, other: IncidentLike, link: Report | None) -> bool:
    pseudo = as_report(other)
    if link is not None:
        pseudo = replace(
            pseudo,
            weekdays=pseudo.weekdays | link.weekdays,
            month_days=pseudo.month_days | link.month_days,
        )
    found = score(pseudo, incident)
    if found.vetoed or found.place == "other" or found.total <= 0:
        return False
    if any(points <= STRONG_DISAGREEMENT for _, points in found.evidence):
        return False  # e.g. death tolls far apart: two attacks, whatever links them
    if any(name == "date: two days apart" for name, _ in found.evidence):
        return False
    return not found.one_sided or found.weekday_fits


def as_report(incident: IncidentLike) -> Report:
    """An incident's reconciled fields as one report, to compare it with another incident."""
    tally = incident.tally
    published = tally.get("published") or []
    return Report(
        Attack(
            event_date=incident.event_date,
            country=incident.country,
            place=incident.place,
            site=incident.site,
            target=incident.target,
            target_type=incident.target_type,
            target_nationality=incident.target_nationality,
            weapon=incident.weapon,
            killed=incident.killed,
            perpetrator=incident.perpetrator,
        ),
        published=date.fromisoformat(published[0]) if published else None,
        names=frozenset(ev.counts(tally.get("names"))),
        weekdays=frozenset(int(d) for d in ev.counts(tally.get("weekdays"))),
        month_days=ev.month_days_of(incident),
    )
