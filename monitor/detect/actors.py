"""Who did it: the perpetrator, and whether the attack was claimed or is suspected.

A claim of responsibility wins ("Al-Shabaab claimed the attack", "claimed by the Islamic
Resistance in Iraq"), unless the item says nobody has claimed it. Next comes the attacker
named as the subject of the attack ("Houthis fire ballistic missile", "US jets strike
militias"): reported as fact, no status. Last, blame ("Washington blames Iran-backed
militias", "fired from Houthi-controlled territory"): suspected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from monitor.detect.frames import Frame, participle
from monitor.detect.lexicon import Lexicon, Mention
from monitor.detect.text import Document, Sentence

_CONTROLLED = re.compile(r"^-(?:controlled|held|run)")
_SOURCE = re.compile(
    r"^[\w\s'’.()-]{0,30}?\b(?:said|says|say|told|announced|confirmed|confirms|reported|"
    r"stated|acknowledged|tweeted|wrote|added|spokes(?:man|woman|person)|statement)\b"
)
_CLAIM_SENTENCES = 16
_SAID_IT = re.compile(
    r"[\w\s,'’()-]{0,80}?\b(?:said|says|announced|stated)\b(?:\s+(?:on|late|early)\s+\w+)?"
    r"(?:\s+that)?\s+(?:it|its fighters|they)\s+(?:had\s+)?(?:carried out|launched|fired|"
    r"targeted|attacked|struck|hit|shot|detonated|set off|planted|sent|was behind|were behind)\b"
)
#: "a little-known group calling itself Saraya Awliya al-Dam": a name the lexicon lacks.
_CALLING_ITSELF = re.compile(
    r"\b(?:calling itself|calls itself|which calls itself|called|named|known as)\s+"
    r"(?:[\"“]([^\"”]{3,60})[\"”]|(?:the\s+)?((?:[A-Z][\w'’-]*|al-[\w'’-]+)"
    r"(?:\s+(?:[A-Z][\w'’-]*|al-[\w'’-]+|of|the|to|for|in|al|el|and))*))"
)
#: "an al-Qaeda-affiliated group": the actor named is not the one acting.
_AFFILIATED = re.compile(r"^-(?:affiliated|linked|backed|inspired|allied|aligned|style)")
#: Attackers described, not named: never reported as claiming anything.
_UNNAMED = frozenset({"suicide bomber"})
_ATTRIBUTION = re.compile(r"^[\w\s'’.-]{0,30}?:\s")
_LOCATIVE = re.compile(
    r"(?:\b(?:in|inside|near|at|from|of|over|across|en|à|au|w|na|em|im)\s+(?:the\s+)?|في\s*)$"
)


@dataclass(frozen=True)
class Perpetrator:
    """The attacker as reported, with ``status`` claimed, suspected or None (stated)."""

    name: str
    status: str | None
    nation: str | None
    text: str


class ActorReader:
    """Finds the perpetrator of the main attack."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def read(
        self,
        doc: Document,
        frames: list[Frame],
        background: Callable[[Sentence], bool] = lambda s: False,
    ) -> Perpetrator | None:
        """The perpetrator of the attack reported by ``frames`` in ``doc``; sentences for
        which ``background`` is true (about another event) are not read for claims."""
        sentences = [s for s in [doc.headline, *doc.body()[:_CLAIM_SENTENCES]] if not background(s)]
        unclaimed = any(s.tagged("no_claim") for s in sentences)
        if not unclaimed:
            claimed = self._claim(sentences)
            if claimed:
                return claimed
        agent = self._agent(frames)
        if agent:
            return agent
        return self._blame(sentences)

    def in_frame(self, frame: Frame) -> Perpetrator | None:
        """The perpetrator one sentence names (a claim, else the attacker it names)."""
        if frame.sentence.tagged("no_claim"):
            return self._agent([frame])
        return self._claim([frame.sentence]) or self._agent([frame])

    def _claim(self, sentences: list[Sentence]) -> Perpetrator | None:
        """The first specific group claiming the attack (a description if nothing else)."""
        fallback = None
        for sentence in sentences:
            if sentence.tagged("generic") or sentence.tagged("reference"):
                continue
            found = self._claim_in(sentence)
            if found and not self._generic_name(found.name):
                return found
            fallback = fallback or found
        return fallback

    def _claim_in(self, sentence: Sentence) -> Perpetrator | None:
        claims = sentence.tagged("claim")
        actors = self._actors(sentence)
        named = _CALLING_ITSELF.search(sentence.text)
        if named and (claims or _SAID_IT.search(sentence.lower)):
            span = (sentence.start + named.start(), sentence.start + named.end())
            known = [a for a in actors if span[0] <= a.start < span[1]]
            if known:  # "calling itself the Guardians of Blood": a group the lexicon knows
                return self._perpetrator(known[0], "claimed", sentence)
            name = (named.group(1) or named.group(2)).strip(' ,."”')
            return Perpetrator(name, "claimed", None, sentence.text[:200])
        if claims:
            actor = _subject(claims[0], actors)
            if actor:
                return self._perpetrator(actor, "claimed", sentence)
        for actor in actors:
            # "The group said on Tuesday it had launched two drones": a claim too.
            if _SAID_IT.match(sentence.lower, actor.end - sentence.start):
                return self._perpetrator(actor, "claimed", sentence)
        return None

    def _generic_name(self, name: str) -> bool:
        actor = self.lexicon.actors.get(name)
        return actor is None or actor.generic

    def _agent(self, frames: list[Frame]) -> Perpetrator | None:
        for frame in frames:
            sentence = frame.sentence
            agents = [m for m in frame.agents if not _source(sentence, m)]
            actors = [m for m in agents if m.has("actor") and m.get("actor").value not in _UNNAMED]  # type: ignore[union-attr]
            actors.sort(key=lambda m: self._generic(m))
            if actors:
                status = "suspected" if sentence.tagged("blame") else None
                return self._perpetrator(actors[0], status, sentence)
            nations = [
                m
                for m in agents
                if m.has("nation")
                and not _premodifies_target(frame, m)
                and not _names_people(frame, m)
                and not _owns_target(frame, m)
                and _attached(frame, m)
            ]
            if nations:
                code = nations[0].get("nation").value  # type: ignore[union-attr]
                name = self.lexicon.nation_names.get(code, code)
                return Perpetrator(_title(name), None, code, nations[0].text)
            forces = _forces(frame)
            if forces:
                name = self.lexicon.nation_names.get(forces, forces)
                return Perpetrator(f"{_title(name)} forces", None, forces, sentence.text[:200])
            controlled = self._controlled(sentence)
            if controlled:
                return self._perpetrator(controlled, "suspected", sentence)
        return None

    def _blame(self, sentences: list[Sentence]) -> Perpetrator | None:
        for sentence in sentences:
            if not sentence.tagged("blame") or sentence.tagged("generic"):
                continue
            actors = self._actors(sentence)
            if actors:
                return self._perpetrator(actors[0], "suspected", sentence)
        for sentence in sentences:
            controlled = self._controlled(sentence)
            if controlled:
                return self._perpetrator(controlled, "suspected", sentence)
        return None

    def _actors(self, sentence: Sentence) -> list[Mention]:
        """Named actors of a sentence (named before generic; affiliations left out)."""
        actors = [
            m
            for m in sentence.tagged("actor")
            if not _AFFILIATED.match(sentence.lower[m.end - sentence.start :])
            and (t := m.get("actor")) is not None
            and t.value not in _UNNAMED
        ]
        return sorted(actors, key=self._generic)

    def _controlled(self, sentence: Sentence) -> Mention | None:
        for m in sentence.tagged("actor"):
            if _CONTROLLED.match(sentence.lower[m.end - sentence.start :]):
                return m
        return None

    def _generic(self, mention: Mention) -> bool:
        tag = mention.get("actor")
        actor = self.lexicon.actors.get(tag.value) if tag else None
        return bool(actor and actor.generic)

    def _perpetrator(self, mention: Mention, status: str | None, sentence: Sentence) -> Perpetrator:
        tag = mention.get("actor")
        assert tag is not None
        actor = self.lexicon.actors[tag.value]
        name = _title(mention.text) if actor.generic else actor.name
        return Perpetrator(name, status, actor.nation, sentence.text[:200])


