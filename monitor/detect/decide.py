"""Does the item report a specific attack? Event strength against hard-negative cues.

The *event score* is how clearly the headline and the lede report one real attack (see
frames.py): the best sentence counts fully, a second one corroborates, a time ("on
Monday", "Feb. 15") makes it specific. The *genre penalty* is the strongest hard-negative
kind among the cues of genres.toml (a court, a drill, a basketball score, a heart attack,
a threat), weighted by where the cues are: the headline most. The item is an attack report
when the event score minus the penalty reaches :data:`THRESHOLD`.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from monitor.detect.frames import STATISTIC, Frame
from monitor.detect.lexicon import Lexicon
from monitor.detect.text import Document

#: "Army beat Navy 20-17", "edged the Rams 3-2": a game's final score.
_FINAL_SCORE = re.compile(
    r"\b(?:beat|beats|defeated|defeats|edged|edges|won|downed|topped|routed|stunned)\b"
    r"[^.;]{0,40}?(?<![\d.-])\d{1,3}-\d{1,3}(?![\d-])"
)
#: "'The Siege' review: ...", "Review: a tense retelling", "Film review - ...": a headline
#: that labels itself a review (a bare "review" is news: "Pentagon orders review").
_REVIEW_HEADLINE = re.compile(r"(?:^review\b|['\"‘’“”]\s*review\b|\breview\s*[:|–—-])")
#: Event score minus genre penalty from which an item is an attack report.
THRESHOLD = 1.0
#: Weight of the lede sentences, by position.
_LEDE_WEIGHTS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.7)
_LEDE_CUES = 3
_BODY_CAP = 4
_HEADLINE_WEIGHT = 1.2
_TIME_BONUS = 0.3
#: A headline that itself reports an attack makes side topics (a deal signed the same day,
#: a withdrawal under way) weigh less.
_HEADLINE_EVENT_DISCOUNT = 0.6


@dataclass
class Decision:
    """The verdict on an item and what decided it."""

    is_attack: bool
    score: float
    event: float
    penalty: float
    genre: str | None
    frames: list[Frame] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """One line an analyst can read."""
        best = self.frames[0] if self.frames else None
        event = f"event score {self.event:.2f}" + (
            f" ({'; '.join(best.reasons)})" if best and best.reasons else ""
        )
        if self.genre:
            event += (
                f", minus {self.penalty:.2f} for {self.genre} cues ({', '.join(self.cues[:4])})"
            )
        verdict = "reports an attack" if self.is_attack else "no specific attack reported"
        return f"{verdict}: {event}"


def decide(doc: Document, frames: list[Frame], lexicon: Lexicon, has_time: bool) -> Decision:
    """Weigh the frames of the headline and lede against the genre cues of ``doc``."""
    headline, lede = frames[0], frames[1:]
    weighted = sorted(
        (f.score * w for f, w in zip(lede, _LEDE_WEIGHTS, strict=False)), reverse=True
    )
    first, second = [*weighted, 0.0, 0.0][:2]
    event = _HEADLINE_WEIGHT * headline.score + first + 0.5 * second
    if has_time and event >= 1.0:
        event += _TIME_BONUS
    events = {f.sentence.index for f in frames if f.is_event}
    genre, penalty, cues, framed = _genre(doc, lexicon, events)
    if headline.is_event and not framed:
        penalty *= _HEADLINE_EVENT_DISCOUNT
    net = event - penalty
    event_frames = [f for f in frames if f.is_event]
    return Decision(
        is_attack=net >= THRESHOLD and bool(event_frames),
        score=round(1 / (1 + math.exp(-2 * (net - THRESHOLD))), 3),
        event=round(event, 3),
        penalty=round(penalty, 3),
        genre=genre,
        frames=event_frames or [f for f in frames if f.score > 0],
        cues=cues,
    )


def _genre(
    doc: Document, lexicon: Lexicon, events: set[int]
) -> tuple[str | None, float, list[str], bool]:
    points: dict[str, float] = defaultdict(float)
    cues: dict[str, list[str]] = defaultdict(list)
    framed: set[str] = set()
    body_hits: dict[str, int] = defaultdict(int)
    lede_ids = {s.index for s in doc.lede(_LEDE_CUES)}
    for sentence in doc.sentences:
        where = "headline" if sentence.title else "lede" if sentence.index in lede_ids else "body"
        for mention in sentence.mentions:
            for tag in mention.all("genre"):
                if tag.detail == "strong":
                    continue
                kind = lexicon.genres[tag.value]
                if where == "body":
                    body_hits[tag.value] += 1
                    if body_hits[tag.value] > _BODY_CAP:
                        continue
                weight = getattr(kind, where)
                strong = any(t.kind == "genre" and t.detail == "strong" for t in mention.tags)
                # A cue inside a sentence that reports an attack weighs half: "contractor dies
                # of heart attack after rocket strike on base" is still a rocket strike.
                framing = kind.framing and where == "headline"
                within_event = 0.5 if sentence.index in events and not framing else 1.0
                points[tag.value] += weight * (2 if strong else 1) * within_event
                if framing:
                    framed.add(tag.value)
                cues[tag.value].append(mention.text)
    _shape_cues(doc, lexicon, points, cues)
    if not points:
        return None, 0.0, [], False
    genre = max(points, key=lambda g: points[g])
    return genre, points[genre], cues[genre], genre in framed


def _shape_cues(
    doc: Document, lexicon: Lexicon, points: dict[str, float], cues: dict[str, list[str]]
) -> None:
    """Cues in the shape of the text: a question headline, counts of attacks."""
    headline = doc.headline
    if headline.text.rstrip().endswith("?"):
        points["explainer"] += lexicon.genres["explainer"].headline
        cues["explainer"].append("question headline")
    if _REVIEW_HEADLINE.search(headline.lower.strip()):
        points["entertainment"] += 2 * lexicon.genres["entertainment"].headline
        cues["entertainment"].append("a review's headline")
    for sentence, where in [(headline, "headline"), *((s, "lede") for s in doc.lede(2))]:
        if _FINAL_SCORE.search(sentence.lower):
            points["sports"] += 2 * getattr(lexicon.genres["sports"], where)
            cues["sports"].append("a final score")
        for match in STATISTIC.finditer(sentence.lower):
            number = match.group().split()[0].replace(",", "")
            if not number.isdigit() or int(number) >= 10:
                points["statistics"] += getattr(lexicon.genres["statistics"], where)
                cues["statistics"].append(match.group())
