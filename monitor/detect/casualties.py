"""Casualty figures in one sentence: how many killed, how many injured.

Conventions (documented in the README):
- a figure is the sum of the groups a sentence lists: "killing one British and two
  American personnel" is 3, "four policemen and two civilians were killed" is 6;
- attackers never count: "16 dead: six guards, six attackers and four civilians" is 10,
  "killed himself" is no death, nor are the group the responders kill ("before police shot
  all four dead");
- a part already counted does not add up: "six people, two of them embassy staff" is 6;
- "no casualties", "nobody was hurt", "no injuries" give 0 (and, with no death reported
  anywhere, killed is 0 too: nobody hurt means nobody killed);
- a toll is the total: "a third soldier died, raising the death toll to three" is 3;
- vague counts give no figure: "dozens wounded" leaves injured unknown; "at least 80" and
  "more than 70" are lower bounds and count as 80 and 70.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from monitor.detect.lexicon import Mention
from monitor.detect.text import Sentence

_STOP = re.compile(
    r"[;!?()\[\]]|\s[—–]\s|\s(?:in|at(?! least| most)|when|after|near|on|during|as|while|"
    r"with|from|by|inside|outside|since|but|because|according|before|following|amid|en|"
    r"dans|lors|durante|podczas|bei|في|dejando|deixando|laissant)\s"
)
_LEFT_STOP = re.compile(
    r"[;!?()\[\]:]|\s[—–]\s|\s(?:when|while|after|before|because|but|since|although|"
    r"whereas|following|said|says|told|cuando|quand|lorsque|quando|als|wenn|عندما|"
    r"dejando|deixando|laissant)\s"
)
_RIGHT_SKIP = re.compile(
    r"^\s*(?::|rose to|climbed to|reached|stood at|now stands at|has risen to|had risen to|"
    r"included|include|includes|were|are|was|is|of|to|avec lui|avec elle|con él|de)(?!\w)\s*"
    r"|^\s*(?:d'|a(?=\s+(?:\d|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|trece|catorce|"
    r"quince|dieci|veint|treinta|cuarenta|cincuenta|sesenta|setenta|ochenta|noventa|cien)))\s*"
)
_ACTIVE = frozenset(
    {
        "killing",
        "kills",
        "kill",
        "wounding",
        "wounds",
        "injuring",
        "injures",
        "hurting",
        "leaving",
        "left",
        "tuant",
        "tötete",
        "töteten",
        "blessant",
        "matando",
        "hiriendo",
        "ferindo",
        "claiming",
    }
)
_UNITS = re.compile(
    r"^\s*(?:mm|km|kilometers?|kilometres?|miles?|meters?|metres?|feet|foot|yards?|percent|%|"
    r"years?|months?|days?|hours?|minutes?|a\.m|p\.m|am\b|pm\b|gmt|rockets?|missiles?|drones?|"
    r"mortars?|shells?|rounds?|bombs?|kilograms?|kg|pounds?|times|attacks?|cars?|vehicles?|"
    r"o'clock|-year-old|year-old)(?![a-z])"
)
_ONLY_MATERIAL = re.compile(
    r"(?:only|solely|just|somente|solo|seulement|uniquement)\s+(?:\w+\s+)?"
    r"(?:material|property|prejuízos materiais|daños materiales|dégâts matériels)"
    r"|material damage only|damage only"
)
_UNHURT = re.compile(r"\b(?:unhurt|unharmed|unscathed|escaped injury|escaped unharmed)\b")
_ZERO_WORDS = (
    "no one",
    "nobody",
    "no",
    "none",
    "without",
    "neither",
    "zero",
    "sin",
    "sans",
    "sem",
    "ohne",
    "bez",
    "nikt",
    "nikogo",
    "żaden",
    "żadnych",
    "دون",
    "لا",
    # "pas de blessés", "aucun mort", "ningún herido", "não houve feridos", "keine Verletzten",
    # "لم يسفر عن إصابات" (a bare "لم" also negates "the toll is not known")
    "pas de",
    "pas eu de",
    "aucun",
    "aucune",
    "ningún",
    "ninguna",
    "nenhum",
    "nenhuma",
    "não houve",
    "keine",
    "kein",
    "لم يسفر عن",
    "لم تسفر عن",
    "لم يسفر",
    "لم تسفر",
    "لم تقع",
    "لم يصب",
    # "ولم تسجل إصابات", "لم ترد أنباء عن إصابات": no casualties recorded or reported
    "لم تسجل",
    "لم يسجل",
    "لم ترد",
    "لم ترد أنباء عن",
)
_ZERO_WINDOW = 6
_ARABIC_AND = re.compile(r" و(?=لم |لا )")
_REFLEXIVE = re.compile(r"\s+(?:himself|herself|themselves)\b")
#: A stated toll is the total, whatever else the sentence counts.
_TOLL = re.compile(r"\[(?:death toll|toll|bilan|balance|balanço|حصيلة)\]")
#: "the war, which has killed 30,000 and wounded 70,000 since October": a running toll.
_RUNNING_TOLL = re.compile(
    r"\b(?:has|have)\s+(?:now\s+|so far\s+)?(?:killed|wounded|injured|left)\b.*\bsince\b"
)
_PARENTHETICAL = re.compile(r"\s[–—-]\s[^–—]*?\s[–—-]\s|\([^()]*\)")
_DATE_NUMBER = re.compile(r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*$")
_LEADING_CONJUNCTION = re.compile(r"^(?:and|or|but|y|et|e|und|i)\s+")
#: "the number of [people] wounded [in ...] has risen to [more than] 40"
_NUMBER_OF = re.compile(
    r"\b(?:number of|toll|count of)\b[^.;]{0,120}?\b(?:rose|has risen|had risen|risen|climbed|"
    r"has climbed|increased|has increased|jumped|reached|has reached|stands at|stood at|"
    r"is now|was now)\s+(?:to\s+)?(?P<rest>[^.;]{0,30})"
)
#: "the first American deaths", "the latest victim": which ones, not how many.
_ORDINALS = frozenset(
    ["first", "second", "third", "fourth", "fifth", "last", "latest", "only", "deadliest", "worst"]
)
#: "a civilian worker whose nationality...": a description, not a count.
_RELATIVE = re.compile(r"\b(?:whose|who|which|that)\b")


@dataclass
class Count:
    """One casualty construction: the victims counted, attackers set apart."""

    kind: str  # "killed", "injured" or "both"
    victims: int | None = None
    attackers: int = 0
    total: int | None = None
    text: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class SentenceFigures:
    """Every casualty construction of one sentence."""

    counts: list[Count] = field(default_factory=list)

    def figure(self, kind: str) -> int | None:
        """Sum of the positive counts of ``kind`` (or 0 when only zeros are said)."""
        values = [
            c.victims for c in self.counts if c.kind in (kind, "both") and c.victims is not None
        ]
        positive = [v for v in values if v > 0]
        tolls = [
            c.victims
            for c in self.counts
            if c.kind in (kind, "both") and c.victims and _TOLL.search(c.text)
        ]
        if tolls:
            return max(tolls)  # "a third soldier died, raising the death toll to three": 3
        if positive:
            return sum(positive)
        return 0 if values else None


@dataclass(frozen=True)
class _Words:
    numbers: dict[str, int]
    articles: frozenset[str]
    approximate: tuple[str, ...]
    qualifiers: tuple[str, ...]
    separators: re.Pattern[str]
    conjunction: re.Pattern[str]
    subsets_after: tuple[str, ...]
    subsets_before: tuple[str, ...]
    attackers: frozenset[str]
    persons: frozenset[str]
    number_re: re.Pattern[str]
    responders: re.Pattern[str]


@cache
def _words() -> _Words:
    path = resources.files("monitor.detect") / "data" / "numbers.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    numbers = {w: int(n) for n, ws in data["numbers"].items() for w in ws}
    numbers.update(_compounds(data["compounds"], numbers))
    articles = data["articles"]["words"]
    words = sorted([*numbers, *articles], key=len, reverse=True)
    number_re = re.compile(
        r"(?<![\w-])(?:\d[\d,]*\d|\d|" + "|".join(map(re.escape, words)) + r")(?![\w])"
    )
    conj = "|".join(re.escape(w) for w in data["conjunctions"]["words"])
    return _Words(
        numbers=numbers,
        articles=frozenset(articles),
        approximate=tuple(data["approximate"]["words"]),
        qualifiers=tuple(sorted(data["qualifiers"]["words"], key=len, reverse=True)),
        separators=re.compile(rf",\s|\s(?:{conj})\s"),
        conjunction=re.compile(rf"\s(?:{conj})\s"),
        subsets_after=tuple(data["subsets"]["after"]),
        subsets_before=tuple(data["subsets"]["before"]),
        attackers=frozenset(data["attackers"]["words"]),
        persons=frozenset(data["persons"]["words"]),
        number_re=number_re,
        responders=_alternation(
            data["responders"]["agents"], r"\s+(?:\S+\s+){0,2}?", data["responders"]["verbs"]
        ),
    )


def _alternation(first: list[str], joint: str, second: list[str]) -> re.Pattern[str]:
    """One of ``first``, ``joint``, one of ``second``, as whole words."""
    one = "|".join(map(re.escape, sorted(first, key=len, reverse=True)))
    two = "|".join(map(re.escape, sorted(second, key=len, reverse=True)))
    return re.compile(rf"(?<!\w)(?:{one}){joint}(?:{two})(?!\w)")


def _compounds(data: dict[str, Any], numbers: dict[str, int]) -> dict[str, int]:
    """Tens and units written together, per language: "twenty-one", "trente-deux",
    "treinta y dos", "fünfundzwanzig" (``unit_first``)."""
    compounds = {}
    for spec in data.values():
        values = numbers | spec.get("own", {})
        for tens in spec["tens"]:
            for unit in spec["units"]:
                for joint in spec["joints"]:
                    parts = (unit, tens) if spec.get("unit_first") else (tens, unit)
                    compounds[joint.join(parts)] = values[tens] + values[unit]
    return compounds


def read(sentence: Sentence, background: list[tuple[int, int]] | None = None) -> SentenceFigures:
    """The casualty constructions of ``sentence``, skipping background clauses."""
    figures = SentenceFigures()
    if running_toll(sentence):
        return figures
    spans = background or []
    keywords = [
        m
        for m in sentence.mentions
        if (m.has("killed") or m.has("injured") or m.has("casualties"))
        and not any(a <= m.start < b for a, b in spans)
        and not reflexive(sentence, m)
    ]
    if updated := _updated_number(sentence, keywords):
        figures.counts.append(updated)
        return figures
    used: list[tuple[int, int]] = []
    for n, mention in enumerate(keywords):
        previous_end = keywords[n - 1].end if n else sentence.start
        following = keywords[n + 1].start if n + 1 < len(keywords) else sentence.end
        count = _construction(sentence, mention, previous_end, following)
        if count is None or any(_overlaps(s, used) for s in count.spans):
            continue
        used.extend(count.spans)
        figures.counts.append(_detailed(sentence, mention, count))
    lower = sentence.lower
    if _ONLY_MATERIAL.search(lower) or _UNHURT.search(lower):
        figures.counts.append(Count("both", 0, text="no casualties (only material damage)"))
    return figures


def _updated_number(sentence: Sentence, keywords: list[Mention]) -> Count | None:
    """'The number of troops injured has risen to more than 40': the new total, whatever
    the words between say ("the number of Americans" is no count of one)."""
    match = _NUMBER_OF.search(sentence.lower)
    if not match:
        return None
    start, end = sentence.start + match.start(), sentence.start + match.end()
    inside = [m for m in keywords if start < m.end and m.start < end]  # "[death toll]"
    if not inside:
        return None
    lead = _strip_qualifiers(match.group("rest").strip())
    number = _words().number_re.match(lead)
    value = _number(number.group()) if number else None
    if value is None:
        return None
    return Count(_kind(inside[0]), value, total=value, text=match.group()[:160])


def reflexive(sentence: Sentence, mention: Mention) -> bool:
    """'killed himself': the attacker's own death, which no toll counts."""
    return bool(_REFLEXIVE.match(sentence.lower, mention.end - sentence.start))


