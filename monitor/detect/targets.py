"""What was attacked, and whose it was: target, target type and target nationality.

Direction comes from word order. A target after the attack word is what was hit ("rockets
hit a base", "an attack on the embassy"); one before it is hit only in the passive ("the
base came under attack", "embassy torched"); people before an active attack word are the
attackers ("US jets strike militia headquarters": the militia is the target, the US the
perpetrator). Nationality, strongest first: who the place hosts ("a Syrian base housing US
troops"), a known site's hosts (Ain al-Asad hosts US forces), a nationality word before
the target ("the Turkish base", "U.S. Navy destroyer"), after it ("embajada rusa"), a USS
ship, "US troops are stationed at..." and, last, the victims ("killing two Americans").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property

from rapidfuzz import fuzz, process

from monitor.detect.frames import Frame, participle
from monitor.detect.lexicon import Lexicon, Mention, Site
from monitor.detect.text import Sentence

_AFFILIATION = re.compile(
    r"^-(?:backed|aligned|linked|allied|affiliated|supported|sponsored|armed|based|controlled|"
    r"held|run|made|born|funded|trained)"
)
_PREMOD_STOP = re.compile(
    r"[,.;:!?()\"“”]|\b(?:in|at|near|from|by|with|to|on|against|after|before|during|"
    r"alongside|for|as|about|around|under|over|into|onto|off|than|of|said|says|which|that|"
    r"who|was|were|is|are|has|have|had|when|while|where|since|until|killed|wounded|"
    r"attacked|hit|struck|fired|launched|dans|du|des|contre|sur|lors|tué|tués|contra|durante|"
    r"gegen|bei|auf)\b"
)
_CLAUSE_GAP = re.compile(r"[;:()]|,\s+(?:as|while|when|but|and|which|who|after|amid|as)\b|\s[—–]\s")
_ATTRIBUTION = re.compile(r"^[\w\s'’.-]{0,30}?:\s")
_PROPER_NAME = re.compile(r"\b(?:(?:al|el|as|ash|ad|an|ar|at|ain|ayn)[\s-])?[A-Z][\w'’-]*\s$")
_FACILITY_WORDS = re.compile(
    r"\b(?:air base|airbase|air field|airfield|base|camp|garrison|military|forward operating|"
    r"mission support site|landing zone|oil field|oilfield|gas fields?|field)\b"
)
#: How close (0-100) an unknown base name must be to a known one to be that site.
_FUZZY = 85
_CHAIN = re.compile(r"^\s*(?:and|&|-|/|–)\s*$")
_SOURCE = re.compile(
    r"^[\w\s'’-]{0,25}?\b(?:said|says|say|told|announced|confirmed|reported|stated|"
    r"acknowledged|tweeted|wrote|added|spokes(?:man|woman|person))\b"
)
_POSTMOD_GAP = re.compile(
    r"^\s*(?:of the|of|de la|de los|de las|del|de|des|du|d'|da|do|dos|das|der)?\s*$"
)
_SHIP = re.compile(r"\buss\s+(?:the\s+)?([a-z][a-z'\-]+)")
_NEGATED = re.compile(r"(?:\bnon-|\bnot\s+|\bno\s+)$")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
#: Demonyms naming people: "Americans", "Pakistanis", "Amerikaner".
_PEOPLE_ENDINGS = ("ans", "ons", "ese", "is", "aner")
#: "by militias", "der Terrormiliz", "durch", "przez": who acted, when only a noun phrase
#: follows (not "by Taliban at US base": the base is where).
_AGENT_MARK = re.compile(r"^\s*(?P<mark>by|der|des|durch|przez)\s+(?P<rest>.*)$", re.S)
_NOT_IN_AGENT = frozenset(
    [
        "at",
        "in",
        "on",
        "near",
        "against",
        "inside",
        "outside",
        "into",
        "onto",
        "from",
        "toward",
        "towards",
        "hit",
        "struck",
        "fired",
        "targeted",
        "attacked",
        "landed",
        "auf",
        "gegen",
        "im",
        "am",
        "bei",
        "w",
        "na",
        "en",
        "dans",
        "contre",
        "sur",
        "contra",
        "vers",
    ]
)
#: Strike verbs in an active clause: a facility before them is what struck.
_ACTIVE_VERBS = frozenset(
    {"struck", "fired", "fires", "launched", "launches", "pounded", "shelled", "bombed"}
)
#: Target types whose nationality another sentence's mention of the same kind can tell.
_CREWED = frozenset({"military", "diplomatic"})
#: How much less a target counts for each sentence after the first that reports the attack.
_LATER = 0.6


@dataclass(frozen=True)
class Target:
    """The attacked party as read from one mention."""

    text: str
    type: str | None
    nationality: str | None
    site: Site | None = None
    site_key: str | None = None
    facility: bool = False
    score: float = 0.0
    how: str = ""
    start: int = 0
    role: str = "patient"
    sentence: int = 0
    #: Casualty words next to it ("killing two American soldiers").
    hurt: bool = False
    #: Several nations named before it ("the German and US embassies").
    chain: tuple[str, ...] = ()


class TargetReader:
    """Finds the target of an attack in its frames."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def best(self, frames: list[Frame]) -> Target | None:
        """The most likely target over ``frames`` (earlier frames weigh more)."""
        candidates: list[Target] = []
        for position, frame in enumerate(frames):
            for target in self.candidates(frame):
                candidates.append(replace(target, score=target.score - _LATER * position))
        if not candidates:
            return None
        best = max(candidates, key=lambda t: t.score)
        if best.site_key is None:
            best = _named(best, candidates)
        best = _crew(best, candidates)
        best = _personnel(best, candidates)
        best = _one_of_chain(best, candidates)
        if best.nationality is None:
            nation = _victim_nation(frames, self.lexicon)
            if nation:
                best = replace(best, nationality=nation, how="the victims' nationality")
        return best

    def candidates(self, frame: Frame) -> list[Target]:
        """Every target the frame's main clause names, scored."""
        found = [self._read(frame, m) for m in frame.targets]
        found.extend(self._ships(frame))
        return [t for t in found if t is not None]

    # --- one mention -------------------------------------------------------------------

    def _read(self, frame: Frame, mention: Mention) -> Target | None:
        sentence = frame.sentence
        if mention.text in ("USS", "U.S.S."):
            return None  # the ship is read with its name by _ships
        site = self._site(mention) or self._named_site(sentence, mention)
        tag = mention.get("target")
        target_type = site.type if site else (tag.value if tag else None)
        facility = bool(site) or (tag is not None and tag.detail == "places")
        role = _role(frame, mention)
        if role in ("source", "attacker") or (role == "agent" and not facility):
            return None
        nation, how = self._nationality(frame, mention, site, target_type)
        if (
            nation
            and how.startswith("hosts")
            and target_type in (None, "transport", "civilian", "unknown")
        ):
            target_type = "military"
        if target_type == "contractor" and nation and how.startswith("hosts"):
            target_type = "military"
        score = {"patient": 1.0, "victim": 0.6, "neutral": 0.0, "agent": -1.0}[role]
        score += 0.3 * facility + 0.4 * bool(nation) + 0.3 * bool(site)
        score += 0.02 * self.lexicon.target_ranks.get(target_type or "", 0)
        text = self._text(sentence, mention, site)
        return Target(
            text=text,
            type=target_type,
            nationality=nation,
            site=site,
            site_key=site.key if site else None,
            facility=facility,
            score=score,
            how=how,
            start=mention.start,
            role=role,
            sentence=sentence.index,
            hurt=_hurt(frame, mention),
            chain=_chain(sentence, mention, target_type) if how.startswith("a nationality") else (),
        )

    def _named_site(self, sentence: Sentence, mention: Mention) -> Site | None:
        """A base named with a spelling the gazetteer lacks ("al-Asaf airbase"): fuzzy match."""
        tag = mention.get("target")
        if tag is None or tag.detail != "places" or tag.value != "military":
            return None
        before = sentence.text[: mention.start - sentence.start]
        match = _PROPER_NAME.search(before)
        if not match:
            return None
        name = match.group().strip(" -").lower()
        names = self._site_names
        found = process.extractOne(
            name, [n for n in names if n[:1] == name[:1]], scorer=fuzz.ratio, score_cutoff=_FUZZY
        )
        return self.lexicon.sites[names[found[0]]] if found else None

    @cached_property
    def _site_names(self) -> dict[str, str]:
        """Site aliases without their facility words: "al-asad", "taji", "conoco"."""
        names = {}
        for alias, site in self.lexicon.site_aliases().items():
            core = _FACILITY_WORDS.sub("", alias).strip(" -")
            if not site.sea and len(core) >= 5 and not _ARABIC.match(core):
                names[core] = site.key
        return names

    def _site(self, mention: Mention) -> Site | None:
        tag = mention.get("site")
        site = self.lexicon.sites.get(tag.value) if tag else None
        return site if site and not site.sea else None

    def _ships(self, frame: Frame) -> list[Target]:
        sentence = frame.sentence
        ships = []
        for match in _SHIP.finditer(sentence.lower):
            start = sentence.start + match.start()
            if sentence.text[match.start() : match.start() + 3] != "USS" or frame.in_background(
                start
            ):
                continue
            name = match.group(1)
            ships.append(
                Target(
                    text=f"USS {name.title()}",
                    type="military",
                    nationality="US",
                    site_key=f"uss {name}",
                    facility=True,
                    score=1.3,
                    how="a USS ship",
                    start=start,
                    sentence=sentence.index,
                )
            )
        return ships

    def _text(self, sentence: Sentence, mention: Mention, site: Site | None) -> str:
        if site:
            return site.name
        start = mention.start
        # Arabic puts the nationality after the noun: the words before are not the target's.
        for m in [] if _ARABIC.match(mention.text) else reversed(sentence.mentions):
            if m.end <= mention.start and mention.start - m.end <= 25 and m.has("nation"):
                between = sentence.lower[m.end - sentence.start : mention.start - sentence.start]
                if not _PREMOD_STOP.search(between):
                    start = m.start
                break
        return sentence.text[start - sentence.start : mention.end - sentence.start]

    # --- nationality -------------------------------------------------------------------

    def _nationality(
        self, frame: Frame, mention: Mention, site: Site | None, target_type: str | None
    ) -> tuple[str | None, str]:
        sentence = frame.sentence
        tag = mention.get("target")
        facility = bool(site) or (tag is not None and tag.detail == "places")
        own = mention.get("nation")
        if site and site.hosts:
            return site.hosts, f"hosts (known site {site.name})"
        hosted = _hosting(sentence, mention)
        if hosted:
            return hosted, "hosts (a clause after the target)"
        if own:
            return own.value, "named in the target"
        if _ARABIC.match(mention.text):
            after = _postmodifier(sentence, mention)
            if after:
                return after, "a nationality word after the target"
        before = _premodifier(sentence, mention, target_type)
        if before:
            victims = _victim_nation([frame], self.lexicon) if facility else None
            if victims and victims != before:
                # "Three Americans killed as Al-Shabaab attacks Kenyan base"
                return victims, "the victims' nationality (the place is another nation's)"
            return before, "a nationality word before the target"
        after = _postmodifier(sentence, mention)
        if after:
            return after, "a nationality word after the target"
        stationed = _stationed(sentence)
        # "a rocket aimed at the airport, where US troops are based, hit a house": the
        # forces are stationed at the airport, not in the house.
        if stationed and facility and target_type != "civilian":
            return stationed, "hosts (forces stationed there)"
        return None, ""


