"""When did the attack happen? Time expressions, the reference date, and their resolution.

Expressions: full dates ("Feb. 15, 2021", "15 février 2021", "2021-02-15"), month and day
("on March 3"), weekdays ("early Friday", "Monday's attack", "Monday 15"), relative days
("yesterday", "last night"). They resolve against the *reference date*: the publication
date, else a dateline in the page ("Posted: Tue, Feb 16th, 2021"). A weekday is the latest
such day on or before the reference (published Saturday the 9th, "Friday" is the 8th).
A month and day without a year takes the reference's year (or the year before when that
would put it in the future); without a reference, the most recent year matching its weekday,
or the year that puts it within weeks after the latest date the article mentions (else
the year is unknown, and so is the date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from monitor.detect.lexicon import Lexicon
from monitor.detect.text import Document, Sentence

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_YEAR = r"(?:19|20)\d\d"
_SPEECH = re.compile(
    r"(?:said|says|say|told [\w.]+|told reporters|announced|reported|confirmed|stated|added|"
    r"tweeted|wrote|posted|statement(?: issued)?|briefing|declared|acknowledged)"
    r"\s+(?:on\s+|late\s+|early\s+|earlier\s+)*$"
)
_SPEECH_AFTER = re.compile(
    r"^,?\s+(?:\S+\s+){0,7}?(?:said|says|announced|reported|confirmed|told|stated|"
    r"identified|named)\b"
)
#: A toll update's day: "the death toll rose to 100 on Tuesday" dates the figure.
_TOLL_UPDATE = re.compile(
    r"\b(?:rose|risen|rises|climbed|climbs|jumped|increased|reached|stood at|stands at)\s+"
    r"(?:to\s+)?(?:at least\s+|more than\s+|over\s+)?\d[\d,]*(?:\s+[a-z]+){0,2}?\s+"
    r"(?:on\s+|late\s+|early\s+)*$"
)
_PREVIOUS_DAY = re.compile(
    r"\b(?:the previous day|a day earlier|the day before|the night before)\b"
)
_DATELINE_WORDS = re.compile(r"^\W*(?:posted|published|updated|last updated|date|dated)\b")
_FAR_FUTURE = timedelta(days=2)
#: A month and day without a year take the year of a date the text mentions this close before.
_CONTEXT_REACH = timedelta(days=45)
_DIGIT = re.compile(r"\d")
_OPENING = 12


@dataclass(frozen=True, slots=True)
class TimeExpr:
    """A time expression: absolute offsets in the document and what it says."""

    start: int
    end: int
    text: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    offset: int | None = None

    @property
    def full(self) -> date | None:
        """The date, when year, month and day are all given and valid."""
        if self.year and self.month and self.day:
            return _safe_date(self.year, self.month, self.day)
        return None


class DateReader:
    """Finds and resolves time expressions with the lexicon's time words."""

    def __init__(self, lexicon: Lexicon) -> None:
        month = _alternation(lexicon.months)
        weekday = _alternation(lexicon.weekdays)
        abbr = _alternation(lexicon.weekday_abbreviations)
        relative = _alternation(lexicon.relative_days)
        self._months = {k.rstrip("."): v for k, v in lexicon.months.items()}
        self._weekdays = {**lexicon.weekdays, **lexicon.weekday_abbreviations}
        self._relative = lexicon.relative_days
        lead = rf"(?:(?P<wd>{weekday}|{abbr})\.?,?\s+(?:the\s+)?)?"
        self._patterns = [
            re.compile(
                rf"(?<!\w){lead}(?P<m>{month})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
                rf"(?:,?\s+(?P<y>{_YEAR}))?"
            ),
            re.compile(
                rf"(?<![\w\d]){lead}(?P<d>\d{{1,2}})(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+|of\s+)?"
                rf"(?P<m>{month})(?:\s*/\s*(?:{month}))?\.?(?:,?\s+(?:de\s+)?(?P<y>{_YEAR}))?"
            ),
            re.compile(rf"(?<!\d)(?P<y>{_YEAR})-(?P<mn>\d\d)-(?P<d>\d\d)(?!\d)"),
            re.compile(rf"(?<![\d.])(?P<d>\d\d)[./](?P<mn>\d\d)[./](?P<y>{_YEAR})(?!\d)"),
            re.compile(
                rf"(?<!\w)(?P<wd>{weekday})(?:'s|’s)?(?:\s+(?P<d>\d{{1,2}})(?![\d:.]))?(?!\w)"
            ),
            re.compile(rf"(?<!\w)(?P<rel>{relative})(?!\w)"),
        ]
        self._month_year = re.compile(rf"(?<!\w)(?P<m>{month})\.?,?\s+(?P<y>{_YEAR})(?!\d)")
        self._year = re.compile(rf"(?<![\d/.-])({_YEAR})(?![\d/-])")

    # --- finding -----------------------------------------------------------------------

    def find(self, sentence: Sentence) -> list[TimeExpr]:
        """Time expressions in ``sentence``, in order, longest first where they overlap."""
        if sentence.times is None:
            sentence.times = self._find(sentence)
        return sentence.times

    def _find(self, sentence: Sentence) -> list[TimeExpr]:
        text = sentence.lower.translate(_ARABIC_DIGITS)
        found: list[TimeExpr] = []
        taken = bytearray(len(text))
        # A wire dateline's day ("BOGOTA, June 16 (Reuters) -") is when the report was filed.
        taken[: sentence.dateline] = b"\x01" * min(sentence.dateline, len(text))
        patterns = self._patterns if _DIGIT.search(text) else self._patterns[-2:]
        for pattern in patterns:
            for match in pattern.finditer(text):
                if taken.find(1, match.start(), match.end()) != -1:
                    continue
                expr = self._expr(match, sentence.start)
                if expr is not None:
                    taken[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
                    found.append(expr)
        return _merge_weekdays(sorted(found, key=lambda e: e.start), text, sentence.start)

    def _expr(self, match: re.Match[str], offset: int) -> TimeExpr | None:
        groups = {k: v for k, v in match.groupdict().items() if v}
        month = self._months.get(groups["m"].rstrip(".")) if "m" in groups else None
        if "mn" in groups:
            month = int(groups["mn"])
        day = int(groups["d"]) if "d" in groups else None
        if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
            return None
        weekday = self._weekdays.get(groups["wd"]) if "wd" in groups else None
        return TimeExpr(
            start=offset + match.start(),
            end=offset + match.end(),
            text=match.group(),
            year=int(groups["y"]) if "y" in groups else None,
            month=month,
            day=day,
            weekday=weekday,
            offset=self._relative.get(groups["rel"]) if "rel" in groups else None,
        )

    def mentioned_dates(self, doc: Document) -> list[date]:
        """Every full date (and month-year, as its first day) the document mentions."""
        dates: list[date] = []
        for sentence in doc.sentences:
            if not _DIGIT.search(sentence.lower):
                continue  # every full date has digits
            dates.extend(d for e in self.find(sentence) if (d := e.full))
            for match in self._month_year.finditer(sentence.lower):
                month = self._months.get(match.group("m").rstrip("."))
                if month:
                    dates.append(date(int(match.group("y")), month, 1))
        return dates

    def caption_date(self, doc: Document, words: frozenset[str]) -> tuple[date, str] | None:
        """A full date in a photo caption that shows the attack (names it or its site)."""
        for sentence in doc.sentences:
            if not sentence.caption or not any(w in sentence.lower for w in words):
                continue
            for expr in self.find(sentence):
                if expr.full:
                    return expr.full, sentence.text[:120]
        return None

    # --- the reference date ------------------------------------------------------------

    def dateline(self, doc: Document) -> date | None:
        """A date the page prints as its own (a byline or 'Posted:' line), if any."""
        candidates = doc.sentences[1:7] + doc.sentences[-3:]
        for sentence in candidates:
            for expr in self.find(sentence):
                full = expr.full
                if full is None:
                    continue
                short = len(sentence.text) <= 2.5 * len(expr.text) + 12
                if short or _DATELINE_WORDS.match(sentence.lower):
                    return full
        return None

    # --- resolution --------------------------------------------------------------------

    def resolve(
        self, expr: TimeExpr, reference: date | None, context: list[date], today: date
    ) -> date | None:
        """The calendar date ``expr`` means, or None when it cannot be known."""
        if expr.full:
            return expr.full
        if expr.offset is not None:
            return reference + timedelta(days=expr.offset) if reference else None
        if expr.month and expr.day:
            return _month_day(expr, reference, context, today)
        if expr.weekday is not None and reference is not None:
            if expr.day:
                return _weekday_with_day(expr.day, reference)
            back = (reference.weekday() - expr.weekday) % 7
            return reference - timedelta(days=back)
        return None

    @staticmethod
    def is_reporting_date(sentence: Sentence, expr: TimeExpr) -> bool:
        """'said on Wednesday', 'On Thursday the CIA said', 'the toll rose to 100 on
        Tuesday': a statement's (or a figure's) day, not the attack's."""
        rel_start, rel_end = expr.start - sentence.start, expr.end - sentence.start
        before = sentence.lower[max(0, rel_start - 40) : rel_start]
        after = sentence.lower[rel_end : rel_end + 60]
        # "On Thursday the CIA said...": only a sentence opening this way dates the statement.
        opening = rel_start <= _OPENING
        return bool(
            _SPEECH.search(before)
            or _TOLL_UPDATE.search(before)
            or (opening and _SPEECH_AFTER.match(after))
        )

    @staticmethod
    def previous_day(sentence: Sentence) -> bool:
        """'... the previous day': the attack was the day before the statement."""
        return bool(_PREVIOUS_DAY.search(sentence.lower))


def _merge_weekdays(found: list[TimeExpr], text: str, offset: int) -> list[TimeExpr]:
    """'Thursday (August 13)': one expression, whose weekday can settle the year."""
    merged: list[TimeExpr] = []
    for expr in found:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.weekday is not None
            and last.month is None
            and expr.month
            and expr.day
            and expr.weekday is None
            and re.fullmatch(r"[\s,(]*", text[last.end - offset : expr.start - offset])
        ):
            gap = text[last.end - offset : expr.start - offset]
            merged[-1] = replace(
                expr, start=last.start, weekday=last.weekday, text=f"{last.text}{gap}{expr.text}"
            )
            continue
        merged.append(expr)
    return merged


