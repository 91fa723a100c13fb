"""An item's text as detection reads it: cleaned lines, sentences and lexicon mentions.

The text is lower-cased once and scanned once by the lexicon automaton; every sentence then
holds the mentions that fall inside it. Page clutter (share buttons, "read more", section
labels) and a body line repeating the headline are dropped; photo captions are kept but
flagged, because they describe pictures, not necessarily the reported event.

A wire report opens with a *dateline*, where it was filed ("NIAMEY, Niger (AP) —",
"BAGHDAD:", "Beirut (Reuters) -"): a weak hint of where the attack was, never part of the
sentence it opens. Its words are kept out of that sentence's mentions; the place it names
is kept as :attr:`Document.dateline`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from monitor.detect.lexicon import Lexicon, Mention

_BOUNDARY = re.compile(r"[.!?…]+[\"”’')\]]*\s+")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_DUPLICATE_RATIO = 90
#: A bracketed aside long enough to be a photo caption or an editor's note.
_INLINE_CAPTION = re.compile(r"\[[^\[\]\n]{20,1000}\]")
#: "ANKARA, Turkey (AP) —", "BAGHDAD:", "Kabul (Reuters) -", "BOGOTA, June 16 (Reuters) -",
#: "CÚCUTA.-", "بيروت -": a city in capitals, in Title Case before an agency in brackets, or
#: in Arabic before a spaced dash; then a region, the filing day, an agency, a dash.
_CAPS = "A-ZÀ-ÖØ-Þ"
_DATELINE = re.compile(
    rf"(?:[{_CAPS}][{_CAPS}'’.\-]+(?:\s+[{_CAPS}][{_CAPS}'’.\-]+){{0,3}}"
    r"|[A-Z][a-zà-ÿ'’\-]+(?:\s+[A-Z][a-zà-ÿ'’\-]+){0,2}(?=(?:,\s*[^,()—–:\n]{2,30})?\s*\()"
    r"|[\u0621-\u064a]+(?:\s+[\u0621-\u064a]+)?(?=\s+[-–—]\s))"
    r"(?:,\s*[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,2})?"
    r"(?:,\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\.?\s+[^\W\d_]{3,10}))?"
    r"(?:\s*\([^()]{1,40}\))?"
    r"\.?\s*(?:—|–|--|-|:)\s+(?=\S)"
)
#: Paragraphs whose first sentence may open with a dateline.
_DATELINE_PARAGRAPHS = 3
#: A lede sentence has at least this many words (not a byline or a label).
_MIN_WORDS = 5
_ABBREVIATIONS = frozenset(
    [
        "u.s",
        "u.n",
        "u.k",
        "u.s.a",
        "gen",
        "col",
        "lt",
        "capt",
        "sgt",
        "cmdr",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "vs",
        "etc",
        "inc",
        "co",
        "corp",
        "jr",
        "sr",
        "rep",
        "sen",
        "gov",
        "adm",
        "maj",
        "brig",
        "pvt",
        "spc",
        "cpl",
        "ft",
        "mt",
        "a.m",
        "p.m",
        "d.c",
        "va",
        "calif",
        "fla",
        "mass",
        # AP state abbreviations of datelines ("CHATTANOOGA, Tenn. (AP) —")
        "tenn",
        "okla",
        "ariz",
        "colo",
        "conn",
        "mich",
        "minn",
        "wis",
        "ala",
        "nev",
        "ky",
        "md",
        "ga",
        "n.c",
        "s.c",
        "n.y",
        "n.j",
        "n.m",
        "hon",
        "prof",
        "rev",
        "ave",
        "approx",
        "dept",
        "est",
        "fig",
        "lt.col",
        "e.g",
        "i.e",
    ]
)
_CLUTTER = re.compile(
    r"^(?:share|comment|comments|subscribe|read more|related|follow|sign up|newsletter|log in|"
    r"advertisement|click here|leave a|print|e-mail|view larger map|video|photo|image|watch|"
    r"tags?:|source:|more|next|previous|top stories|most read|home|local|world|news|security|"
    r"defense|defence|us news|all news|link to source|jump to content|skip to main content)\b"
)


@dataclass(slots=True)
class Sentence:
    """One sentence (or headline, or short line) with the mentions inside it."""

    index: int
    start: int
    end: int
    text: str
    lower: str
    title: bool = False
    caption: bool = False
    paragraph: int = 0
    mentions: list[Mention] = field(default_factory=list)
    #: Time expressions, filled and cached by the date reader.
    times: list[Any] | None = None
    words: int = 0
    #: Length of the dateline this sentence opens with (0: none).
    dateline: int = 0

    def tagged(self, kind: str) -> list[Mention]:
        """Mentions with a tag of ``kind``, in order."""
        return [m for m in self.mentions if m.has(kind)]


class Document:
    """The cleaned text of an entry, its mentions and its sentences."""

    def __init__(self, title: str, body: str, lexicon: Lexicon) -> None:
        self.title = " ".join(title.split())
        lines = _clean_lines(body, self.title)
        self.text = "\n".join([self.title, *lines])
        self.lower = _lower(self.text)
        self.mentions = lexicon.find(self.lower, self.text)
        self.sentences = _sentences(self.text, self.lower, len(self.title))
        self._body = [s for s in self.sentences[1:] if not s.caption]
        self._lede = [s for s in self._body if s.words >= _MIN_WORDS]
        #: The place a dateline names (where the report was filed), if any.
        self.dateline: Mention | None = None
        starts = [m.start for m in self.mentions]
        for sentence in self.sentences:
            lo = bisect.bisect_left(starts, sentence.start)
            hi = bisect.bisect_left(starts, sentence.end)
            sentence.mentions = [m for m in self.mentions[lo:hi] if m.end <= sentence.end]
        self._read_datelines()

    def _read_datelines(self) -> None:
        """Take the datelines' words out of the sentences they open (see the module)."""
        seen: set[int] = set()
        for sentence in self.sentences[1:]:
            if sentence.caption or sentence.paragraph in seen:
                continue
            seen.add(sentence.paragraph)
            if len(seen) > _DATELINE_PARAGRAPHS:
                break
            length = dateline_length(sentence.text)
            if not length:
                continue
            end = sentence.start + length
            inside = [m for m in sentence.mentions if m.end <= end]
            sentence.dateline = length
            sentence.mentions = [m for m in sentence.mentions if m.start >= end]
            place = next((m for m in inside if m.has("place")), None)
            self.dateline = self.dateline or place

    @property
    def headline(self) -> Sentence:
        """The title as a sentence."""
        return self.sentences[0]

    def body(self) -> list[Sentence]:
        """Body sentences, captions excluded."""
        return self._body

    def lede(self, count: int = 4) -> list[Sentence]:
        """The first ``count`` body sentences that are real sentences."""
        return self._lede[:count]