def _crew(best: Target, candidates: list[Target]) -> Target:
    """ "US troops at a Syrian base", "a warship" ... "a US Navy destroyer": the forces
    attacked there, or a later sentence, say whose the target is."""
    if best.how.startswith(("hosts", "a USS")):
        return best
    for other in candidates:
        if other is best or other.role != "patient" or other.type not in _CREWED:
            continue
        if other.nationality is None or other.nationality == best.nationality:
            continue
        if best.nationality is None and other.type == best.type:
            # "l'attaque du consulat" ... "le consulat américain": one target, named twice
            return replace(best, nationality=other.nationality, how="named in another sentence")
        if (
            best.facility
            and not other.facility
            and other.sentence == best.sentence
            and best.how.startswith("a nationality word")
        ):
            return replace(best, nationality=other.nationality, how="the forces attacked there")
    return best


def _one_of_chain(best: Target, candidates: list[Target]) -> Target:
    """ "Crowds attack German and US embassies" ... "marched on the U.S. embassy": of the
    nations named together, the one the report then names alone."""
    if len(best.chain) < 2:
        return best
    for other in candidates:
        if (
            other.type == best.type
            and len(other.chain) < 2
            and other.nationality in best.chain
            and other.nationality != best.nationality
            and other.role == "patient"
        ):
            return replace(best, nationality=other.nationality, how="named alone in the report")
    return best


