"""Which weapon, and how many munitions ("14 Katyusha rockets").

The weapons named in the first sentences that report the attack decide, the headline first.
One kind gives that weapon (the most specific: "ballistic missile" over "missile", a
"car bomb" set off by a suicide bomber is a suicide bombing). Two kinds used together give
"mixed" (rockets and drones; a suicide bomber with gunmen; shots and a grenade), except
where one only accompanies the other: missiles fired by warplanes are an airstrike, the
firefight after a suicide bombing is part of it. Protesters breaking in are a storming;
an ambush with no weapon named is gunfire. "Gunmen" says who attacked, not how: gunmen
who storm a place make a storming, and the next sentences say what they did; an armed
storming with other weapons named ("stormed ... fired mortars") is mixed, and so is
artillery with another means ("shells and suicide bombers").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.detect.frames import Frame
from monitor.detect.lexicon import Lexicon, Mention

_AFTERMATH = frozenset(
    {
        "gun battle",
        "gun battles",
        "gunfight",
        "gunfights",
        "firefight",
        "firefights",
        "shootout",
        "shoot-out",
    }
)
#: Nouns naming the attackers by their arms: who attacked, not what was used.
_ATTACKERS = frozenset(
    {
        "gunmen",
        "gunman",
        "armed men",
        "armed fighters",
        "armed assailants",
        "hommes armés",
        "hombres armados",
        "homens armados",
        "bewaffnete",
        "مسلحون",
        "مسلحين",
    }
)
#: How many further sentences may say what the gunmen or the stormers used.
_REFINING = 2
_MISSILES = ("ballistic", "cruise", "missile")
_NUMBER = (
    r"\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|a dozen|dozen"
)
#: A number, then up to three words that are not numbers, right before the weapon.
_MUNITION_COUNT = re.compile(rf"\b({_NUMBER})\s+(?:(?!(?:{_NUMBER})\b)[\w\-]+\s+){{0,3}}$")
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "a dozen": 12,
    "dozen": 12,
}
_MONTH_BEFORE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*$"
)
_CALIBRE = re.compile(r"\b\d+\s?-?mm\b")
_COUNTED = frozenset({"rocket", "mortar", "drone", "ballistic", "cruise", "missile", "carbomb"})


@dataclass(frozen=True)
class WeaponReading:
    """The weapon of an attack, the number of munitions, and the words that said so."""

    weapon: str
    munitions: int | None
    words: tuple[str, ...]
    #: A specific weapon was named ("car bomb", "rockets"), not only "under fire".
    specific: bool = False


class WeaponReader:
    """Classifies the weapon of an attack from its frames."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def read(self, frames: list[Frame]) -> WeaponReading:
        """The weapon told by ``frames`` (the main attack's sentences, in order)."""
        mentions = self._first_weapons(frames)
        classes = self._classes(mentions)
        weapon = self._decide(classes, frames)
        if weapon == "missile":
            weapon = self._missile_kind(frames[:4]) or weapon
        return WeaponReading(
            weapon,
            _munitions(frames, self.lexicon),
            tuple(m.text for m in mentions),
            any(self._rank(m) >= 3 for m in mentions),
        )

    def _missile_kind(self, frames: list[Frame]) -> str | None:
        """A later sentence may say which missile: "this time with a cruise missile"."""
        for frame in frames:
            for m in frame.main:
                for tag in m.all("weapon"):
                    if tag.value in ("ballistic", "cruise"):
                        return self.lexicon.weapons[tag.value].weapon
        return None

    def _first_weapons(self, frames: list[Frame]) -> list[Mention]:
        """Weapons of the first frame naming a specific one (refined by the next ones).

        Attackers named by their arms ("gunmen attack...") and a storming by armed men
        are refined by the next sentence naming a weapon: what the gunmen did, what the
        stormers fired."""
        chosen: list[Mention] = []
        refined = 0
        for frame in frames:
            weapons = [m for m in frame.main if m.has("weapon")]
            if not weapons:
                continue
            if chosen and self._open(chosen, frames):
                refined += 1
            chosen.extend(weapons)
            if max(self._rank(m) for m in chosen) < 3:
                continue
            if not self._open(chosen, frames) or refined >= _REFINING:
                break
        return chosen

    def _open(self, chosen: list[Mention], frames: list[Frame]) -> bool:
        """The weapons so far say only who attacked or that armed men stormed."""
        specific = {self._class(m) for m in chosen if self._rank(m) >= 3}
        if specific == {"attackers"}:
            return True
        storming = specific and specific <= {"attackers", "storming"}
        return bool(storming) and not _protesters(frames)

    def _class(self, mention: Mention) -> str:
        text = mention.text.lower()
        if text in _AFTERMATH:
            return "aftermath"
        if text in _ATTACKERS:
            return "attackers"
        if text == "shelling":
            return "shelling"  # "mortar shelling": how it was fired, not a second means
        best = max(mention.all("weapon"), key=lambda t: self.lexicon.weapons[t.value].rank)
        return best.value

    def _rank(self, mention: Mention) -> int:
        return max(self.lexicon.weapons[t.value].rank for t in mention.all("weapon"))

    def _classes(self, mentions: list[Mention]) -> dict[str, int]:
        classes: dict[str, int] = {}
        for m in mentions:
            name = self._class(m)
            classes[name] = max(classes.get(name, 0), self._rank(m))
        return classes

    def _decide(self, classes: dict[str, int], frames: list[Frame]) -> str:
        top = {
            c for c, rank in classes.items() if rank >= 3 and c not in ("aftermath", "attackers")
        }
        if "attackers" in classes and "storming" not in top:
            top.add("gunfire")  # "a suicide bomber and gunmen"; gunmen who storm: a storming
        if "suicide" in top:
            top.discard("carbomb")
            top.discard("ied")
        missiles = [c for c in _MISSILES if c in top]
        if len(missiles) > 1:
            for extra in missiles[1:]:
                top.discard(extra)
        if "airstrike" in top:
            top -= {"ballistic", "cruise", "missile"}
        if "storming" in top and _protesters(frames):
            return "storming"
        shots = top == {"gunfire"} or (not top and "fired_upon" in classes)
        if shots and "grenade" in classes:
            return "mixed"  # shots and a grenade: "a gun and grenade attack"
        if len(top) > 1:
            return "mixed"
        if len(top) == 1 and "artillery" in classes:
            return "mixed"  # shells and another means: "des tirs d'obus et des kamikazes"
        if top:
            return self.lexicon.weapons[top.pop()].weapon
        if "aftermath" in classes:
            return "gunfire"
        ranked = sorted(classes, key=lambda c: -classes[c])
        for name in ranked:
            if name in self.lexicon.weapons and self.lexicon.weapons[name].rank >= 2:
                return self.lexicon.weapons[name].weapon
        if _protesters(frames):
            return "storming"
        if ranked and self.lexicon.weapons.get(ranked[0]):
            return self.lexicon.weapons[ranked[0]].weapon
        return "unknown"


def _protesters(frames: list[Frame]) -> bool:
    for frame in frames[:3]:
        for m in frame.main:
            if any(t.value == "protesters" for t in m.all("actor")) or "protest" in m.text.lower():
                return True
    return False


def _munitions(frames: list[Frame], lexicon: Lexicon) -> int | None:
    for frame in frames:
        sentence = frame.sentence
        for m in frame.main:
            if not any(t.value in _COUNTED for t in m.all("weapon")):
                continue
            before = sentence.lower[
                max(0, m.start - sentence.start - 40) : m.start - sentence.start
            ]
            before = _CALIBRE.sub(" ", before)
            match = _MUNITION_COUNT.search(before)
            if not match or _MONTH_BEFORE.search(before, 0, match.start()):
                continue  # none, or a date: "the Feb. 15 rocket attack"
            token = match.group(1).replace(",", "")
            value = int(token) if token.isdigit() else _WORDS.get(token)
            if value and value < 1000:
                return value
    return None