def _detailed(sentence: Sentence, mention: Mention, count: Count) -> Count:
    """'Sixteen people were killed in the bombing: six soldiers, six militants and four
    bystanders' -- the list after the colon says who, so attackers can be set apart."""
    rest = sentence.lower[mention.end - sentence.start :]
    colon = rest.find(": ")
    if colon == -1 or count.total is None:
        return count
    offset = mention.end - sentence.start + colon + 2
    listed = _enumeration(sentence.lower[offset:], offset, count.kind, leftward=False)
    if listed is None or listed.total != count.total:
        return count
    listed.text = count.text
    return listed


def running_toll(sentence: Sentence) -> bool:
    """'...which has killed 30,000 since October': a cumulative toll, not this attack's."""
    return bool(_RUNNING_TOLL.search(sentence.lower))


def _overlaps(span: tuple[int, int], used: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in used)


def _kind(mention: Mention) -> str:
    if mention.has("casualties"):
        return "both"
    return "killed" if mention.has("killed") else "injured"


def _construction(
    sentence: Sentence, mention: Mention, left_floor: int, right_ceiling: int
) -> Count | None:
    base = sentence.start
    # Blank out parentheticals ("three Americans – a service member and two contractors –")
    # keeping offsets, so that they neither split nor add to the list.
    lower = _PARENTHETICAL.sub(lambda m: " " * len(m.group()), sentence.lower)
    kind = _kind(mention)
    left_start = max(left_floor, base) - base
    left = lower[left_start : mention.start - base]
    near = _left_window(left)
    zero = _zero_before(near)
    right_start = mention.end - base
    right = lower[right_start : right_ceiling - base]
    if stop := _STOP.search(right):
        right = right[: stop.start()]
    skipped = _RIGHT_SKIP.match(right)
    offset = right_start + (skipped.end() if skipped else 0)
    right = right[skipped.end() :] if skipped else right
    lead = _strip_qualifiers(right.strip())
    if zero and not _starts_with_number(lead):
        # A count right after the word outweighs a negation before it: Portuguese "no"
        # is also "in the" ("no norte de Moçambique, matando cinco civis": five).
        return Count(kind, 0, text=f"{zero} … {mention.text}")
    if lead.startswith(_words().approximate):
        return None  # "wounded dozens": a figure nobody can add up
    if _starts_with_number(lead):
        count = _enumeration(right, offset, kind, leftward=False) or _own_subset(
            right, offset, kind
        )
    elif mention.text.lower() in _ACTIVE:
        count = None
    else:
        count = _enumeration(near, mention.start - base - len(near), kind, leftward=True)
    if count is not None:
        count.text = f"{near.strip()} [{mention.text}] {right.strip()}"[:160]
        clause_start = mention.start - base - len(near)
        if _killed_by_responders(lower, clause_start, count):
            count.attackers, count.victims = count.attackers + (count.victims or 0), None
    return count


