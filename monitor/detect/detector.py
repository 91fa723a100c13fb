"""The detector: is an entry a report of a specific attack? Which, where, when, by whom?

Per entry: a cheap scan for any weapon or attack word (most news stops here); then the
text is read sentence by sentence (frames.py), the headline and lede are weighed against
hard-negative cues (decide.py), and for an attack report the fields of each attack are
extracted (attacks.py) and matched against the watch rules (watch.py). Every verdict keeps
its evidence: the sentences that decided, the cues that weighed against, the rule matched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime

from monitor.config import WatchRule
from monitor.detect import lexicon as lexicon_module
from monitor.detect.attacks import AttackBuilder, Context
from monitor.detect.decide import Decision, decide
from monitor.detect.frames import Frame, read_frame
from monitor.detect.text import Document, Sentence
from monitor.detect.watch import matching_rules
from monitor.records import Attack, Entry, Evidence, Verdict

#: How much of the body the cheap trigger scan reads.
_SCAN_CHARS = 2500
#: Lede sentences read as candidate event reports.
_LEDE = 6
#: Body sentences read for the fields of the main attack.
_CONTEXT = 14


class Detector:
    """Classifies entries and matches their attacks against watch rules."""

    def __init__(self, rules: Sequence[WatchRule], today: date | None = None) -> None:
        self.rules = list(rules)
        self.lexicon = lexicon_module.load()
        self.builder = AttackBuilder(self.lexicon)
        self._today = today

    def detect(self, entry: Entry) -> Verdict:
        """The verdict for one entry, with its evidence."""
        head = f"{entry.title}\n{entry.body[:_SCAN_CHARS]}"
        if not self.lexicon.has_trigger(head.lower(), head):
            return Verdict(False, 0.0, reason="no weapon or attack word in the headline or lede")
        doc = Document(entry.title, entry.body, self.lexicon)
        ctx = self._context(doc, entry)
        frames = self._frames(ctx, [doc.headline, *doc.lede(_LEDE)])
        has_time = any(ctx.times.get(f.sentence.index) for f in frames if f.is_event)
        decision = decide(doc, frames, self.lexicon, has_time)
        evidence = _decision_evidence(decision)
        if not decision.is_attack:
            return Verdict(False, decision.score, (), evidence, decision.reason)
        context = self._frames(ctx, doc.body()[:_CONTEXT])
        main = self.builder.main(ctx, decision.frames, context)
        others = self.builder.extras(ctx, [*frames, *context], main)
        attacks = tuple(self._watched(a, entry) for a in [main, *others])
        rules = dict.fromkeys(name for a in attacks for name in a.watch)
        evidence += tuple(Evidence("rule", name, 1.0) for name in rules)
        reason = decision.reason + (f"; a round-up of {len(attacks)} attacks" if others else "")
        return Verdict(True, decision.score, attacks, tuple(evidence), reason)

    def _context(self, doc: Document, entry: Entry) -> Context:
        today = self._today or datetime.now(UTC).date()
        reference = entry.published.date() if entry.published else None
        reader = self.builder.dates
        ctx = Context(doc, reference or reader.dateline(doc), today)
        for sentence in doc.sentences[: 1 + _CONTEXT + 4]:
            ctx.times[sentence.index] = reader.find(sentence)
        ctx.mentioned = reader.mentioned_dates(doc)
        return ctx

    def _frames(self, ctx: Context, sentences: list[Sentence]) -> list[Frame]:
        reference = ctx.reference or ctx.today
        frames = []
        for s in sentences:
            frame = ctx.frames.get(s.index)
            if frame is None:
                timed = bool(ctx.times.get(s.index))
                frame = ctx.frames[s.index] = read_frame(s, self.lexicon, reference, timed)
            frames.append(frame)
        return frames

    def _watched(self, attack: Attack, entry: Entry) -> Attack:
        names = matching_rules(attack, entry.text, self.rules)
        rules = tuple(Evidence("rule", name, 1.0) for name in names)
        return dataclasses.replace(attack, watch=names, evidence=attack.evidence + rules)


def _decision_evidence(decision: Decision) -> tuple[Evidence, ...]:
    evidence = [
        Evidence(
            "headline" if f.sentence.title else "sentence", f.sentence.text[:300], round(f.score, 2)
        )
        for f in decision.frames[:3]
    ]
    if decision.genre:
        cues = ", ".join(dict.fromkeys(decision.cues))[:200]
        evidence.append(Evidence(f"genre:{decision.genre}", cues, -decision.penalty))
    return tuple(evidence)
