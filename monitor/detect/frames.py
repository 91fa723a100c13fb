"""Read one sentence as an attack event (a *frame*): its anchors, weapons, targets, agents.

A sentence reports an attack when its main clause has an attack word ("attack", "ambush",
"stormed") or a weapon doing something ("rockets hit", "a drone struck"), with something
attacked, casualties or a weapon. Clauses introduced by a reference marker ("after last
week's attack", "in response to") are background and do not count, unless the main clause
has no attack of its own ("Ten killed after car bomb explodes outside embassy"). Modal
words make the event hypothetical ("vowed to attack"), habitual words generic ("bases are
frequently attacked", "78 attacks since October").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from monitor.detect.lexicon import Lexicon, Mention
from monitor.detect.text import Sentence

_CLAUSE_END = re.compile(r"[,;:()\[\]]|\s[—–-]\s|\s(?:but|while|whereas|although)\s")
STATISTIC = re.compile(
    r"(?<![\d,])(?:\d[\d,]*|dozens|hundreds|scores)\s+(?:of\s+)?(?:\w+\s+){0,2}?"
    r"(?:attacks|strikes|times|هجوما|هجوماً|هجمات|ataques|attaques|ataków|angriffe)(?!\w)"
)
_AGGREGATE = re.compile(r"\b(?:since|over the past|in the past|so far|this year|within \d+ days)\b")
_MODAL_WINDOW = 60
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_TEMPORAL = frozenset(
    {"after", "following", "a day after", "days after", "hours after", "the day after"}
)
_PLURAL_SINCE = re.compile(r"\b(?:attacks|strikes|bombings|assaults)\b[^.;]{0,60}\bsince\b")
_FROM = re.compile(r"\bfrom\s+(?:the\s+|a\s+|an\s+)?(?:[\w\-’']+\s+){0,3}$")
_SAME_EVENT = re.compile(r"\s*(?:being|it was|they were|it had been|coming under)\b")
#: A time of day after "after"/"since": "after midnight", "after 2 a.m.", "after dawn".
_CLOCK = re.compile(
    r"\s+(?:about\s+|around\s+)?(?:midnight|dawn|daybreak|sunrise|sunset|dusk|nightfall|noon|"
    r"midday|\d{1,2}(?::\d\d)?\s*(?:a\.?m\b|p\.?m\b|o'clock|h\b)|\d{1,2}:\d\d)"
)
_CONTINUED = re.compile(r",\s+(?:killing|wounding|injuring|leaving|which|that|who|in which)\b")
_BY = re.compile(
    r"(?<!held )(?<!controlled )(?<!run )(?<!backed )(?<!armed )(?<!supported )(?<!led )"
    r"(?:\bby\s+(?:the\s+)?|\bpar\s+(?:des\s+|les\s+|un\s+|une\s+|le\s+|la\s+|l')?"
    r"|\bpor\s+(?:los\s+|las\s+|unos\s+|unas\s+|un\s+|una\s+|el\s+|la\s+)?"
    r"|\bpel[oa]s?\s+)$"
)
_MONTHS = {
    m: n
    for n, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        1,
    )
    for m in names.split()
}
_YEAR_BEFORE = re.compile(
    r"(?:\b(?P<m>[a-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+)?\b(?P<y>(?:19|20)\d\d)(?:'s|’s|,)?\s+"
    r"(?:[a-z][\w\-’']*\s+){0,2}$"
)
_MONTH_BEFORE = re.compile(
    r"\bthe\s+(january|february|march|april|june|july|august|september|october|november|"
    r"december)(?:'s|’s)?\s+(?:[a-z][\w\-’']*\s+){0,2}$"
)
_ATTACK_NOUNS = frozenset(
    {
        "attack",
        "attacks",
        "bombing",
        "bombings",
        "assault",
        "assaults",
        "ambush",
        "raid",
        "strike",
        "strikes",
        "attentat",
        "atentado",
        "ataque",
        "atak",
        "zamach",
        "anschlag",
    }
)
_PAST_DAYS = 7
#: What follows a participle used passively: "attacked in", "hit by", "targeted," (no object).
_PASSIVE_AFTER = re.compile(r"^\s*(?:by|in|after|at|on|near|as|amid|with|,|;|:|$)")


@dataclass
class Frame:
    """What one sentence says about an attack, and how strongly."""

    sentence: Sentence
    score: float = 0.0
    anchors: list[Mention] = field(default_factory=list)
    weapons: list[Mention] = field(default_factory=list)
    targets: list[Mention] = field(default_factory=list)
    casualties: list[Mention] = field(default_factory=list)
    agents: list[Mention] = field(default_factory=list)
    main: list[Mention] = field(default_factory=list)
    background_spans: list[tuple[int, int]] = field(default_factory=list)
    #: When the news is an "after" clause ("Oil prices jump after drone strikes hit..."),
    #: its span: times outside it are not the attack's.
    focus: tuple[int, int] | None = None
    hypothetical: bool = False
    generic: bool = False
    background: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def is_event(self) -> bool:
        """A specific, real attack is reported here."""
        return self.score >= 1.0

    def in_background(self, position: int) -> bool:
        """True when the absolute offset ``position`` is in a background clause."""
        return any(start <= position < end for start, end in self.background_spans)


def read_frame(
    sentence: Sentence, lexicon: Lexicon, reference: date | None = None, timed: bool = False
) -> Frame:
    """The attack frame of ``sentence`` (score 0 when it reports no attack).

    ``reference`` (the publication date, else today) lets "the 2012 attack" read as a past
    one; ``timed`` says the sentence dates what it tells ("on Monday"): it is specific.
    """
    frame = Frame(sentence)
    mentions = [m for m in sentence.mentions if not m.has("defence")]
    background = _background_spans(sentence, mentions)
    main = [m for m in mentions if not _inside(m, background)]
    acting = any(_is_anchor(m, lexicon) or _transitive(sentence, m, main) for m in main)
    news = None if acting else _news_after(mentions, background, lexicon)
    if background and not acting and (_casualty(main) or news):
        # "Ten killed after car bomb explodes...", "Oil prices jump after drone strikes on
        # Saudi oil plants": the "after" clause is the news itself.
        main, background = mentions, []
        frame.focus = news
    frame.main = main
    frame.background_spans = background
    frame.background = bool(background)
    anchors = [m for m in main if _is_anchor(m, lexicon) or _transitive(sentence, m, main)]
    frame.anchors = [m for m in anchors if not _dated_reference(sentence, m, reference)]
    if anchors and not frame.anchors:
        frame.reasons.append("only a past attack named by its year ('the 2012 attack')")
    frame.weapons = [m for m in main if _weapon_rank(m, lexicon) >= 2]
    frame.targets = [
        m for m in main if (m.has("target") or m.has("site")) and not _origin(sentence, m)
    ]
    frame.casualties = [
        m for m in main if m.has("killed") or m.has("injured") or m.has("casualties")
    ]
    frame.agents = _agents(sentence, main, frame.anchors)
    frame.hypothetical = _hypothetical(sentence, main, frame.anchors)
    frame.generic = _generic(sentence, main, timed)
    frame.score = _score(frame, lexicon)
    return frame


def _origin(sentence: Sentence, mention: Mention) -> bool:
    """ "launched from a base", "fired from Houthi-held territory": where it came from."""
    before = sentence.lower[
        max(0, mention.start - sentence.start - 30) : mention.start - sentence.start
    ]
    return bool(_FROM.search(before))


def _news_after(
    mentions: list[Mention], background: list[tuple[int, int]], lexicon: Lexicon
) -> tuple[int, int] | None:
    """A temporal clause ("after ...") that itself reports an attack on something: its span."""
    for start, end in background:
        marker = next((m for m in mentions if m.start == start), None)
        if marker is None or marker.text.lower() not in _TEMPORAL:
            continue
        inside = [m for m in mentions if start <= m.start < end]
        attacked = any(m.has("target") or m.has("site") or m.has("killed") for m in inside)
        if attacked and any(_is_anchor(m, lexicon) for m in inside):
            return (start, end)
    return None


def _casualty(mentions: list[Mention]) -> bool:
    return any(m.has("killed") or m.has("injured") for m in mentions)


def _is_anchor(mention: Mention, lexicon: Lexicon) -> bool:
    return mention.has("attack") or _weapon_rank(mention, lexicon) >= 2


def _dated_reference(sentence: Sentence, mention: Mention, reference: date | None) -> bool:
    """'the 2019 hotel attack', 'the Sept. 11, 2012, attacks': a past attack, named."""
    if reference is None or mention.text.lower() not in _ATTACK_NOUNS:
        return False
    before = sentence.lower[
        max(0, mention.start - sentence.start - 50) : mention.start - sentence.start
    ]
    named = _MONTH_BEFORE.search(before)
    if named:  # "the January drone attack", in May: a past one
        month = _MONTHS.get(named.group(1))
        return month is not None and (reference.month - month) % 12 >= 1
    match = _YEAR_BEFORE.search(before)
    if not match:
        return False
    year = int(match.group("y"))
    month = _MONTHS.get((match.group("m") or "").rstrip("."))
    day = int(match.group("d")) if match.group("d") else None
    if month and day:
        try:
            return (reference - date(year, month, day)).days > _PAST_DAYS
        except ValueError:
            return False
    return year < reference.year


def _transitive(sentence: Sentence, mention: Mention, main: list[Mention]) -> bool:
    """A strike word with its object: "US strikes militia", "struck the embassy"."""
    if not mention.has("strike"):
        return False
    for m in main:
        if m.start < mention.end:
            continue
        if m.start - mention.end > 30:
            return False
        between = sentence.lower[mention.end - sentence.start : m.start - sentence.start]
        if _CLAUSE_END.search(between):
            return False
        if m.has("target") or m.has("site"):
            return True
    return False


def _weapon_rank(mention: Mention, lexicon: Lexicon) -> int:
    return mention.weapon_rank


def _background_spans(sentence: Sentence, mentions: list[Mention]) -> list[tuple[int, int]]:
    spans = []
    for m in mentions:
        if not m.has("reference"):
            continue
        rel = m.start - sentence.start
        if m.text.lower() == "after" and _SAME_EVENT.match(sentence.lower, rel + 5):
            continue  # "caught fire after being hit by a missile": the same event
        if _CLOCK.match(sentence.lower, rel + len(m.text)):
            continue  # "shortly after midnight": a time of day, not another event
        end = _CLAUSE_END.search(sentence.lower, rel + len(m.text))
        while end and _CONTINUED.match(sentence.lower, end.start()):
            # "after Saudi jets bombed a funeral hall, killing 100": still the background.
            end = _CLAUSE_END.search(sentence.lower, end.end())
        spans.append((m.start, sentence.start + end.start() if end else sentence.end))
    return spans


def _inside(mention: Mention, spans: list[tuple[int, int]]) -> bool:
    return any(start <= mention.start < end for start, end in spans)


def _clause_start(sentence: Sentence, position: int) -> int:
    """Absolute offset where the clause holding ``position`` starts."""
    rel = position - sentence.start
    starts = [m.end() for m in _CLAUSE_END.finditer(sentence.lower, 0, rel)]
    return sentence.start + (starts[-1] if starts else 0)


def _hypothetical(sentence: Sentence, main: list[Mention], anchors: list[Mention]) -> bool:
    if not anchors:
        return False
    modals = [m for m in main if m.has("modal")]
    real = 0
    for anchor in anchors:
        floor = max(_clause_start(sentence, anchor.start), anchor.start - _MODAL_WINDOW)
        if not anchor.has("modal") and not any(floor <= m.start < anchor.start for m in modals):
            real += 1
    return real == 0


def _generic(sentence: Sentence, main: list[Mention], timed: bool) -> bool:
    if any(m.has("generic") for m in main) and not timed:
        return True
    if _PLURAL_SINCE.search(sentence.lower):
        return True  # "attacks on US forces since October"
    for match in STATISTIC.finditer(sentence.lower):
        number = match.group().split()[0].replace(",", "")
        large = not number.isdigit() or int(number) >= 10
        if large or _AGGREGATE.search(sentence.lower, match.end()):
            return True
    return False


def _agents(sentence: Sentence, main: list[Mention], anchors: list[Mention]) -> list[Mention]:
    """Who acts: actors before the first anchor (unless the clause is passive), or after
    'by' ("the base was hit by rockets fired by the Houthis")."""
    if not anchors:
        return []
    first = anchors[0].start
    before = [m for m in main if m.start < first]
    passive = any(m.has("passive") or m.has("defending") for m in before)
    # "Two US soldiers killed in rocket attack": people before a casualty word are victims.
    victims_until = max(
        (m.start for m in before if m.has("killed") or m.has("injured")), default=-1
    )
    arabic = bool(_ARABIC.search(sentence.lower))  # adjectives follow their nouns
    agents = (
        []
        if passive or arabic
        else [
            m
            for m in before
            if (m.has("actor") or m.has("nation"))
            and (m.has("actor") or not m.has("target"))  # "USS Mason": those attacked
            and m.start > victims_until
        ]
    )
    for m in main:
        if m.start > first and m.has("actor"):
            prefix = sentence.lower[
                max(0, m.start - sentence.start - 12) : m.start - sentence.start
            ]
            if _BY.search(prefix):
                agents.append(m)
    return agents


def _score(frame: Frame, lexicon: Lexicon) -> float:
    attack = any(m.has("attack") or m.has("strike") for m in frame.anchors)
    weapon = bool(frame.weapons)
    strike = any(m.has("strike") for m in frame.main)
    target = bool(frame.targets)
    casualty = bool(frame.casualties)
    blast = any(_weapon_rank(m, lexicon) == 1 for m in frame.main)
    if attack and (target or casualty or weapon):
        score, why = 1.0, "attack word with a target, casualties or a weapon"
    elif weapon and (strike or casualty) and (target or casualty or _place_hit(frame)):
        score, why = 1.0, "weapon that hit something"
    elif blast and casualty and (target or _place_hit(frame)):
        score, why = 1.0, "blast with casualties"
    elif weapon and target:
        aimed = _aimed(frame)
        score, why = (1.0, "weapon aimed at a target") if aimed else (0.7, "weapon and target")
    elif attack or (weapon and strike) or (casualty and target):
        score, why = 0.5, "attack vocabulary without a target"
    else:
        return 0.0
    frame.reasons.append(why)
    if frame.hypothetical:
        score *= 0.2
        frame.reasons.append("hypothetical (modal before the attack word)")
    if frame.generic:
        score *= 0.3
        frame.reasons.append("generic or aggregate (habitual words, counts of attacks)")
    return score


def _aimed(frame: Frame) -> bool:
    """ "airstrikes against militia groups": a target after the weapon, same clause."""
    sentence = frame.sentence
    for weapon in frame.weapons:
        for target in frame.targets:
            gap = sentence.lower[weapon.end - sentence.start : target.start - sentence.start]
            if 0 <= target.start - weapon.end <= 40 and not _CLAUSE_END.search(gap):
                return True
    return False


_PLACE_HIT = re.compile(
    r"(?:\bat|\bon|\btoward|\btowards|\bagainst|\bin|\binside|\bnear|\boutside|\btargeting|"
    r"\bhit|\bhits|\bstruck)\s+(?:the\s+)?(?:[\w\-']+\s+){0,2}$"
)


def _place_hit(frame: Frame) -> bool:
    """A place the weapon hit ("rockets hit Erbil"), not one it was fired from or into."""
    sentence = frame.sentence
    for m in frame.main:
        if not (m.has("place") or m.has("site")):
            continue
        before = sentence.lower[max(0, m.start - sentence.start - 30) : m.start - sentence.start]
        if _PLACE_HIT.search(before):
            return True
    return False


def participle(sentence: Sentence, mention: Mention) -> bool:
    """ "US forces attacked in Syria", "embassy hit by rockets": an attack verb read as a
    passive participle (no object follows), so what stands before it was attacked."""
    word = mention.text.lower().split()[-1]
    if not (word.endswith("ed") or word in ("hit", "struck", "shot", "set", "targeted")):
        return False
    rest = sentence.lower[mention.end - sentence.start :]
    return bool(_PASSIVE_AFTER.match(rest))
