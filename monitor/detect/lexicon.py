"""The detection lexicons: TOML data files loaded once and compiled into one automaton.

Every phrase of every file goes into a single Aho-Corasick automaton over lower-cased text;
a match carries :class:`Tag`\\ s saying what the phrase is (a weapon, an attack word, a
target, a nation...). :meth:`Lexicon.find` returns the longest non-overlapping matches at
word boundaries as :class:`Mention`\\ s. See ``data/README.md`` for the phrase syntax.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import ahocorasick

from monitor.errors import LexiconError
from monitor.records import TARGET_TYPES, WEAPONS

_GROUP = re.compile(r"\(([^()]*)\)")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
#: Tag kinds whose multi-word phrases also carry the tags of the phrases inside them
#: ("drone strike" is a drone and a strike word; "heart attack" is no attack at all).
_COMPOSITIONAL = frozenset(
    {"weapon", "attack", "strike", "passive", "killed", "injured", "casualties", "modal"}
)
#: ...but a phrase names its own weapon: a "suicide drone" is a drone only.
_INHERITED = _COMPOSITIONAL - {"weapon"}


@dataclass(frozen=True, slots=True)
class Tag:
    """What a phrase is: ``kind`` (weapon, attack, target...), ``value`` and a detail."""

    kind: str
    value: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Mention:
    """One lexicon phrase found in a text, with its character span."""

    start: int
    end: int
    text: str
    tags: tuple[Tag, ...]
    kinds: frozenset[str] = frozenset()
    #: Rank of the most specific weapon class the phrase names (0: no weapon).
    weapon_rank: int = 0

    def has(self, kind: str) -> bool:
        """True when one of the tags is of ``kind``."""
        return kind in self.kinds

    def get(self, kind: str) -> Tag | None:
        """The first tag of ``kind``, if any."""
        return next((t for t in self.tags if t.kind == kind), None)

    def all(self, kind: str) -> list[Tag]:
        """Every tag of ``kind``."""
        return [t for t in self.tags if t.kind == kind]


@dataclass(frozen=True, slots=True)
class WeaponClass:
    """A weapon class: the records.WEAPONS value and how specific it is."""

    weapon: str
    rank: int


@dataclass(frozen=True, slots=True)
class Site:
    """A named site: display name, country, target type and the nation it hosts."""

    name: str
    country: str | None
    type: str | None
    hosts: str | None
    sea: bool = False

    @property
    def key(self) -> str:
        """The stable site key the incident matcher compares."""
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Actor:
    """A perpetrator: reported name, the state it belongs to, whether it is generic."""

    name: str
    nation: str | None = None
    generic: bool = False


@dataclass(frozen=True, slots=True)
class Genre:
    """A hard-negative kind and the points its cues count where they appear."""

    name: str
    headline: float
    lede: float
    body: float
    framing: bool = False


@dataclass
class Lexicon:
    """Everything the data files say, compiled for matching."""

    weapons: dict[str, WeaponClass] = field(default_factory=dict)
    target_ranks: dict[str, int] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    genres: dict[str, Genre] = field(default_factory=dict)
    weekdays: dict[str, int] = field(default_factory=dict)
    weekday_abbreviations: dict[str, int] = field(default_factory=dict)
    months: dict[str, int] = field(default_factory=dict)
    relative_days: dict[str, int] = field(default_factory=dict)
    nation_names: dict[str, str] = field(default_factory=dict)
    #: Every spelling of a place with several (lower case) -> the one keys use.
    place_names: dict[str, str] = field(default_factory=dict)
    _phrases: dict[str, dict[Tag, str | None]] = field(default_factory=dict)
    _automaton: Any = None
    _trigger_automaton: Any = None

    # --- building ----------------------------------------------------------------------

    def add(self, phrase: str, tag: Tag, where: str) -> None:
        """Register every expansion of ``phrase`` with ``tag`` (``where`` names the entry)."""
        for variant in expand(phrase, where):
            key = variant.lower()
            case = variant if variant != key else None
            self._phrases.setdefault(key, {})[tag] = case

    def compile(self) -> None:
        """Propagate compositional tags and build the automata."""
        self._compose()
        ranks = {name: weapon.rank for name, weapon in self.weapons.items()}
        automaton = ahocorasick.Automaton()
        triggers = ahocorasick.Automaton()
        for key, tags in self._phrases.items():
            entry = _Entry.of(key, tags, ranks)
            automaton.add_word(key, entry)
            if entry.kinds & {"weapon", "attack"}:
                triggers.add_word(key, entry)
        automaton.make_automaton()
        triggers.make_automaton()
        self._automaton, self._trigger_automaton = automaton, triggers

    def _compose(self) -> None:
        for key, tags in list(self._phrases.items()):
            words = key.split()
            if len(words) < 2 or not any(t.kind in _COMPOSITIONAL for t in tags):
                continue
            for i, j in itertools.combinations(range(len(words) + 1), 2):
                inner = self._phrases.get(" ".join(words[i:j]))
                if inner is None or j - i == len(words):
                    continue
                for tag, case in inner.items():
                    if tag.kind in _INHERITED and case is None:
                        tags.setdefault(tag, None)

    def site_aliases(self) -> dict[str, Site]:
        """Every phrase that names a site, with the site."""
        return {
            key: self.sites[tag.value]
            for key, tags in self._phrases.items()
            for tag in tags
            if tag.kind == "site"
        }

    def canonical_place(self, text: str) -> str:
        """The spelling of a place that keys use ("بغداد" -> "baghdad"), lower case."""
        key = text.lower()
        return self.place_names.get(key, key)

    # --- matching ----------------------------------------------------------------------

    def find(self, lowered: str, original: str) -> list[Mention]:
        """Longest non-overlapping phrase matches in ``lowered`` (the lower-cased ``original``)."""
        candidates = list(self._matches(self._automaton, lowered, original))
        candidates.sort(key=lambda c: (c.start - c.end, c.start))
        taken = bytearray(len(lowered))
        chosen = []
        for mention in candidates:
            if taken.find(1, mention.start, mention.end) == -1:
                taken[mention.start : mention.end] = b"\x01" * (mention.end - mention.start)
                chosen.append(mention)
        chosen.sort(key=lambda m: m.start)
        return chosen

    def has_trigger(self, lowered: str, original: str) -> bool:
        """Cheap test: does the text contain any weapon or attack word at all?"""
        return next(self._matches(self._trigger_automaton, lowered, original), None) is not None

    @staticmethod
    def _matches(automaton: Any, lowered: str, original: str) -> Any:
        size = len(lowered)
        for last, entry in automaton.iter(lowered):
            start, end = last - entry.length + 1, last + 1
            # Whole words only; Arabic attaches articles and prepositions to the word.
            if not entry.arabic and (
                (start and lowered[start - 1].isalnum()) or (end < size and lowered[end].isalnum())
            ):
                continue
            if entry.case_free:
                yield Mention(start, end, original[start:end], entry.tags, entry.kinds, entry.rank)
                continue
            text = original[start:end]
            tags = tuple(t for t, case in entry.cased if case is None or text == case)
            if tags:
                rank = entry.rank if any(t.kind == "weapon" for t in tags) else 0
                yield Mention(start, end, text, tags, frozenset(t.kind for t in tags), rank)


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the automaton stores for one phrase, precomputed for matching."""

    length: int
    tags: tuple[Tag, ...]
    kinds: frozenset[str]
    rank: int
    arabic: bool
    case_free: bool
    cased: tuple[tuple[Tag, str | None], ...]

    @classmethod
    def of(cls, key: str, tags: dict[Tag, str | None], ranks: dict[str, int]) -> _Entry:
        rank = max((ranks[t.value] for t in tags if t.kind == "weapon"), default=0)
        return cls(
            length=len(key),
            tags=tuple(tags),
            kinds=frozenset(t.kind for t in tags),
            rank=rank,
            arabic=bool(_ARABIC.match(key)),
            case_free=all(case is None for case in tags.values()),
            cased=tuple(tags.items()),
        )