def _subject(cue: Mention, actors: list[Mention]) -> Mention | None:
    """Who claims: the first actor before the cue ("X, a group linked to Y, claimed"),
    else the first after it ("claimed by X")."""
    before = [a for a in actors if a.end <= cue.start]
    if before:
        return min(before, key=lambda a: a.start)
    after = [a for a in actors if a.start >= cue.end]
    return after[0] if after else None


def _source(sentence: Sentence, mention: Mention) -> bool:
    rest = sentence.lower[mention.end - sentence.start :]
    return bool(_SOURCE.match(rest) or _ATTRIBUTION.match(rest))


def _forces(frame: Frame) -> str | None:
    """ "U.S. forces carried out airstrikes": a nation's forces as the subject (not "US
    forces attacked in Syria", where they are the ones attacked)."""
    sentence = frame.sentence
    if frame.anchors and participle(sentence, frame.anchors[0]):
        return None
    first = frame.anchors[0].start if frame.anchors else sentence.end
    for m in frame.main:
        tag = m.get("target")
        if m.start >= first or not tag or tag.detail != "people":
            continue
        if tag.value not in ("military", "police"):
            continue
        if _source(sentence, m):
            continue
        for n in frame.agents:
            gap = sentence.lower[n.end - sentence.start : m.start - sentence.start]
            if n.has("nation") and 0 <= m.start - n.end <= 12 and "," not in gap:
                return n.get("nation").value  # type: ignore[union-attr]
    return None


