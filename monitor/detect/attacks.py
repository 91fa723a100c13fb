"""Assemble the attacks an item reports from its frames: fields and the evidence for each.

The main attack is the one the headline and lede report; its fields come from those
sentences first, then from later sentences about the same event (never from background
clauses, and never from sentences dated to another day). A round-up lists further attacks
(:func:`extra_attacks`): other sentences that report, in a main clause, an attack on
another target in the same days.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from monitor.detect import casualties
from monitor.detect.actors import ActorReader
from monitor.detect.dates import DateReader, TimeExpr
from monitor.detect.frames import Frame
from monitor.detect.lexicon import Lexicon, Mention
from monitor.detect.places import PlaceReader
from monitor.detect.targets import Target, TargetReader
from monitor.detect.text import Document, Sentence
from monitor.detect.weapons import WeaponReader, WeaponReading
from monitor.records import Attack, Evidence

_OTHER_TIME = re.compile(
    r"\b(?:last (?:week|month|year)|earlier this (?:week|month|year)|previous(?:ly)?|"
    r"in (?:early |late |mid-)?(?:january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b(?! \d)|in (?:19|20)\d\d|a similar|"
    r"(?:weeks|months|years) (?:ago|earlier|before))"
)
_SAME_DAYS = 1
_MAX_EXTRAS = 6
#: How many sentences after the attack's own may tell its weapon when those name none.
_NEAR = 2
#: Interceptions name no target hit: "a drone was downed near the airport".
_INTERCEPTED = frozenset({"downed", "shot down", "intercepted"})
#: A date more than this many days before publication, in a later sentence, is background.
_BACKGROUND_DAYS = 3
#: The headline and first lede sentences: their dates are the attack's, however old.
_LEAD_FRAMES = 2
_CAPTION_WORDS = frozenset(
    {"attack", "rocket", "strike", "bomb", "blast", "explosion", "drone", "missile", "assault"}
)
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
    frames: dict[int, Frame] = field(default_factory=dict)


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
        target = self.targets.best(frames[:4])
        seen = {f.sentence.index for f in frames}
        later = [f for f in context if f.sentence.index not in seen and _about(f, target)]
        event_date, date_note = self._date(ctx, frames + later)
        lede = [
            ctx.frames[s.index]
            for s in [ctx.doc.headline, *ctx.doc.lede(2)]
            if s.index in ctx.frames
        ]
        location = self.places.locate(frames[:4], target, lede, ctx.doc.dateline)
        target = _at_home(target, location.country, frames[:4])
        weapon = self._weapon(ctx, frames, later, event_date, context)
        killed, injured, notes = self._casualties(ctx, frames, context, event_date, target)
        perpetrator = self.actors.read(ctx.doc, frames, _elsewhere)
        evidence = [
            Evidence("sentence", f.sentence.text[:300], round(f.score, 2)) for f in frames[:3]
        ]
        if target:
            evidence.append(Evidence("target", _describe(target), round(target.score, 2)))
        evidence.append(Evidence("date", date_note))
        if location.place:
            evidence.append(Evidence("place", location.how))
        words = ", ".join(dict.fromkeys(weapon.words)) or "none"
        evidence.append(Evidence("weapon", f"words: {words}"))
        evidence.extend(Evidence("casualties", n) for n in notes)
        if perpetrator:
            status = perpetrator.status or "stated"
            evidence.append(Evidence("perpetrator", f"{status}: {perpetrator.text}"))
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

    def _weapon(
        self,
        ctx: Context,
        frames: list[Frame],
        later: list[Frame],
        event_date: date | None,
        context: list[Frame],
    ) -> WeaponReading:
        """The weapons of the attack's own sentences (not those dated to another day)."""
        first = frames[0].sentence.index if frames else -1
        own = [
            f for f in frames if f.sentence.index == first or not self._foreign(ctx, f, event_date)
        ]
        weapon = self.weapons.read(own)
        if not weapon.specific and own:
            # "Baledogle under fire" names no weapon: the sentences right after the lede
            # that tell how ("Two car bombs exploded at the perimeter before gunmen...")
            # may, though they name no target themselves.
            last = max(f.sentence.index for f in own)
            seen = {f.sentence.index for f in own}
            near = [
                f
                for f in context
                if f.sentence.index not in seen
                and f.sentence.index <= last + _NEAR
                and f.score > 0
                and not (f.background or f.hypothetical or f.generic)
                and not self._foreign(ctx, f, event_date)
            ]
            told = self.weapons.read(sorted(own + near, key=lambda f: f.sentence.index))
            if told.specific:
                weapon = told
        later = [f for f in later if not self._foreign(ctx, f, event_date)]
        if weapon.weapon == "unknown" and later:
            # Nothing named in the lede: a later sentence about the attack may say it (one
            # about another day's strike, "On Friday a drone strike killed...", may not).
            weapon = self.weapons.read(own + later)
        return weapon

    # --- round-ups ---------------------------------------------------------------------

    def extras(self, ctx: Context, frames: list[Frame], main: Attack) -> list[Attack]:
        """Further attacks a round-up reports: other named sites of the same side, hit in
        main clauses in the same days ("separate strikes on US forces at al-Asad and at
        the Conoco gas field"). Background and other days never count."""
        if main.target_nationality is None:
            return []
        seen = {main.site}
        found: list[Attack] = []
        for frame in frames:
            if not self._reports(ctx, frame, main):
                continue
            for target in self.targets.candidates(frame):
                if target.site_key in seen or target.nationality != main.target_nationality:
                    continue
                attack = self._extra(ctx, frame, target, main)
                if attack is None or (main.site is None and attack.country == main.country):
                    continue  # perhaps the main attack's own, unnamed, place
                seen.add(target.site_key)
                found.append(attack)
        return found[:_MAX_EXTRAS]

    def _reports(self, ctx: Context, frame: Frame, main: Attack) -> bool:
        """A sentence that itself reports an attack of these days (no background)."""
        sentence = frame.sentence
        if not frame.is_event or frame.hypothetical or frame.generic or frame.background:
            return False
        if sentence.tagged("reference") or any(
            a.text.lower() in _INTERCEPTED for a in frame.anchors
        ):
            return False
        return self._same_days(ctx, frame, main)

    def _extra(self, ctx: Context, frame: Frame, target: Target, main: Attack) -> Attack | None:
        if target.role != "patient" or target.site_key is None:
            return None
        location = self.places.locate([frame], target)
        figures = casualties.read(frame.sentence, frame.background_spans)
        weapon = self.weapons.read([frame])
        perpetrator = self.actors.in_frame(frame)
        evidence = (
            Evidence("sentence", frame.sentence.text[:300], round(frame.score, 2)),
            Evidence("target", _describe(target), round(target.score, 2)),
        )
        return Attack(
            event_date=main.event_date,
            country=location.country,
            place=location.place,
            site=location.site,
            target=target.text,
            target_type=target.type,
            target_nationality=target.nationality,
            weapon=weapon.weapon if weapon.weapon != "unknown" else main.weapon,
            munitions=weapon.munitions,
            killed=figures.figure("killed"),
            injured=figures.figure("injured"),
            perpetrator=perpetrator.name if perpetrator else None,
            perpetrator_status=perpetrator.status if perpetrator else None,
            evidence=evidence,
        )

    def _same_days(self, ctx: Context, frame: Frame, main: Attack) -> bool:
        if _OTHER_TIME.search(frame.sentence.lower):
            return False
        return main.event_date is None or not self._foreign(ctx, frame, main.event_date)

    # --- date --------------------------------------------------------------------------

    def _date(self, ctx: Context, frames: list[Frame]) -> tuple[date | None, str]:
        """The attack's date: said in its sentences, else the publication date."""
        events: list[tuple[date, str]] = []
        reports: list[tuple[date, str]] = []
        loose: list[TimeExpr] = []
        for position, frame in enumerate(frames):
            for found, note, reporting in self._dates_in(ctx, frame, position, loose):
                (reports if reporting else events).append((found, note))
        if events:
            return events[0]
        past = next((m for f in frames[:_LEAD_FRAMES] if (m := _past_attack(f))), None)
        if past:
            # "injuries from last month's missile strike": the statement's day is not it.
            return None, f"the attack is dated only as '{past}'"
        if reports:
            return _statement_day(reports[0], ctx.reference)
        inferred = _year_from_weekday(loose, ctx.today)
        if inferred:
            return inferred
        caption = self.dates.caption_date(ctx.doc, _CAPTION_WORDS)
        if caption:
            return caption[0], f"photo caption of the attack: {caption[1]}"
        if ctx.reference:
            return ctx.reference, f"no date in the text: publication date {ctx.reference}"
        return None, "no date in the text and no publication date"

    def _dates_in(
        self, ctx: Context, frame: Frame, position: int, loose: list[TimeExpr]
    ) -> Iterator[tuple[date, str, bool]]:
        """The dates one sentence gives the attack: (date, how, is it a statement's day).
        Expressions that cannot be resolved alone are added to ``loose``."""
        sentence = frame.sentence
        exprs = [e for e in ctx.times.get(sentence.index, []) if not frame.in_background(e.start)]
        if frame.focus:
            exprs = [e for e in exprs if frame.focus[0] <= e.start < frame.focus[1]]
        statement = self._statement_date(ctx, sentence, exprs)
        for expr in exprs:
            reporting = self.dates.is_reporting_date(sentence, expr)
            # "today's attack", quoted in a statement made on Wednesday: Wednesday.
            anchor = statement if expr.offset is not None and statement else ctx.reference
            found = self.dates.resolve(expr, anchor, ctx.mentioned, ctx.today)
            if found is None:
                if not reporting:
                    loose.append(expr)
                continue
            note = f"'{expr.text}' -> {found}" + (
                f" (reference {ctx.reference})" if ctx.reference else ""
            )
            if reporting and self.dates.previous_day(sentence):
                found, reporting = found - timedelta(days=1), False
                note += ", the day before the statement"
            if ctx.reference and found > ctx.reference + timedelta(days=2):
                continue
            old = ctx.reference and (ctx.reference - found).days > _BACKGROUND_DAYS
            if position > _LEAD_FRAMES and old:
                continue  # a later sentence dating an older event
            yield found, note + (", day of the statement" if reporting else ""), reporting

    def _statement_date(
        self, ctx: Context, sentence: Sentence, exprs: list[TimeExpr]
    ) -> date | None:
        for expr in exprs:
            if expr.offset is None and self.dates.is_reporting_date(sentence, expr):
                return self.dates.resolve(expr, ctx.reference, ctx.mentioned, ctx.today)
        return None

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
        deaths_told = any(
            m.has("killed") and not casualties.reflexive(f.sentence, m)
            for f, _ in counts
            if not casualties.running_toll(f.sentence)
            for m in f.main
        )
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
        lede = {s.index for s in ctx.doc.body()[:_LEDE]}
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
            if frame.in_background(expr.start) or self.dates.is_reporting_date(sentence, expr):
                continue
            found = self.dates.resolve(expr, ctx.reference, ctx.mentioned, ctx.today)
            if found and abs((found - event_date).days) > _SAME_DAYS:
                return True
        return False


