"""Assemble the attacks an item reports from its frames: fields and the evidence for each.

The main attack is the one the headline and lede report; its fields come from those
sentences first, then from later sentences about the same event (never from background
clauses, and never from sentences dated to another day). A round-up lists further attacks
(:func:`extra_attacks`): other sentences that report, in a main clause, an attack on
another target in the same days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from monitor.detect import casualties
from monitor.detect.actors import ActorReader
from monitor.detect.dates import DateReader, TimeExpr
from monitor.detect.frames import Frame
from monitor.detect.lexicon import Lexicon
from monitor.detect.places import PlaceReader
from monitor.detect.targets import Target, TargetReader
from monitor.detect.text import Document, Sentence
from monitor.detect.weapons import WeaponReader
from monitor.records import Attack, Evidence

_OTHER_TIME = re.compile(
    r"\b(?:last (?:week|month|year)|earlier this (?:week|month|year)|previous(?:ly)?|"
    r"in (?:early |late |mid-)?(?:january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b(?! \d)|in (?:19|20)\d\d|a similar|"
    r"(?:weeks|months|years) (?:ago|earlier|before))"
)
_SAME_DAYS = 1
_LEDE = 4
_ANAPHOR = re.compile(
    r"\b(?:the|this|that|today's|yesterday's|monday's|tuesday's|wednesday's|thursday's|"
    r"friday's|saturday's|sunday's|sunday’s|monday’s|tuesday’s|wednesday’s|thursday’s|"
    r"friday’s|saturday’s)\s+(?:\w+\s+)?(?:attack|strike|blast|explosion|bombing|assault|"
    r"ambush|incident|barrage|salvo|raid|base|embassy|consulate|compound|airfield|camp|ship|"
    r"destroyer|vessel|tanker|facility|post|outpost|violence|assault|assaults|siege|fighting|"
    r"bomber|attackers|gunmen)\b"
)


@dataclass
class Context:
    """What the readers share about one item."""

    doc: Document
    reference: date | None
    today: date
    times: dict[int, list[TimeExpr]] = field(default_factory=dict)
    mentioned: list[date] = field(default_factory=list)


class AttackBuilder:
    """Turns frames into :class:`~monitor.records.Attack` records."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.dates = DateReader(lexicon)
        self.targets = TargetReader(lexicon)
        self.places = PlaceReader(lexicon)
        self.weapons = WeaponReader(lexicon)
        self.actors = ActorReader(lexicon)

    def main(self, ctx: Context, frames: list[Frame], context: list[Frame]) -> Attack:
        """The item's main attack from its event frames (``context``: later sentences)."""
        evidence = [
            Evidence("sentence", f.sentence.text[:300], round(f.score, 2)) for f in frames[:3]
        ]
        event_date, date_note = self._date(ctx, frames)
        evidence.append(Evidence("date", date_note))
        target = self.targets.best(frames[:4])
        if target:
            evidence.append(Evidence("target", _describe(target), round(target.score, 2)))
        location = self.places.locate(frames[:4], target)
        if location.place:
            evidence.append(Evidence("place", f"{location.place} ({location.how})"))
        weapon = self.weapons.read(frames)
        evidence.append(
            Evidence("weapon", f"{weapon.weapon} ({', '.join(weapon.words) or 'no weapon named'})")
        )
        killed, injured, notes = self._casualties(ctx, frames, context, event_date, target)
        evidence.extend(Evidence("casualties", n) for n in notes)
        perpetrator = self.actors.read(ctx.doc, frames)
        if perpetrator:
            evidence.append(
                Evidence("perpetrator", f"{perpetrator.name} ({perpetrator.status or 'stated'})")
            )
        return Attack(
            event_date=event_date,
            country=location.country,
            place=location.place,
            site=location.site,
            target=target.text if target else None,
            target_type=target.type if target else None,
            target_nationality=target.nationality if target else None,
            weapon=weapon.weapon,
            munitions=weapon.munitions,
            killed=killed,
            injured=injured,
            perpetrator=perpetrator.name if perpetrator else None,
            perpetrator_status=perpetrator.status if perpetrator else None,
            evidence=tuple(evidence),
        )

    # --- date --------------------------------------------------------------------------

    def _date(self, ctx: Context, frames: list[Frame]) -> tuple[date | None, str]:
        reporting: tuple[date, str] | None = None
        for frame in frames:
            sentence = frame.sentence
            for expr in ctx.times.get(sentence.index, []):
                if frame.in_background(expr.start):
                    continue
                found = self.dates.resolve(expr, ctx.reference, ctx.mentioned, ctx.today)
                if found is None or (ctx.reference and found > ctx.reference + timedelta(days=2)):
                    continue
                note = f"'{expr.text}' -> {found}" + (
                    f" (reference {ctx.reference})" if ctx.reference else ""
                )
                if self.dates.is_reporting_date(sentence, expr):
                    reporting = reporting or (found, note + ", day of the statement")
                    continue
                return found, note
        if reporting:
            return reporting
        if ctx.reference:
            return ctx.reference, f"no date in the text: publication date {ctx.reference}"
        return None, "no date in the text and no publication date"

    # --- casualties --------------------------------------------------------------------

    def _casualties(
        self,
        ctx: Context,
        frames: list[Frame],
        context: list[Frame],
        event_date: date | None,
        target: Target | None,
    ) -> tuple[int | None, int | None, list[str]]:
        ordered = self._casualty_sentences(ctx, frames, context, event_date, target)
        counts = [(f, casualties.read(f.sentence, f.background_spans)) for f in ordered]
        killed, killed_note = _first(counts, "killed")
        injured, injured_note = _first(counts, "injured")
        if killed:
            killed = _without_attackers(killed, counts)
        deaths_told = any(m.has("killed") for f, _ in counts for m in f.main)
        if killed is None and injured is not None and not deaths_told:
            killed, killed_note = 0, "no death reported, only injuries"
        notes = [n for n in (killed_note, injured_note) if n]
        return killed, injured, notes

    def _casualty_sentences(
        self,
        ctx: Context,
        frames: list[Frame],
        context: list[Frame],
        event_date: date | None,
        target: Target | None,
    ) -> list[Frame]:
        """The body sentences about the main attack, in order, then the headline."""
        first = frames[0].sentence.index if frames else -1
        lede = {s.index for s in ctx.doc.lede(_LEDE)}
        chosen = [
            f
            for f in frames
            if not f.sentence.title
            and (f.sentence.index == first or not self._foreign(ctx, f, event_date))
        ]
        seen = {f.sentence.index for f in chosen}
        for frame in context:
            index = frame.sentence.index
            if index in seen or self._foreign(ctx, frame, event_date):
                continue
            follows = index - 1 in seen and bool(frame.casualties)
            if index in lede or follows or _about(frame, target) or _only_zeros(frame):
                chosen.append(frame)
                seen.add(index)
        chosen.sort(key=lambda f: f.sentence.index)
        return chosen + [f for f in frames if f.sentence.title]

    def _foreign(self, ctx: Context, frame: Frame, event_date: date | None) -> bool:
        """A sentence about another event: dated to another day, or 'last month'..."""
        sentence = frame.sentence
        if _OTHER_TIME.search(sentence.lower):
            return True
        if event_date is None:
            return False
        for expr in ctx.times.get(sentence.index, []):
            found = self.dates.resolve(expr, ctx.reference, ctx.mentioned, ctx.today)
            if found and abs((found - event_date).days) > _SAME_DAYS:
                return True
        return False


