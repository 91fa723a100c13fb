"""Score how well an attack report agrees with a candidate incident.

Candidates come from an indexed query (event date within a window, same country); this
module only scores them, so it never sees more than a handful of incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from monitor.records import Attack

#: Days either side of the event date within which incidents are candidates.
DATE_WINDOW_DAYS = 2
#: A candidate scoring at least this joins the report to the incident.
MATCH_THRESHOLD = 0.6


class IncidentLike(Protocol):
    """What the matcher reads of a stored incident."""

    id: int | None
    event_date: date | None
    country: str | None
    site: str | None
    place: str | None
    weapon: str | None
    target_type: str | None
    target_nationality: str | None


def score(attack: Attack, incident: IncidentLike) -> float:
    """Agreement in [0, 1] between a report and an incident; 0 when they clash."""
    if attack.country and incident.country and attack.country != incident.country:
        return 0.0
    if attack.event_date and incident.event_date:
        gap = abs((attack.event_date - incident.event_date).days)
        if gap > DATE_WINDOW_DAYS:
            return 0.0
        date_score = 1.0 if gap == 0 else 0.6 if gap == 1 else 0.3
    else:
        date_score = 0.4
    same_target = (
        attack.target_nationality == incident.target_nationality
        and attack.target_type == incident.target_type
    )
    same_site = bool(attack.site and attack.site == incident.site)
    same_weapon = bool(attack.weapon and attack.weapon == incident.weapon)
    return 0.4 * date_score + 0.3 * same_target + 0.2 * same_site + 0.1 * same_weapon + 0.1


def best_match(
    attack: Attack, candidates: Sequence[IncidentLike], threshold: float = MATCH_THRESHOLD
) -> tuple[IncidentLike, float] | None:
    """The best-scoring candidate at or above ``threshold``, with its score."""
    scored = [(c, score(attack, c)) for c in candidates]
    scored = [(c, s) for c, s in scored if s >= threshold]
    if not scored:
        return None
    # Ties go to the oldest incident so that reprocessing is deterministic.
    return max(scored, key=lambda cs: (cs[1], -(cs[0].id or 0)))