def _personnel(best: Target, candidates: list[Target]) -> Target:
    """ "A gunman opened fire at the airport, killing two American soldiers": an attack on
    a public place whose victims are a nation's soldiers or diplomats is an attack on them."""
    if best.type in _CREWED:
        return best
    for other in candidates:
        if (
            other.type in _CREWED
            and other.nationality
            and not other.facility
            and other.role in ("victim", "patient")
            and other.hurt
        ):
            return replace(
                best, type=other.type, nationality=other.nationality, how="the personnel hit there"
            )
    return best


def _named(best: Target, candidates: list[Target]) -> Target:
    """ "a US warship" ... "USS Laboon": the same target, by its name."""
    for other in candidates:
        if (
            other.site_key
            and other.role == "patient"
            and other.type == best.type
            and other.nationality == best.nationality
        ):
            return replace(best, text=other.text, site=other.site, site_key=other.site_key)
    return best


def _nation_code(
    sentence: Sentence, mention: Mention, *, ownership: bool, named: bool = False
) -> str | None:
    """The nation a mention names, unless it is an affiliation ('Iran-backed') or negated."""
    tags = mention.all("nation")
    if not tags:
        return None
    rest = sentence.lower[mention.end - sentence.start :]
    before = sentence.lower[: mention.start - sentence.start]
    if _AFFILIATION.match(rest) or _NEGATED.search(before) or before.endswith(("pro-", "anti-")):
        return None
    demonym = next((t for t in tags if t.detail == "demonyms"), None)
    if demonym:
        return demonym.value
    name = tags[0]
    if mention.text.isupper() or "." in mention.text:  # "US base", "U.S. troops", "UK forces"
        return name.value
    if named or (ownership and rest.startswith(("'s", "’s"))):
        return name.value
    return None