def _month_day(
    expr: TimeExpr, reference: date | None, context: list[date], today: date
) -> date | None:
    assert expr.month and expr.day
    if reference is not None:
        found = _safe_date(reference.year, expr.month, expr.day)
        if found and found > reference + _FAR_FUTURE:
            found = _safe_date(reference.year - 1, expr.month, expr.day)
        return found
    if expr.weekday is not None:
        for year in range(today.year, today.year - 40, -1):
            found = _safe_date(year, expr.month, expr.day)
            if found and found <= today and found.weekday() == expr.weekday:
                return found
    if context:
        # "In October 2000 ... on October 12": the year of the latest date mentioned, if the
        # day falls within weeks of it; months later ("January 2020 ... July 7") the year
        # is a guess, and an unknown date is better than a wrong year.
        floor = max(context)
        for year in (floor.year, floor.year + 1):
            found = _safe_date(year, expr.month, expr.day)
            if found and floor <= found <= floor + _CONTEXT_REACH:
                return found
    return None


def _weekday_with_day(day: int, reference: date) -> date | None:
    found = _safe_date(reference.year, reference.month, day)
    if found and found <= reference + _FAR_FUTURE:
        return found
    previous = reference.replace(day=1) - timedelta(days=1)
    return _safe_date(previous.year, previous.month, day)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _alternation(words: dict[str, int]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(w) for w in ordered)