#: Words that point back at a group already named: "all four", "the three", "two of them".
_ANAPHORIC_BEFORE = re.compile(r"(?:\ball|\bthe|\bremaining|\btous les|\btodos los|\btodos os)\s+$")
_ANAPHORIC_AFTER = re.compile(r"^\s*(?:dead|of them|d'entre eux|de ellos|deles)\b")


def _killed_by_responders(lower: str, clause_start: int, count: Count) -> bool:
    """'before police shot all four dead': the responders killed a group already named,
    which in an attack report is the attackers (never counted)."""
    if not count.victims or len(count.spans) != 1:
        return False
    start, end = count.spans[0]
    before = lower[clause_start:start]
    after = lower[end:]
    if not _words().responders.search(before) or _victims_named(after):
        return False
    return bool(_ANAPHORIC_BEFORE.search(before) or _ANAPHORIC_AFTER.match(after))


def _victims_named(after: str) -> bool:
    """'... killed the three hostages': the number names people other than attackers."""
    words = _words()
    head = [w.strip(",.") for w in after.split()[:3]]
    return any(w in words.persons and w not in words.attackers for w in head)


def _own_subset(window: str, offset: int, kind: str) -> Count | None:
    """ "turned his weapon on the Marines, killing three of them": a part of a group
    whose size is not given is the figure itself."""
    words = _words()
    match = words.number_re.search(window)
    if not match or not window[match.end() :].lstrip().startswith(words.subsets_after):
        return None
    number = _number(match.group())
    if not number:
        return None
    return Count(kind, number, total=number, spans=[(offset + match.start(), offset + match.end())])


