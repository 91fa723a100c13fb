"""Where the attack happened: country (ISO alpha-2), a readable place, a stable site key.

A known site decides (Ain al-Asad is in Iraq). At sea there is no country ("in the Red
Sea"). Otherwise the first place the attack's sentences name outside background clauses,
cities and provinces before countries; nationality words never decide the country (an
"Iraqi militia" attacking a base in Syria is an attack in Syria).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.detect.frames import Frame
from monitor.detect.lexicon import Lexicon, Mention, Site
from monitor.detect.targets import Target

_ARABIC = re.compile(r"[\u0600-\u06ff]")
_DIRECTION = (
    r"(?:north|south|east|west|northern|southern|eastern|western|central|northeastern|"
    r"northwestern|southeastern|southwestern|north-eastern|north-western|south-eastern|"
    r"south-western)"
)
#: "in Iraq", "in western Niger", "Chinegodar, western Niger", "dans l'ouest du Niger",
#: "au nord-est du Mali", "en el norte de Colombia", "no norte de Moçambique".
_LOCATIVE = re.compile(
    r"\b(?:in|inside|near|across|throughout|of|at|en|dans|à|au|no|na|em|w|im|in der|في)\s+"
    rf"(?:the\s+|la\s+|le\s+|el\s+)?(?:{_DIRECTION}\s+)?$|,\s*(?:{_DIRECTION}\s+)?$"
    r"|(?:\bl'|\bl’|\b(?:le|el|o|au|al|ao|no)\s+)(?:nord|sud|est|ouest|centre|nord-est|nord-ouest|sud-est|"
    r"sud-ouest|norte|sur|sul|este|leste|oeste|noreste|nordeste|noroeste|suroeste|sudoeste|"
    r"sureste|sudeste|centro)\s+(?:du|de la|de l'|de l’|des|de|do|da)\s*$"
)

_CAPITAL = re.compile(r"\s+(?:capital|city of|port city of)\b")
_CHAINED = re.compile(r"(?:-|\band|&|/)\s*$")
_BORDER = re.compile(r"\s+(?:border|frontier)\b")
_CAPITALISED = re.compile(r"\s+(?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)*\s+(?:[A-Z][a-z]+|said|says)\b")


@dataclass(frozen=True)
class Location:
    """Country, readable place and site key of an attack."""

    country: str | None = None
    place: str | None = None
    site: str | None = None
    sea: str | None = None
    how: str = ""


class PlaceReader:
    """Locates an attack from its frames and target."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def locate(
        self,
        frames: list[Frame],
        target: Target | None,
        fallback: list[Frame] | None = None,
        dateline: Mention | None = None,
    ) -> Location:
        """The location of the attack told by ``frames`` (else by the ``fallback`` ones, else
        the ``dateline``: where the report was filed, the weakest hint)."""
        places = self._places(frames) or self._places(fallback or [])
        sea = self._sea(frames)
        city = next((m for m in places if not _is_country(m)), None)
        country_mention = city or next(iter(places), None)
        site_key = target.site_key if target else None
        if target and target.site:
            country = target.site.country
            place = _join(
                self._display(city) if city and _country_of(city) == country else None,
                target.text,
            )
            return Location(country, place, site_key, None, f"known site {target.site.name}")
        if sea:
            place = sea.name
            return Location(None, place, site_key, sea.name, f"at sea ({sea.name})")
        if country_mention is None:
            described = _described_country(frames, target)
            if described:
                code, how = described
                return Location(code, _facility(target), site_key, None, how)
            if dateline is None:
                return Location(site=site_key, place=_facility(target), how="no place named")
            country_mention = dateline
        country = _country_of(country_mention)
        place = _join(self._display(country_mention), _facility(target))
        if (
            site_key is None
            and target
            and target.type == "diplomatic"
            and target.nationality
            and city
        ):
            city_key = self.lexicon.canonical_place(city.text)
            site_key = f"{target.nationality.lower()} embassy {city_key}"
        how = "dateline" if country_mention is dateline else "place named"
        return Location(country, place, site_key, None, f"{how}: {country_mention.text}")

    def _display(self, mention: Mention) -> str:
        """A place as written; in another script, the spelling keys use ("بغداد": Baghdad),
        so that reports in two languages name one place alike."""
        if _ARABIC.search(mention.text):
            canonical = self.lexicon.canonical_place(mention.text)
            return canonical.title() if canonical != mention.text.lower() else mention.text
        return _display(mention) or mention.text

    def _places(self, frames: list[Frame]) -> list[Mention]:
        found = []
        for frame in frames:
            sentence = frame.sentence
            for m in frame.main:
                if not m.has("place") or m.has("actor") or _demonym_only(m):
                    continue
                if _is_country(m) and (
                    not _locative(sentence.lower, m.start - sentence.start, m.end - sentence.start)
                    or _modifier(sentence.mentions, m)
                    or _organisation(sentence.text, m.end - sentence.start)
                ):
                    continue
                found.append(m)
        return found

    def _sea(self, frames: list[Frame]) -> Site | None:
        for frame in frames:
            for m in frame.main:
                tag = m.get("site")
                site = self.lexicon.sites.get(tag.value) if tag else None
                if site and site.sea:
                    return site
        return None