def _premodifier(sentence: Sentence, mention: Mention, target_type: str | None) -> str | None:
    """The nation named just before the target; of a chain ("U.S. and Nigerien"), the first."""
    chain = _chain(sentence, mention, target_type)
    return chain[0] if chain else None


def _chain(sentence: Sentence, mention: Mention, target_type: str | None) -> tuple[str, ...]:
    """The nations named just before the target, in the text's order ("German and US")."""
    found: list[str] = []
    edge = mention.start
    for m in reversed(sentence.mentions):
        if m.end > edge:
            continue
        if edge - m.end > 30:
            break
        between = sentence.lower[m.end - sentence.start : edge - sentence.start]
        if found and not _CHAIN.match(between):
            break
        if not found and (_PREMOD_STOP.search(between) or m.has("attack") or m.has("strike")):
            break
        if not m.has("nation"):
            if found:
                break
            continue
        code = _nation_code(sentence, m, ownership=target_type == "diplomatic")
        if code is None:
            break
        found.insert(0, code)
        edge = m.start
    return tuple(found)


def _postmodifier(sentence: Sentence, mention: Mention) -> str | None:
    for m in sentence.mentions:
        if m.start < mention.end:
            continue
        if m.start - mention.end > 25:
            return None
        between = sentence.lower[mention.end - sentence.start : m.start - sentence.start]
        if m.has("nation") and _POSTMOD_GAP.match(between):
            # "embassy of the United States", "l'ambassade des États-Unis"
            return _nation_code(sentence, m, ownership=True, named=bool(between.strip()))
        return None
    return None