def expand(phrase: str, where: str = "") -> list[str]:
    """All spellings of ``phrase``: ``"rocket(|s)"`` gives ``rocket`` and ``rockets``."""
    if phrase.count("(") != phrase.count(")"):
        raise LexiconError(f"{where}: unbalanced parentheses in phrase {phrase!r}")
    parts = _GROUP.split(phrase)
    # Even indexes are literal text, odd ones the alternatives of a group.
    choices = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    variants = {" ".join("".join(c).split()) for c in itertools.product(*choices)}
    if "" in variants:
        raise LexiconError(f"{where}: phrase {phrase!r} can expand to nothing")
    return sorted(variants)


# --- loading ------------------------------------------------------------------------------


def _read(name: str) -> dict[str, Any]:
    path = resources.files("monitor.detect") / "data" / name
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"monitor/detect/data/{name}: {exc}") from exc


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: expected a list of strings")
    return value


def _load_weapons(lex: Lexicon) -> None:
    for name, table in _read("weapons.toml").items():
        where = f"weapons.toml [{name}]"
        if name == "defence":
            for phrase in _strings(table.get("phrases"), where):
                lex.add(phrase, Tag("defence"), where)
            continue
        weapon = table.get("weapon")
        if weapon not in WEAPONS:
            raise LexiconError(f"{where}: weapon {weapon!r} is not one of {list(WEAPONS)}")
        lex.weapons[name] = WeaponClass(weapon, int(table.get("rank", 1)))
        for phrase in _strings(table.get("phrases"), where):
            lex.add(phrase, Tag("weapon", name), where)