#: The attack itself dated only vaguely: "last month's Iranian missile strike".
_PAST_POSSESSIVE = re.compile(
    r"\b(?:last|previous) (?:week|weekend|month|year)(?:'s|’s)\s+(?:[\w\-]+\s+){0,4}?"
    r"(?:attack|attacks|strike|strikes|bombing|bombings|assault|raid)\b"
)


def _past_attack(frame: Frame) -> str | None:
    """The words dating the reported attack as last week's or month's, outside background."""
    for match in _PAST_POSSESSIVE.finditer(frame.sentence.lower):
        if not frame.in_background(frame.sentence.start + match.start()):
            return match.group(0)
    return None


def _at_home(target: Target | None, country: str | None, frames: list[Frame]) -> Target | None:
    """A military target with no nationality said, at a military place, in a country, with no
    other nation's forces named, is that country's own ("a shooting at Fort Hood, Texas",
    "an army base in Mali", Marines killed at a recruiting office in Chattanooga)."""
    if target is None or target.nationality or target.type != "military":
        return target
    if not (target.facility or any(_military_place(m) for f in frames for m in f.targets)):
        return target  # a soldier shot dead off duty at home is not an attack on the forces
    if country is None:
        return target
    named = {
        tag.value
        for frame in frames
        for m in frame.main
        for tag in m.all("nation")
        # the attacker's nationality ("a Saudi officer opened fire") says nothing of whose
        if tag.detail == "demonyms" and not _before_anchor(frame, m)
    }
    if named - {country}:
        return target
    return replace(target, nationality=country, how="the country's own (no other forces named)")