def _attached(frame: Frame, mention: Mention) -> bool:
    """A nation acting: right before the attack ("Israeli airstrike", "U.S. strikes")."""
    sentence = frame.sentence
    before = sentence.lower[
        max(0, mention.start - sentence.start - 12) : mention.start - sentence.start
    ]
    if _LOCATIVE.search(before) or before.endswith(("pro-", "anti-")):
        return False
    for anchor in frame.anchors:
        gap = sentence.lower[mention.end - sentence.start : anchor.start - sentence.start]
        if 0 <= anchor.start - mention.end <= 25 and "," not in gap:
            return True
    return False


def _names_people(frame: Frame, mention: Mention) -> bool:
    """ "soldados estadounidenses", "soldats américains": the nationality of the people just
    named (Romance languages put it after the noun), not a nation acting."""
    return any(
        0 <= mention.start - t.end <= 2
        and (tag := t.get("target")) is not None
        and tag.detail == "people"
        for t in frame.sentence.mentions
    )


#: "embassy of France", "ambassade de France", "embajada de Francia", "Botschaft von Frankreich".
_OWNER_JOINT = re.compile(r"^\s*(?:of(?:\s+the)?|de(?:\s+la)?|du|des|da|do|del|von|der|d[’'])\s*$")


def _owns_target(frame: Frame, mention: Mention) -> bool:
    """ "l'ambassade de France attaquée": the nation whose target it is, not one acting."""
    sentence = frame.sentence
    return any(
        t.end <= mention.start
        and _OWNER_JOINT.match(
            sentence.lower[t.end - sentence.start : mention.start - sentence.start]
        )
        for t in frame.targets
    )


def _premodifies_target(frame: Frame, mention: Mention) -> bool:
    return any(
        0 <= t.start - mention.end <= 25
        and ","
        not in frame.sentence.lower[
            mention.end - frame.sentence.start : t.start - frame.sentence.start
        ]
        for t in frame.targets
    )


def _title(text: str) -> str:
    return text if any(c.isupper() for c in text) else text[:1].upper() + text[1:]
