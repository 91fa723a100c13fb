"""A first keyword detector: attack vocabulary in the headline or lede, US targets, dates.

Deliberately simple; the detection issue replaces it with lexicons and grammar.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from monitor.config import WatchRule
from monitor.detect.watch import matching_rules
from monitor.records import Attack, Entry, Evidence, Verdict

_WEAPONS = (
    ("ballistic missile", r"ballistic missiles?"),
    ("cruise missile", r"cruise missiles?"),
    ("rocket", r"rockets?|katyushas?"),
    ("mortar", r"mortars?"),
    ("drone", r"drones?|uavs?"),
    ("missile", r"missiles?"),
    ("airstrike", r"air ?strikes?"),
    ("ied", r"roadside bomb|ieds?|improvised explosive"),
    ("suicide bombing", r"suicide (?:bomb(?:er|ing)?|attack)|car bomb"),
    ("storming", r"storm(?:ed|ing)"),
    ("gunfire", r"gunmen|gunfire|opened fire"),
)
_WEAPON_RES = [(name, re.compile(rf"\b(?:{pattern})\b")) for name, pattern in _WEAPONS]
_ATTACK_VERB = re.compile(
    r"\b(?:attack(?:s|ed)?|struck|hit|fired|target(?:ed|ing)|launched|killed|wounded|"
    r"injured|explod(?:ed|es)|shelled)\b"
)
_US_TARGET = re.compile(
    r"\b(?:u\.?s\.?|american|united states|coalition)\b[^.]{0,40}?\b(?:embassy|consulate|"
    r"base|bases|troops|forces|personnel|soldiers|service ?members|warship|destroyer|navy)\b"
    r"|\buss [a-z]+"
)
_DIPLOMATIC = re.compile(r"\b(?:embassy|consulate|diplomatic)\b")
_COUNTRIES = {
    "iraq": "IQ",
    "baghdad": "IQ",
    "erbil": "IQ",
    "syria": "SY",
    "damascus": "SY",
    "afghanistan": "AF",
    "kabul": "AF",
    "yemen": "YE",
    "sanaa": "YE",
    "jordan": "JO",
    "niger": "NE",
    "kenya": "KE",
    "turkey": "TR",
    "ankara": "TR",
    "lebanon": "LB",
    "beirut": "LB",
    "libya": "LY",
    "saudi": "SA",
    "israel": "IL",
    "mali": "ML",
}


class Detector:
    """Classifies entries and matches their attacks against watch rules."""

    def __init__(self, rules: Sequence[WatchRule]) -> None:
        self.rules = list(rules)

    def detect(self, entry: Entry) -> Verdict:
        """The verdict for one entry, with its evidence."""
        text = entry.text.lower()
        lede = " ".join(text.split("\n\n")[:3])
        weapon = next((name for name, rx in _WEAPON_RES if rx.search(lede)), None)
        verb = _ATTACK_VERB.search(lede)
        if weapon is None or verb is None:
            return Verdict(False, 0.0, reason="no attack vocabulary in the headline or lede")
        evidence = (Evidence("weapon", weapon, 1.0), Evidence("trigger", verb.group(0), 1.0))
        us = _US_TARGET.search(text)
        attack = Attack(
            event_date=_event_date(entry),
            country=next((c for k, c in _COUNTRIES.items() if k in lede), None),
            target_type=("diplomatic" if us and _DIPLOMATIC.search(us.group(0)) else "military")
            if us
            else None,
            target_nationality="US" if us else None,
            weapon=weapon,
            evidence=evidence,
        )
        attack = _with_watch(attack, matching_rules(attack, entry.text, self.rules))
        return Verdict(True, 1.0, (attack,), evidence, reason="attack vocabulary in the lede")


def _event_date(entry: Entry) -> date | None:
    if entry.published is None:
        return None
    return entry.published.date() - timedelta(days=0)


def _with_watch(attack: Attack, watch: tuple[str, ...]) -> Attack:
    from dataclasses import replace

    return replace(attack, watch=watch)
