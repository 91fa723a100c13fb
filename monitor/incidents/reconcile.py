"""Fold one more report into an incident and say whether an analyst should hear of it."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from monitor.records import Attack

#: Fields copied from the first report that has them.
_FILLED = ("place", "site", "target", "target_type", "target_nationality", "country", "event_date")


class MutableIncident(Protocol):
    """The incident fields reconciliation reads and writes."""

    title: str
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


def reconcile(incident: MutableIncident, attack: Attack) -> list[str]:
    """Merge ``attack`` into ``incident``; the material changes, described for an analyst."""
    changes: list[str] = []
    for name in _FILLED:
        if getattr(incident, name) is None and getattr(attack, name) is not None:
            setattr(incident, name, getattr(attack, name))
    if attack.weapon not in (None, "unknown") and incident.weapon in (None, "unknown"):
        changes.append(f"weapon: {attack.weapon}")
        incident.weapon = attack.weapon
    if attack.munitions and not incident.munitions:
        incident.munitions = attack.munitions
    for field in ("killed", "injured"):
        changes.extend(_figure(incident, field, getattr(attack, field)))
    if attack.perpetrator and (
        incident.perpetrator is None
        or (attack.perpetrator_status == "claimed" and incident.perpetrator_status != "claimed")
    ):
        status = attack.perpetrator_status or "reported"
        changes.append(f"perpetrator {status}: {attack.perpetrator}")
        incident.perpetrator = attack.perpetrator
        incident.perpetrator_status = attack.perpetrator_status
    return changes


def _figure(incident: MutableIncident, field: str, value: int | None) -> list[str]:
    if value is None:
        return []
    seen = dict(incident.figures)
    low, high = seen.get(field, [value, value])
    seen[field] = [min(low, value), max(high, value)]
    incident.figures = seen
    current = getattr(incident, field)
    if current is None or value > current:
        setattr(incident, field, value)
        if current is None and value == 0:
            return []
        return [f"{field}: {current if current is not None else 'unknown'} -> {value}"]
    return []


def title_for(attack: Attack) -> str:
    """A short headline for a new incident, e.g. 'Rocket attack on US Embassy, Baghdad (IQ)'."""
    weapon = attack.weapon if attack.weapon not in (None, "unknown", "mixed") else None
    what = f"{weapon.capitalize()} attack" if weapon else "Attack"
    target = attack.target or (
        f"{attack.target_nationality} {attack.target_type} target"
        if attack.target_nationality and attack.target_type
        else attack.target_type
    )
    where = attack.place or ""
    text = what + (f" on {target}" if target else "") + (f", {where}" if where else "")
    return text + (f" ({attack.country})" if attack.country else "")
