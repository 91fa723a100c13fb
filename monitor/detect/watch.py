"""Watch rules: which configured rules an extracted attack hits.

A rule lists conditions; an attack hits it when every condition given holds (any value
within one list). Text comparisons ignore case, accents of spelling ("al-Asad" and "al
Asad") and punctuation. A named site in a rule matches the attack's site whatever
spelling either uses, when the gazetteer knows the site (data/sites.toml), else when the
rule's name appears in the attack's place or target.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache

from monitor.config import SiteConfig, WatchRule
from monitor.detect import lexicon as lexicon_module
from monitor.records import Attack

_MISSILES = frozenset({"missile", "ballistic missile", "cruise missile"})
_NON_WORD = re.compile(r"[\W_]+")


def matching_rules(attack: Attack, text: str, rules: Sequence[WatchRule]) -> tuple[str, ...]:
    """Names of the rules ``attack`` hits; ``text`` is the item's text (for keywords)."""
    if not rules:
        return ()
    folded = _folded(text)
    return tuple(rule.name for rule in rules if rule_matches(rule, attack, folded))


@lru_cache(maxsize=16)
def _folded(text: str) -> str:
    """The item's text, normalised once for every attack of the item."""
    return f" {normalise(text)} "


def rule_matches(rule: WatchRule, attack: Attack, folded_text: str) -> bool:
    """True when every condition the rule sets holds for the attack.

    ``folded_text`` is the item's text through :func:`normalise`, padded with spaces.
    """
    where = f" {normalise(' '.join(filter(None, (attack.place, attack.site, attack.target))))} "
    checks = (
        not rule.target_types or attack.target_type in rule.target_types,
        not rule.target_nationalities
        or (attack.target_nationality or "").upper() in _upper(rule.target_nationalities),
        not rule.countries or (attack.country or "").upper() in _upper(rule.countries),
        not rule.sites or any(_site_matches(site, attack, where) for site in rule.sites),
        not rule.places or any(_contains(where, p) for p in rule.places),
        not rule.perpetrators
        or any(_contains(f" {normalise(attack.perpetrator or '')} ", p) for p in rule.perpetrators),
        not rule.weapons or _weapon_matches(attack.weapon, rule.weapons),
        rule.min_killed is None or (attack.killed or 0) >= rule.min_killed,
        rule.min_casualties is None
        or (attack.killed or 0) + (attack.injured or 0) >= rule.min_casualties,
        not rule.keywords or any(_contains(folded_text, k) for k in rule.keywords),
        not any(_contains(folded_text, k) for k in rule.exclude_keywords),
    )
    return all(checks)


def normalise(text: str) -> str:
    """Lower case, accents and punctuation folded: "Ayn al-Asad" -> "ayn al asad"."""
    lowered = text.lower()
    if not lowered.isascii():
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", lowered).split())


def _contains(folded: str, phrase: str) -> bool:
    needle = normalise(phrase)
    return bool(needle) and f" {needle} " in folded


def _upper(values: list[str]) -> set[str]:
    return {v.upper() for v in values}


def _site_matches(site: SiteConfig, attack: Attack, where: str) -> bool:
    names = [site.name, *site.aliases]
    known = _site_keys()
    if attack.site and any(known.get(normalise(n)) == attack.site for n in names):
        return True
    if site.country and attack.country and site.country.upper() != attack.country.upper():
        return False
    return any(_contains(where, n) for n in names)


@cache
def _site_keys() -> dict[str, str]:
    """Every spelling of a gazetteer site (normalised) -> its site key."""
    sites = lexicon_module.load().site_aliases()
    return {normalise(alias): site.key for alias, site in sites.items()}


def _weapon_matches(weapon: str | None, wanted: list[str]) -> bool:
    if weapon is None:
        return False
    if weapon in wanted:
        return True
    # "missile" in a rule covers its ballistic and cruise kinds.
    return weapon in _MISSILES and "missile" in wanted