def _hosting(sentence: Sentence, mention: Mention) -> str | None:
    later = [m for m in sentence.mentions if m.start >= mention.end]
    for n, m in enumerate(later):
        if m.start - mention.end > 60:
            return None
        if m.has("attack") or m.has("killed") or m.has("injured"):
            return None
        if not m.has("hosting"):
            continue
        for nation in later[n + 1 : n + 4]:
            if nation.start - m.end > 40:
                break
            code = _nation_code(sentence, nation, ownership=True)
            if code:
                return code
        return None
    return None


def _stationed(sentence: Sentence) -> str | None:
    """'U.S. troops are stationed at a military base...' ('w której stacjonują amerykańscy
    żołnierze'): the forces a place hosts, named just before or after the verb."""
    mentions = sentence.mentions
    for n, m in enumerate(mentions):
        if not m.has("stationed"):
            continue
        nearby = [*reversed(mentions[max(0, n - 3) : n]), *mentions[n + 1 : n + 3]]
        for other in nearby:
            if min(abs(m.start - other.end), abs(other.start - m.end)) > 30:
                continue
            code = _nation_code(sentence, other, ownership=False)
            if code:
                return code
    return None


def _role(frame: Frame, mention: Mention) -> str:
    """patient (attacked), victim, agent (before an active attack word: the attacker, or a
    ship or base defending itself), attacker (what struck, or the agent after "by"),
    source (who speaks) or neutral."""
    sentence = frame.sentence
    if _is_source(sentence, mention):
        return "source"
    anchors = frame.anchors or [m for m in frame.main if m.has("strike")]
    after = [a for a in anchors if _same_clause_after(sentence, a, mention)]
    if after:
        # "intercepted by Israel and its allies, including U.S. forces": the agent.
        return "attacker" if all(_by_agent(sentence, a, mention) for a in after) else "patient"
    if _acting(frame, mention):
        return "attacker"
    tag = mention.get("target")
    if tag and tag.detail == "people" and _followed_by_casualty(frame, mention):
        return "victim"
    later = [a for a in anchors if a.start >= mention.end]
    if not later:
        return "neutral"
    anchor = later[0]
    between = [m for m in frame.main if mention.end <= m.start < anchor.start]
    if any(m.has("passive") or m.has("defending") for m in between) or participle(sentence, anchor):
        return "patient"
    if any(m.has("strike") and participle(sentence, m) for m in between):
        return "patient"
    facility = mention.has("site") or (tag is not None and tag.detail == "places")
    if facility:
        if anchor.text.lower() in _ACTIVE_VERBS and not anchor.has("attack"):
            return "attacker"  # "U.S. warships struck 60 targets": the ships struck
        # "Camp Taji attack", "embassy bombing": a place before the attack noun was hit.
        return "patient" if anchor.start - mention.end <= 20 else "neutral"
    return "agent"


def _acting(frame: Frame, mention: Mention) -> bool:
    """ "warships struck 60 targets" (the subject of an active strike verb), "intercepted by
    Israel and its allies, including U.S. forces" (the agent of a passive one)."""
    sentence = frame.sentence
    for m in frame.main:
        if not m.has("strike") or m.has("attack"):
            continue
        if m.start >= mention.end:
            gap = sentence.lower[mention.end - sentence.start : m.start - sentence.start]
            if (
                m.text.lower() in _ACTIVE_VERBS
                and len(gap) <= 30
                and not _CLAUSE_GAP.search(gap)
                and not participle(sentence, m)
            ):
                return True
        elif m.end <= mention.start and mention.start - m.end <= 60:
            gap = sentence.lower[m.end - sentence.start : mention.start - sentence.start]
            if _agent_phrase(gap, "by") and participle(sentence, m):
                return True
    return False