def _load_triggers(lex: Lexicon) -> None:
    for kind, table in _read("triggers.toml").items():
        where = f"triggers.toml [{kind}]"
        for phrase in _strings(table.get("phrases"), where):
            lex.add(phrase, Tag(kind), where)


def _load_targets(lex: Lexicon) -> None:
    for target_type, table in _read("targets.toml").items():
        where = f"targets.toml [{target_type}]"
        if target_type not in TARGET_TYPES:
            raise LexiconError(f"{where}: not a target type of {list(TARGET_TYPES)}")
        lex.target_ranks[target_type] = int(table.get("rank", 1))
        for detail in ("places", "people"):
            for phrase in _strings(table.get(detail, []), f"{where} {detail}"):
                lex.add(phrase, Tag("target", target_type, detail), where)


def _load_nations(lex: Lexicon) -> None:
    for code, table in _read("nations.toml").items():
        where = f"nations.toml [{code}]"
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise LexiconError(f"{where}: not an ISO 3166 alpha-2 code")
        for detail in ("names", "demonyms"):
            for phrase in _strings(table.get(detail, []), f"{where} {detail}"):
                lex.add(phrase, Tag("nation", code, detail), where)
        names = _strings(table.get("names", []), where)
        lex.nation_names[code] = names[0] if names else code
        for phrase in _strings(table.get("places", []), f"{where} places"):
            lex.add(phrase, Tag("place", code), where)
        for phrase in names:
            lex.add(phrase, Tag("place", code, "country"), where)
        for group in table.get("spellings", []):
            spellings = _strings(group, f"{where} spellings")
            for phrase in spellings:
                lex.add(phrase, Tag("place", code), where)
                for variant in expand(phrase, where):
                    lex.place_names[variant.lower()] = spellings[0]


def _load_sites(lex: Lexicon) -> None:
    data = _read("sites.toml")
    for kind in ("site", "sea"):
        for n, entry in enumerate(data.get(kind, []), 1):
            where = f"sites.toml [[{kind}]] #{n}"
            name = entry.get("name")
            if not isinstance(name, str):
                raise LexiconError(f"{where}: needs a name")
            site = Site(
                name, entry.get("country"), entry.get("type"), entry.get("hosts"), kind == "sea"
            )
            if site.type is not None and site.type not in TARGET_TYPES:
                raise LexiconError(f"{where}: type {site.type!r} is not a target type")
            lex.sites[site.key] = site
            for phrase in [name.lower(), *_strings(entry.get("aliases", []), where)]:
                lex.add(phrase, Tag("site", site.key), where)


def _load_actors(lex: Lexicon) -> None:
    for n, entry in enumerate(_read("actors.toml").get("actor", []), 1):
        where = f"actors.toml [[actor]] #{n}"
        actor = Actor(entry["name"], entry.get("nation"), bool(entry.get("generic", False)))
        lex.actors[actor.name] = actor
        for phrase in _strings(entry.get("aliases", []), where):
            lex.add(phrase, Tag("actor", actor.name), where)
            if actor.nation:
                # State forces say whose they are: "US jets", "Israeli warplanes".
                lex.add(phrase, Tag("nation", actor.nation, "demonyms"), where)
            elif target := entry.get("target", None if actor.generic else "militia"):
                # Armed groups are attacked too: "US strikes hit Kataib Hezbollah".
                lex.add(phrase, Tag("target", target, "people"), where)


def _load_genres(lex: Lexicon) -> None:
    for name, table in _read("genres.toml").items():
        where = f"genres.toml [{name}]"
        lex.genres[name] = Genre(
            name,
            float(table["headline"]),
            float(table["lede"]),
            float(table["body"]),
            bool(table.get("framing", False)),
        )
        strong = set(_strings(table.get("strong", []), where))
        for phrase in [*_strings(table.get("phrases"), where), *strong]:
            lex.add(phrase, Tag("genre", name), where)
        for phrase in strong:
            lex.add(phrase, Tag("genre", name, "strong"), where)


def _load_time(lex: Lexicon) -> None:
    data = _read("time.toml")
    tables = (
        ("weekdays", lex.weekdays),
        ("weekday_abbreviations", lex.weekday_abbreviations),
        ("months", lex.months),
        ("relative", lex.relative_days),
    )
    for table, target in tables:
        for number, words in data.get(table, {}).items():
            for word in _strings(words, f"time.toml [{table}] {number}"):
                target[word] = int(number)


@cache
def load() -> Lexicon:
    """The compiled lexicon (built once per process)."""
    lex = Lexicon()
    for loader in (
        _load_weapons,
        _load_triggers,
        _load_targets,
        _load_nations,
        _load_sites,
        _load_actors,
        _load_genres,
        _load_time,
    ):
        loader(lex)
    lex.compile()
    return lex