def _described_country(frames: list[Frame], target: Target | None) -> tuple[str, str] | None:
    """No place named, but "in the Iraqi capital", or "a Kenyan base used by U.S. forces"
    (the host nation's adjective on a facility of another nation's forces). Not "the
    Turkish base" (whose, not where) nor "near the Somali border"."""
    for frame in frames:
        sentence = frame.sentence
        for m in frame.main:
            tag = m.get("nation")
            if tag is None or tag.detail != "demonyms" or not m.text[:1].isupper():
                continue
            rest = sentence.lower[m.end - sentence.start : m.end - sentence.start + 40]
            if _CAPITAL.match(rest):
                return tag.value, f"the {m.text} capital"
            if _BORDER.match(rest) or target is None or not target.facility:
                continue
            if not target.nationality or tag.value == target.nationality:
                continue
            before = sentence.lower[max(0, m.start - sentence.start - 6) : m.start - sentence.start]
            # "a Kenyan base used by U.S. forces", "a joint U.S.-Nigerien patrol"
            facility = any(0 <= t.start - m.end <= 25 and _is_facility(t) for t in frame.targets)
            if facility and (_hosted(target) or _CHAINED.search(before)):
                return tag.value, f"a {m.text} facility shared with another nation's forces"
    return None


def _is_facility(mention: Mention) -> bool:
    tag = mention.get("target")
    return mention.has("site") or (tag is not None and tag.detail == "places")


def _hosted(target: Target) -> bool:
    return target.how.startswith("hosts")


def _locative(text: str, start: int, end: int) -> bool:
    """A country name used as a place: "in Iraq", "Iraq's Anbar province", "Syria: ..."."""
    before, after = text[max(0, start - 25) : start], text[end : end + 3]
    return bool(_LOCATIVE.search(before)) or after.startswith(("'s", "’s", ":"))


def _modifier(mentions: list[Mention], mention: Mention) -> bool:
    """A country name before a target noun says whose it is, not where it is: "at US
    base in Afghanistan", "the U.S. Embassy in Ankara", "US-Konvoi"."""
    following = next((m for m in mentions if m.start >= mention.end), None)
    return following is not None and following.start - mention.end <= 1 and following.has("target")


def _organisation(text: str, end: int) -> bool:
    """A country name in an organisation's name is not a place: "U.S. Central Command
    said", "the U.S. Navy", "French Foreign Ministry" (a name in capitals follows)."""
    return bool(_CAPITALISED.match(text, end))


def _is_country(mention: Mention) -> bool:
    return any(t.kind == "place" and t.detail == "country" for t in mention.tags)


def _demonym_only(mention: Mention) -> bool:
    return not any(t.kind == "place" for t in mention.tags)


def _country_of(mention: Mention) -> str | None:
    tag = mention.get("place")
    return tag.value if tag else None


def _display(mention: Mention | None) -> str | None:
    if mention is None:
        return None
    text = mention.text
    return text if any(c.isupper() for c in text) else text.title()


def _facility(target: Target | None) -> str | None:
    if target is None or not target.facility:
        return None
    return target.text


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return ", ".join(dict.fromkeys(kept)) if kept else None
