"""Place names reduced to comparable keys: "Ain al-Asad air base, Anbar" -> {"asad", "anbar"}.

Reporters spell and frame the same place differently ("Ain al-Asad", "Ayn al Asad
airbase", "Al Asad Air Base, western Iraq"). Matching compares the distinctive words
only: accents, articles, generic words (base, province, near, embassy…) and country names
are dropped (the country is compared on its own), and words within a small spelling
distance count as the same ("Asad" / "Assad").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources

from rapidfuzz import fuzz

from monitor.detect.lexicon import expand

#: Two words of at least this many letters whose similarity (0-100) reaches
#: :data:`SPELLING_SIMILARITY` are taken for two spellings of one name.
FUZZY_MIN_LENGTH = 3
SPELLING_SIMILARITY = 85.0
#: A word that starts or ends with another, at most this many letters longer, is the same name.
AFFIX_MAX_LENGTH = 3
#: Two words whose consonants (vowels dropped) agree count as one name from this length on.
SKELETON_MIN_LENGTH = 3

_WORD = re.compile(r"\w+")
_APOSTROPHES = re.compile(r"(?<=\w)['’‘`ʼʻ](?=\w)")
_DIGITS = re.compile(r"^\d+\w*$")
_VOWELS = re.compile(r"[aeiouyw]")
_DOUBLED = re.compile(r"(\w)\1+")
# The Arabic definite article, glued to the word it qualifies.
_ARABIC_ARTICLE = re.compile(r"^ال(?=\w{3})")


@cache
def generic_words() -> frozenset[str]:
    """Words that say what kind of place, not which: base, province, near, embassy…"""
    text = resources.files("monitor.incidents").joinpath("place_words.txt").read_text("utf-8")
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    words = {fold(word) for line in lines for word in line.split()}
    return frozenset(words) | country_words() | lexicon_words()


@cache
def lexicon_words() -> frozenset[str]:
    """Words of the detection lexicon's country names and demonyms and of its kinds of
    target, in every language it reads: "Jordania", "الأردن", "قاعدة", "ambassade"."""
    data = resources.files("monitor.detect").joinpath("data")
    nations = tomllib.loads(data.joinpath("nations.toml").read_text("utf-8"))
    targets = tomllib.loads(data.joinpath("targets.toml").read_text("utf-8"))
    phrases = [
        *(p for n in nations.values() for key in ("names", "demonyms") for p in n.get(key, [])),
        *(p for t in targets.values() for key in ("places", "people") for p in t.get(key, [])),
    ]
    words: set[str] = set()
    for phrase in phrases:
        for variant in expand(phrase):
            for word in _WORD.findall(fold(variant)):
                words.update({word, _ARABIC_ARTICLE.sub("", word)})
    return frozenset(words)


@cache
def country_words() -> frozenset[str]:
    """Words of country names (from the tz database shipped by ``tzdata``)."""
    try:
        table = resources.files("tzdata").joinpath("zoneinfo", "iso3166.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        return frozenset()
    words: set[str] = set()
    for line in table.splitlines():
        if line and not line.startswith("#") and "\t" in line:
            words.update(_WORD.findall(fold(line.split("\t", 1)[1])))
    return frozenset(words)


def fold(text: str) -> str:
    """Lower case without accents or apostrophes: "Sana'a" -> "sanaa", "États" -> "etats"."""
    decomposed = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def place_keys(*names: str | None) -> frozenset[str]:
    """The distinctive words of one or more place names (site key, place, target)."""
    keys: frozenset[str] = frozenset()
    for name in names:
        if name:
            keys |= _keys_of(name)
    return keys


@lru_cache(maxsize=8192)
def _keys_of(name: str) -> frozenset[str]:
    generic = generic_words()
    keys = set()
    for word in _WORD.findall(fold(name)):
        word = _ARABIC_ARTICLE.sub("", word)
        if len(word) < 3 or word in generic or _DIGITS.match(word) or is_demonym(word):
            continue
        keys.add(word)
    return frozenset(keys)


def is_demonym(word: str) -> bool:
    """ "Iraqi", "Syrian", "Kenyan": a country's name with one to three letters more."""
    countries = country_words()
    return any(word[:cut] in countries for cut in range(len(word) - 3, len(word)) if cut >= 4)


@lru_cache(maxsize=65536)
def same_word(a: str, b: str) -> bool:
    """Whether two keys are one name, allowing for small spelling and inflection differences."""
    if a == b:
        return True
    if min(len(a), len(b)) < FUZZY_MIN_LENGTH:
        return False
    # An inflected form starts with the name (Polish "Adenie" for "Aden"), an assimilated
    # article ends with it ("Ezzor" for "ez-Zor"); transliterations differ in vowels and
    # doubled letters ("Duhok" / "Dohuk", "Asad" / "Assad").
    short, long_ = sorted((a, b), key=len)
    if len(long_) - len(short) <= AFFIX_MAX_LENGTH and (
        long_.startswith(short) or long_.endswith(short)
    ):
        return True
    if fuzz.ratio(a, b) >= SPELLING_SIMILARITY:
        return True
    skeleton = _skeleton(a)
    return len(skeleton) >= SKELETON_MIN_LENGTH and skeleton == _skeleton(b)


@lru_cache(maxsize=16384)
def _skeleton(word: str) -> str:
    """The consonants of a word, doubled letters once: "hodeidah" -> "hdh"."""
    consonants = _VOWELS.sub("", word)
    return _DOUBLED.sub(r"\1", consonants)


def overlap(a: Iterable[str], b: Iterable[str]) -> float:
    """Share of the smaller key set found in the other (0 when either is empty)."""
    small, large = sorted((frozenset(a), frozenset(b)), key=len)
    if not small:
        return 0.0
    found = sum(1 for word in small if word in large or any(same_word(word, w) for w in large))
    return found / len(small)
