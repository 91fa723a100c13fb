"""What matching reads in a report's own words: the names it uses and the weekdays it gives.

Detection extracts the fields; but a report it could not date or place still says
"Mission Support Site Conoco" and "on Wednesday". Two reports of one attack use the same
proper names (of the base, the ship, the town, the group), and an undated report's weekday
must be the weekday of the incident's date. Both are read from the sentences detection
cites for the attack (else the headline and lede).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from monitor.incidents.places import fold, generic_words, is_demonym
from monitor.records import Attack

#: Most names kept per report.
MAX_NAMES = 12
#: A line of at most this many (4+ letter) words, mostly capitalised, is a headline.
HEADLINE_WORDS = 16

# A capitalised word of Latin script, or an all-capitals acronym ("Conoco", "USS", "SDF").
_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s$")
_LATIN_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_WORD = re.compile(r"(?<![\w'’])[a-z][\w'’-]*")


@cache
def _lexicon() -> dict[str, dict[str, list[str]]]:
    text = resources.files("monitor.incidents").joinpath("words.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def _common_names() -> frozenset[str]:
    words = {fold(w) for group in _lexicon()["names"].values() for w in group}
    return frozenset(words) | generic_words() | frozenset(_weekday_words())


@cache
def _weekday_words() -> dict[str, int]:
    return {fold(w): int(day) for day, words in _lexicon()["weekdays"].items() for w in words}


@cache
def _weekday_pattern() -> re.Pattern[str]:
    words = sorted(_weekday_words(), key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, words)) + r")(?!\w)")


def attack_text(attack: Attack, title: str = "", lede: str = "", only: bool = True) -> str:
    """The sentences detection cites for the attack, the headline, and the lede when the
    attack is the item's ``only`` one (a round-up's lede may be about another attack)."""
    cited = [e.text for e in attack.evidence if e.kind in ("sentence", "headline")]
    return "\n".join([title, *cited, lede if only or not cited else ""])


def names(text: str) -> frozenset[str]:
    """Distinctive proper names of a text, folded: {"conoco", "laboon", "taji"}.

    Capitalised words, except: the first word of a sentence or line, the words of a
    headline-style line (most words capitalised), words the text also uses in lower case,
    and the common ones (titles, months, weekdays, agencies, kinds of place, countries and
    demonyms, words of group names such as "Islamic", "Resistance").
    """
    common = _common_names()
    lowered = set(_WORD.findall(text))  # words written in lower case somewhere
    found: list[str] = []
    for line in text.splitlines():
        if _headline_style(line):
            continue
        for match in _CAPITALISED.finditer(line):
            if _opens_sentence(line, match.start()) or match.group().lower() in lowered:
                continue
            word = _POSSESSIVE.sub("", match.group())
            for part in re.split(r"[-'’]", fold(word)):
                if len(part) >= 3 and part not in common and not is_demonym(part):
                    found.append(part)
    return frozenset(list(dict.fromkeys(found))[:MAX_NAMES])


def _headline_style(line: str) -> bool:
    """A short line in Title Case ("Rockets Hit US Base in Eastern Syria")."""
    words = [w for w in _LATIN_WORD.findall(line) if len(w) > 3]
    capitals = sum(w[0].isupper() for w in words)
    return 4 <= len(words) <= HEADLINE_WORDS and capitals > 0.7 * len(words)


def _opens_sentence(line: str, start: int) -> bool:
    before = line[:start].rstrip(" \t\"'“‘([")
    return not before or before[-1] in ".!?:;—–|•"


def month_days(text: str) -> frozenset[tuple[int, int]]:
    """The (month, day) pairs a text gives without a year: "February 4", "4 février"."""
    found: set[tuple[int, int]] = set()
    months = _month_words()
    for match in _month_day_pattern().finditer(fold(text)):
        month = months[match.group("m1") or match.group("m2")]
        day = int(match.group("d1") or match.group("d2"))
        if 1 <= day <= 31:
            found.add((month, day))
    return frozenset(found)


@cache
def _month_words() -> dict[str, int]:
    return {fold(w): int(m) for m, words in _lexicon()["months"].items() for w in words}


@cache
def _month_day_pattern() -> re.Pattern[str]:
    names = "|".join(map(re.escape, sorted(_month_words(), key=len, reverse=True)))
    return re.compile(
        rf"(?<!\w)(?:(?P<m1>{names})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
        rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?(?P<m2>{names}))(?!\w)"
    )


def weekdays(text: str) -> frozenset[int]:
    """The weekdays a text names (0 = Monday), in any of the supported languages."""
    table = _weekday_words()
    return frozenset(table[m.group(1)] for m in _weekday_pattern().finditer(fold(text)))