def _military_place(mention: Mention) -> bool:
    tag = mention.get("target")
    return tag is not None and tag.value == "military" and tag.detail == "places"


def _before_anchor(frame: Frame, mention: Mention) -> bool:
    return bool(frame.anchors) and mention.end <= frame.anchors[0].start


def _statement_day(found: tuple[date, str], reference: date | None) -> tuple[date, str]:
    """Only a statement's day dates the attack. A statement made the day the report came
    out ("CENTCOM said on Wednesday", published Wednesday) tells of an attack of the night
    or the day before, or the report would date the attack itself; a statement of an
    earlier day was made the day of the attack."""
    day, note = found
    if reference is not None and day == reference:
        return day - timedelta(days=1), f"{note}, made the day of publication: the day before"
    return found


def _year_from_weekday(loose: list[TimeExpr], today: date) -> tuple[date, str] | None:
    """No reference date, but "on Tuesday" and "On March 12" together: the year they agree."""
    weekdays = [e for e in loose if e.weekday is not None and e.month is None]
    month_days = [e for e in loose if e.month and e.day and e.year is None]
    if not weekdays or not month_days:
        return None
    weekday, day = weekdays[0], month_days[0]
    for year in range(today.year, today.year - 40, -1):
        try:
            found = date(year, day.month or 1, day.day or 1)
        except ValueError:
            continue
        if found <= today and found.weekday() == weekday.weekday:
            return found, f"'{weekday.text}' and '{day.text}' agree on {found}"
    return None


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
    """A toll that counted the attackers ('16 dead, six of them attackers') is 10; but
    "killing three policemen before police shot dead three of the attackers" is 3: a
    figure told of victims alone is not the attackers' count."""
    of_victims = any(
        c.kind in ("killed", "both") and c.victims == killed and not c.attackers
        for _, figures in counts
        for c in figures.counts
    )
    for _, figures in counts:
        for count in figures.counts:
            if count.kind == "killed" and count.attackers and count.total == killed:
                if of_victims and not count.victims:
                    continue
                return count.victims if count.victims is not None else killed
    return killed


def _elsewhere(sentence: Sentence) -> bool:
    """A sentence about another time: "In December a similar barrage..."."""
    return bool(_OTHER_TIME.search(sentence.lower))


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
    """How the target was read: its role and where its nationality came from."""
    how = target.how or "no nationality said"
    return f"{target.role} '{target.text}'; nationality: {how}"