def _by_agent(sentence: Sentence, anchor: Mention, mention: Mention) -> bool:
    """ "hit by militias", "shot down by U.S. forces": after a participle and "by" comes
    who acted, not what was hit."""
    gap = sentence.lower[anchor.end - sentence.start : mention.start - sentence.start]
    if anchor.has("attack") and _agent_phrase(gap):
        return True  # "Angriff der Terrormiliz", "attack by militants"
    return participle(sentence, anchor) and _agent_phrase(gap, "by")


def _agent_phrase(gap: str, *marks: str) -> bool:
    """Whether ``gap`` is an agent marker and a bare noun phrase ("by Israel and its allies,
    including "), the mention after it being the agent."""
    match = _AGENT_MARK.match(gap)
    if not match or (marks and match.group("mark") not in marks):
        return False
    words = re.findall(r"[^\W\d_]+", match.group("rest"))
    return len(words) <= 8 and not _NOT_IN_AGENT.intersection(words)


def _same_clause_after(sentence: Sentence, anchor: Mention, mention: Mention) -> bool:
    if not (anchor.end <= mention.start and mention.start - anchor.end <= 90):
        return False
    gap = sentence.lower[anchor.end - sentence.start : mention.start - sentence.start]
    if (
        not gap.strip()
        and anchor.has("weapon")
        and not (anchor.has("attack") or anchor.has("strike"))
    ):
        return False  # "un missile houthi", "des drones iraniens": whose weapon, not its target
    # "warplanes and warships struck...": a subject joined to the weapon, not its target
    return not _CLAUSE_GAP.search(gap) and not _CHAIN.match(gap)


def _hurt(frame: Frame, mention: Mention) -> bool:
    """Casualty words just before or after: "killing two American soldiers", "US
    soldiers were wounded" (not "where US troops are based")."""
    return any(
        (m.has("killed") or m.has("injured"))
        and (0 <= mention.start - m.end <= 30 or 0 <= m.start - mention.end <= 40)
        for m in frame.main
    )


def _followed_by_casualty(frame: Frame, mention: Mention) -> bool:
    return any(
        0 <= m.start - mention.end <= 40 and (m.has("killed") or m.has("injured"))
        for m in frame.main
    )


def _victim_nation(frames: list[Frame], lexicon: Lexicon) -> str | None:
    """The nationality most of the victims share, from 'killing two Americans' and the like."""
    counts: Counter[str] = Counter()
    for frame in frames:
        sentence = frame.sentence
        casualties = [m for m in frame.main if m.has("killed") or m.has("injured")]
        for m in frame.main:
            if not m.has("nation") or not any(abs(m.start - c.start) <= 60 for c in casualties):
                continue
            if not _person(frame, m) or _is_source(sentence, m):
                continue
            code = _nation_code(sentence, m, ownership=False)
            if code:
                counts[code] += _count_before(sentence, m)
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def _person(frame: Frame, mention: Mention) -> bool:
    """'Americans', 'a U.S. contractor', 'Turkish soldiers', 'soldados estadounidenses': a
    nation naming people (Romance languages put the nationality after the noun)."""
    if mention.text.lower().endswith(_PEOPLE_ENDINGS) and not mention.text.isupper():
        return True
    return any(
        (0 <= m.start - mention.end <= 15 or 0 <= mention.start - m.end <= 2)
        and (t := m.get("target")) is not None
        and t.detail == "people"
        for m in frame.main
    )


def _is_source(sentence: Sentence, mention: Mention) -> bool:
    rest = sentence.lower[mention.end - sentence.start :]
    if _SOURCE.match(rest):
        return True
    # "Official: ..." attributes a quote; "Attack on US base in Kenya: three killed" does not.
    tag = mention.get("target")
    place = mention.has("site") or (tag is not None and tag.detail == "places")
    return not place and bool(_ATTRIBUTION.match(rest))


_NUMBER_BEFORE = re.compile(r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|an)\s+$")
_SMALL = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def _count_before(sentence: Sentence, mention: Mention) -> int:
    before = sentence.lower[
        max(0, mention.start - sentence.start - 12) : mention.start - sentence.start
    ]
    match = _NUMBER_BEFORE.search(before)
    if not match:
        return 1
    word = match.group(1)
    return int(word) if word.isdigit() else _SMALL.get(word, 1)