def _zero_before(left: str) -> str | None:
    joined = " " + " ".join(left.split()[-_ZERO_WINDOW:]) + " "
    joined = _ARABIC_AND.sub(" ", joined)  # "ولم تسجل": "and" glued to the negation
    return next((w for w in _ZERO_WORDS if f" {w} " in joined), None)


def _left_window(left: str) -> str:
    parts = _LEFT_STOP.split(left)
    return parts[-1] if parts else left


def _starts_with_number(text: str) -> bool:
    words = _words()
    match = words.number_re.match(text)
    if not match:
        return False
    token, rest = match.group(), text[match.end() :]
    if words.numbers.get(token) == 0 and not token[0].isdigit():
        # "injuring no one", "killing no civilians"; but Portuguese "morreram no sábado"
        # (in the): "no" is a zero only before the people it counts.
        return rest.lstrip().startswith(("one", "body")) or _person_follows(rest)
    return token[0].isdigit() or token in words.numbers or _person_follows(rest)


def _strip_qualifiers(text: str) -> str:
    for qualifier in _words().qualifiers:
        if text.startswith(qualifier + " "):
            return text[len(qualifier) + 1 :]
    return text


def _enumeration(window: str, offset: int, kind: str, *, leftward: bool) -> Count | None:
    """Add up the groups listed in ``window`` (which starts at sentence offset ``offset``)."""
    words = _words()
    items = _items(window)
    if not words.conjunction.search(window):
        # No "and": commas mark an apposition ("one individual, a contractor, died").
        numbered = [i for i in items if _item_value(i[1], leftward=leftward) is not None]
        items = ([numbered[-1]] if leftward else [numbered[0]]) if numbered else []
    elif leftward:
        items = _nearest_run(items)
    count = Count(kind, 0)
    found = False
    for start, item in items:
        value = _item_value(item, leftward=leftward)
        if value is None:
            if leftward and found:
                break
            continue
        number, is_attacker, (a, b) = value
        found = True
        count.spans.append((offset + start + a, offset + start + b))
        if is_attacker:
            count.attackers += number
        else:
            count.victims = (count.victims or 0) + number
    if not found:
        return None
    count.total = (count.victims or 0) + count.attackers
    return count


