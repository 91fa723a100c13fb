"""Casualty figures in one sentence: how many killed, how many injured.

Conventions (documented in the README):
- a figure is the sum of the groups a sentence lists: "killing one British and two
  American personnel" is 3, "four policemen and two civilians were killed" is 6;
- attackers never count: "16 dead, including six attackers" is 10;
- a part already counted does not add up: "six people, two of them embassy staff" is 6;
- "no casualties", "nobody was hurt", "no injuries" give 0 (and, with no death reported
  anywhere, killed is 0 too: nobody hurt means nobody killed);
- vague counts give no figure: "dozens wounded" leaves injured unknown; "at least 80" and
  "more than 70" are lower bounds and count as 80 and 70.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from monitor.detect.lexicon import Mention
from monitor.detect.text import Sentence

_STOP = re.compile(
    r"[.;!?()\[\]]|\s[—–]\s|\s(?:in|at|when|after|near|on|during|as|while|with|from|by|inside|"
    r"outside|since|but|because|according|after|before|following|amid|en|dans|lors|durante|"
    r"podczas|bei|في)\s"
)
_RIGHT_SKIP = re.compile(
    r"^\s*(?::|rose to|climbed to|reached|stood at|now stands at|has risen to|had risen to|"
    r"of|to|is|at|were|was|about|avec lui|avec elle|con él|con |de |d')\s*"
)
_DIGITS = re.compile(r"\d[\d,]*")
_UNITS = re.compile(
    r"^\s*(?:mm|km|kilometers?|kilometres?|miles?|meters?|metres?|feet|foot|yards?|percent|%|"
    r"years?|months?|days?|hours?|minutes?|a\.m|p\.m|am\b|pm\b|gmt|rockets?|missiles?|drones?|"
    r"mortars?|shells?|rounds?|bombs?|kilograms?|kg|pounds?|times|attacks?|cars?|vehicles?)"
)
_ONLY_MATERIAL = re.compile(
    r"(?:only|solely|just|somente|solo|seulement|uniquement)\s+(?:\w+\s+)?"
    r"(?:material|property|prejuízos materiais|daños materiales|dégâts matériels)"
    r"|material damage only|damage only"
)
_UNHURT = re.compile(r"\b(?:unhurt|unharmed|unscathed|escaped injury|escaped unharmed)\b")
_ZERO_WINDOW = 6


@dataclass
class Count:
    """One casualty construction: the victims counted, attackers set apart."""

    kind: str  # "killed", "injured" or "both"
    victims: int | None = None
    attackers: int = 0
    total: int | None = None
    text: str = ""


@dataclass
class SentenceFigures:
    """Every casualty construction of one sentence."""

    counts: list[Count] = field(default_factory=list)

    def figure(self, kind: str) -> int | None:
        """Sum of the positive counts of ``kind`` (or 0 when only zeros are said)."""
        values = [
            c.victims for c in self.counts if c.kind in (kind, "both") and c.victims is not None
        ]
        positive = [v for v in values if v > 0]
        if positive:
            return sum(positive)
        return 0 if values else None


@dataclass(frozen=True)
class _Words:
    numbers: dict[str, int]
    articles: frozenset[str]
    approximate: frozenset[str]
    qualifiers: tuple[str, ...]
    conjunctions: re.Pattern[str]
    conjunctions_only: re.Pattern[str]
    subsets_after: tuple[str, ...]
    subsets_before: tuple[str, ...]
    attackers: frozenset[str]
    persons: frozenset[str]
    number_re: re.Pattern[str]


@cache
def _words() -> _Words:
    path = resources.files("monitor.detect") / "data" / "numbers.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    numbers = {w: int(n) for n, ws in data["numbers"].items() for w in ws}
    articles = data["articles"]["words"]
    words = sorted([*numbers, *articles], key=len, reverse=True)
    number_re = re.compile(
        r"(?<![\w-])(?:\d[\d,]*(?!\s*(?:mm|km|%))|" + "|".join(map(re.escape, words)) + r")(?![\w])"
    )
    conj = "|".join(re.escape(w) for w in data["conjunctions"]["words"])
    return _Words(
        numbers=numbers,
        articles=frozenset(data["articles"]["words"]),
        approximate=frozenset(data["approximate"]["words"]),
        qualifiers=tuple(sorted(data["qualifiers"]["words"], key=len, reverse=True)),
        conjunctions=re.compile(rf",|\s(?:{conj})\s"),
        conjunctions_only=re.compile(rf"\s(?:{conj})\s"),
        subsets_after=tuple(data["subsets"]["after"]),
        subsets_before=tuple(data["subsets"]["before"]),
        attackers=frozenset(data["attackers"]["words"]),
        persons=frozenset(data["persons"]["words"]),
        number_re=number_re,
    )


def read(sentence: Sentence, background: list[tuple[int, int]] | None = None) -> SentenceFigures:
    """The casualty constructions of ``sentence``, skipping background clauses."""
    figures = SentenceFigures()
    spans = background or []
    keywords = [
        m
        for m in sentence.mentions
        if (m.has("killed") or m.has("injured") or m.has("casualties"))
        and not any(a <= m.start < b for a, b in spans)
    ]
    for n, mention in enumerate(keywords):
        previous_end = keywords[n - 1].end if n else sentence.start
        following = keywords[n + 1].start if n + 1 < len(keywords) else sentence.end
        count = _construction(sentence, mention, previous_end, following)
        if count is not None:
            figures.counts.append(count)
    lower = sentence.lower
    if _ONLY_MATERIAL.search(lower) or _UNHURT.search(lower):
        figures.counts.append(Count("both", 0, text="no casualties (only material damage)"))
    return figures


def _kind(mention: Mention) -> str:
    if mention.has("casualties"):
        return "both"
    return "killed" if mention.has("killed") else "injured"


def _construction(
    sentence: Sentence, mention: Mention, left_floor: int, right_ceiling: int
) -> Count | None:
    lower, base = sentence.lower, sentence.start
    kind = _kind(mention)
    left = lower[max(left_floor, base) - base : mention.start - base]
    zero = _zero_before(_left_window(left))
    if zero:
        return Count(kind, 0, text=f"{zero} {mention.text}".strip())
    right = lower[mention.end - base : right_ceiling - base]
    right = right[: m.start()] if (m := _STOP.search(right)) else right
    right = _RIGHT_SKIP.sub("", right)
    count = _enumeration(right, kind, leftward=False) if _starts_with_number(right) else None
    if count is None:
        left = _left_window(left)
        count = _enumeration(left, kind, leftward=True)
    if count is not None:
        count.text = (left + " " + mention.text + " " + right).strip()[:160]
    return count


def _zero_before(left: str) -> str | None:
    tokens = left.split()[-_ZERO_WINDOW:]
    for word in (
        "no one",
        "nobody",
        "no",
        "none",
        "without",
        "neither",
        "zero",
        "sin",
        "sans",
        "sem",
        "ohne",
        "bez",
        "دون",
        "لا",
    ):
        joined = " " + " ".join(tokens) + " "
        if f" {word} " in joined:
            return word
    return None


def _left_window(left: str) -> str:
    parts = _STOP.split(left)
    return parts[-1] if parts else left


def _starts_with_number(text: str) -> bool:
    text = _strip_qualifiers(text.strip())
    first = text.split(" ", 1)[0] if text else ""
    words = _words()
    return bool(_DIGITS.fullmatch(first)) or first in words.numbers or first in words.articles


def _strip_qualifiers(text: str) -> str:
    for qualifier in _words().qualifiers:
        if text.startswith(qualifier + " "):
            return text[len(qualifier) + 1 :]
    return text


def _enumeration(window: str, kind: str, *, leftward: bool) -> Count | None:
    window = re.sub(r"\s[–—-]\s.*?\s[–—-]\s", " ", window)
    if not _words().conjunctions_only.search(window):
        # No "and": commas mark an apposition ("one individual, a contractor, died").
        parts = [p.strip() for p in window.split(",") if p.strip()]
        window = (parts[-1] if leftward else parts[0]) if parts else window
    items = [i.strip() for i in _words().conjunctions.split(window)]
    if leftward:
        items = _nearest_run(items)
    victims = attackers = 0
    found = False
    for item in items:
        value = _item_value(item)
        if value is None:
            if leftward and found:
                break
            continue
        number, is_attacker = value
        found = True
        if is_attacker:
            attackers += number
        else:
            victims += number
    if not found:
        return None
    return Count(kind, victims, attackers, victims + attackers)


def _nearest_run(items: list[str]) -> list[str]:
    """The items nearest the keyword that carry numbers (reading leftwards)."""
    run: list[str] = []
    for item in reversed(items):
        has_number = _item_value(item) is not None
        if not has_number and run:
            break
        if has_number:
            run.append(item)
    return list(reversed(run))


def _item_value(item: str) -> tuple[int, bool] | None:
    words = _words()
    if any(item.startswith(w) for w in words.subsets_before):
        return None
    for match in words.number_re.finditer(item):
        token = match.group()
        rest = item[match.end() :]
        if _UNITS.match(rest) or any(rest.lstrip().startswith(s) for s in words.subsets_after):
            continue
        if token in words.articles and not _person_follows(rest):
            continue
        number = _number(token)
        if number is None:
            continue
        head = " ".join(rest.split()[:4])
        return number, any(a in head.split() or head.startswith(a) for a in words.attackers)
    return None


def _person_follows(rest: str) -> bool:
    words = rest.split()[:4]
    persons = _words().persons
    return any(w.strip(",.") in persons for w in words)


def _number(token: str) -> int | None:
    if token[0].isdigit():
        digits = token.replace(",", "")
        return int(digits) if digits.isdigit() and len(digits) <= 5 else None
    words = _words()
    if token in words.articles:
        return 1
    return words.numbers.get(token)
