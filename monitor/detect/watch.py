"""Watch rules: which configured rules an extracted attack hits."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.config import WatchRule
from monitor.records import Attack

_MISSILES = frozenset({"missile", "ballistic missile", "cruise missile"})


def matching_rules(attack: Attack, text: str, rules: Sequence[WatchRule]) -> tuple[str, ...]:
    """Names of the rules ``attack`` hits; ``text`` is the item's text (for keywords)."""
    lowered = text.lower()
    return tuple(rule.name for rule in rules if rule_matches(rule, attack, lowered))


def rule_matches(rule: WatchRule, attack: Attack, lowered_text: str) -> bool:
    """True when every condition the rule sets holds for the attack."""
    place = " ".join(filter(None, (attack.place, attack.site, attack.target))).lower()
    checks = (
        not rule.target_types or attack.target_type in rule.target_types,
        not rule.target_nationalities or attack.target_nationality in rule.target_nationalities,
        not rule.countries or (attack.country or "") in rule.countries,
        not rule.sites or any(_site_named(site.name, site.aliases, place) for site in rule.sites),
        not rule.places or any(p.lower() in place for p in rule.places),
        not rule.perpetrators
        or any(p.lower() in (attack.perpetrator or "").lower() for p in rule.perpetrators),
        not rule.weapons or _weapon_matches(attack.weapon, rule.weapons),
        rule.min_killed is None or (attack.killed or 0) >= rule.min_killed,
        rule.min_casualties is None
        or (attack.killed or 0) + (attack.injured or 0) >= rule.min_casualties,
        not rule.keywords or any(k.lower() in lowered_text for k in rule.keywords),
        not any(k.lower() in lowered_text for k in rule.exclude_keywords),
    )
    return all(checks)


def _site_named(name: str, aliases: list[str], place: str) -> bool:
    return any(n.lower() in place for n in (name, *aliases) if n)


def _weapon_matches(weapon: str | None, wanted: list[str]) -> bool:
    if weapon is None:
        return False
    if weapon in wanted:
        return True
    # "missile" in a rule covers its ballistic and cruise kinds.
    return weapon in _MISSILES and "missile" in wanted