def _items(window: str) -> list[tuple[int, str]]:
    words = _words()
    # "treinta y dos", "vingt et un": the conjunction inside a number splits nothing.
    numbers = [m.span() for m in words.number_re.finditer(window)]
    items, start = [], 0
    for match in words.separators.finditer(window):
        if any(a < match.start() < b for a, b in numbers):
            continue
        items.append((start, window[start : match.start()]))
        start = match.end()
    items.append((start, window[start:]))
    return [(s, i) for s, i in items if i.strip()]


def _nearest_run(items: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The items nearest the keyword that carry numbers (reading leftwards)."""
    run: list[tuple[int, str]] = []
    for item in reversed(items):
        lead = _LEADING_CONJUNCTION.sub("", item[1].strip())
        if not run and _strip_qualifiers(lead).startswith(_words().approximate):
            break  # "..., and a number of personnel were hurt": the nearest count is vague
        has_number = _item_value(item[1], leftward=True) is not None
        if not has_number and run:
            break
        if has_number:
            run.append(item)
    return list(reversed(run))


def _item_value(item: str, *, leftward: bool = False) -> tuple[int, bool, tuple[int, int]] | None:
    """The count an item gives: (number, is it attackers, span of the number)."""
    words = _words()
    if item.strip().startswith(words.subsets_before):
        return None
    matches = list(words.number_re.finditer(item))
    for match in reversed(matches) if leftward else matches:
        token = match.group()
        rest = item[match.end() :]
        if item[match.start() :].startswith(words.approximate):
            return None  # "a number of personnel", "a few soldiers": no figure
        if _UNITS.match(rest) or rest.lstrip().startswith(words.subsets_after):
            continue
        if _DATE_NUMBER.search(item[: match.start()]):
            continue  # "December 31", not a count
        if token in words.articles and not _single_person(token, rest):
            continue
        number = _number(token)
        if number is None:
            continue
        head = rest.split()[:4]
        attacker = any(w.strip(",.") in words.attackers for w in head)
        return number, attacker, (match.start(), match.end())
    return None


def _single_person(article: str, rest: str) -> bool:
    """'a contractor', 'the ambassador': one person; not 'the two guards', 'the guards'."""
    following = rest.split()[:1]
    if not following or _words().number_re.match(following[0]) or _RELATIVE.search(rest):
        return False
    if following[0] in _ORDINALS:
        return False  # "the first American deaths since...": which deaths, not how many
    if article == "the":
        persons = _words().persons
        head = next((w.strip(",.") for w in rest.split()[:3] if w.strip(",.") in persons), "")
        return bool(head) and not head.endswith("s")
    return _person_follows(rest)


def _person_follows(rest: str) -> bool:
    persons = _words().persons
    return any(w.strip(",.\"'") in persons for w in rest.split()[:4])


def _number(token: str) -> int | None:
    if token[0].isdigit():
        digits = token.replace(",", "")
        return int(digits) if digits.isdigit() and len(digits) <= 6 else None
    words = _words()
    if token in words.articles:
        return 1
    return words.numbers.get(token)