def dateline_length(text: str) -> int:
    """How many characters of ``text`` are a dateline ("BAGHDAD (AP) — "), else 0."""
    match = _DATELINE.match(text)
    return match.end() if match else 0


def _lower(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters grow when lower-cased; keep offsets aligned with the original.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _clean_lines(body: str, title: str) -> list[str]:
    title_key = _key(title)
    lines = []
    for raw in body.splitlines():
        line = " ".join(raw.split())
        if not line or _same(_key(line), title_key):
            continue
        words = _WORD.findall(line)
        if len(words) <= 12 and _CLUTTER.match(line.lower()) and not line.endswith("."):
            continue
        if len(words) <= 2 and not any(c.isdigit() for c in line):
            continue
        lines.append(line)
    return lines


def _same(line_key: str, title_key: str) -> bool:
    """The body repeats the headline (often re-cased or slightly reworded)."""
    if line_key == title_key:
        return True
    close = abs(len(line_key) - len(title_key)) <= 0.2 * len(title_key)
    return close and fuzz.ratio(line_key, title_key) >= _DUPLICATE_RATIO


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _sentences(text: str, lower: str, title_end: int) -> list[Sentence]:
    sentences = [Sentence(0, 0, title_end, text[:title_end], lower[:title_end], title=True)]
    offset = title_end + 1
    for paragraph, line in enumerate(text[offset:].split("\n"), 1):
        for start, end, caption in _pieces(line):
            sentences.append(
                Sentence(
                    len(sentences),
                    offset + start,
                    offset + end,
                    line[start:end],
                    lower[offset + start : offset + end],
                    caption=caption,
                    paragraph=paragraph,
                    words=line.count(" ", start, end) + 1,
                )
            )
        offset += len(line) + 1
    return sentences


def _pieces(line: str) -> Iterator[tuple[int, int, bool]]:
    """The sentences of a line, each with whether it is a caption. A bracketed aside of some
    length ("[Photo: ... file photo, Jan. 29, 2022.]") is a caption wherever it stands: a
    summary or a flattened page runs captions into the text around them."""
    if line.startswith("[") and line.rstrip().endswith("]"):
        yield from ((s, e, True) for s, e in _split(line))
        return
    start = 0
    for match in _INLINE_CAPTION.finditer(line):
        if match.group().count(" ") < 3:
            continue
        yield from ((s + start, e + start, False) for s, e in _split(line[start : match.start()]))
        yield match.start(), match.end(), True
        start = match.end() + len(line[match.end() :]) - len(line[match.end() :].lstrip())
    yield from ((s + start, e + start, False) for s, e in _split(line[start:]))


def _split(line: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _BOUNDARY.finditer(line):
        end = match.end()
        if end >= len(line) or not _ends_sentence(line, match.start(), end):
            continue
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = end
    if start < len(line):
        spans.append((start, len(line)))
    return [(s, e) for s, e in spans if line[s:e].strip()]


def _ends_sentence(line: str, stop: int, next_start: int) -> bool:
    following = line[next_start]
    if following.islower():
        return False
    before = line[:stop].rsplit(None, 1)[-1].lower() if line[:stop].strip() else ""
    before = before.strip("\"'“‘([")
    abbreviation = before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha())
    return not (line[stop] == "." and abbreviation)