def _first(
    counts: list[tuple[Frame, casualties.SentenceFigures]], kind: str
) -> tuple[int | None, str]:
    zero: tuple[int, str] | None = None
    for frame, figures in counts:
        value = figures.figure(kind)
        if value is None:
            continue
        note = f"{kind} {value}: {frame.sentence.text[:200]}"
        if value > 0:
            return value, note
        zero = zero or (0, note)
    return zero if zero else (None, "")


def _without_attackers(killed: int, counts: list[tuple[Frame, casualties.SentenceFigures]]) -> int:
    """A toll that counted the attackers ('16 dead, six of them attackers') is 10."""
    for _, figures in counts:
        for count in figures.counts:
            if count.kind == "killed" and count.attackers and count.total == killed:
                return count.victims if count.victims is not None else killed
    return killed


def _only_zeros(frame: Frame) -> bool:
    """'No U.S. service members were wounded': such a statement is about the attack."""
    counts = casualties.read(frame.sentence, frame.background_spans).counts
    return bool(counts) and all(c.victims == 0 for c in counts)


def _about(frame: Frame, target: Target | None) -> bool:
    """A later sentence about the main attack: "the attack", "the base", its named site."""
    sentence = frame.sentence
    if frame.generic:
        return False
    if (
        target
        and target.site_key
        and any(
            (t := m.get("site")) is not None and t.value == target.site_key
            for m in sentence.mentions
        )
    ):
        return True
    return bool(_ANAPHOR.search(sentence.lower))


def _describe(target: Target) -> str:
    parts = [
        target.text,
        target.type or "type unknown",
        target.nationality or "nationality unknown",
    ]
    return f"{parts[0]} ({parts[1]}, {parts[2]}" + (f": {target.how})" if target.how else ")")


def timed_sentences(ctx: Context, sentences: list[Sentence]) -> set[int]:
    """Indexes of the sentences that carry a time expression."""
    return {s.index for s in sentences if ctx.times.get(s.index)}
