"""Typed, immutable records handed from one pipeline stage to the next.

fetch -> ``FetchResult``; parse -> ``ParsedFeed`` of ``Entry``; detect -> ``Verdict`` with its
``Attack``s; incidents -> ``IncidentChange``. Every stage can be tested alone on these values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

WEAPONS = (
    "rocket",
    "mortar",
    "drone",
    "ballistic missile",
    "cruise missile",
    "missile",
    "airstrike",
    "ied",
    "suicide bombing",
    "gunfire",
    "storming",
    "mixed",
    "unknown",
)

TARGET_TYPES = (
    "diplomatic",
    "military",
    "contractor",
    "civilian",
    "government",
    "energy infrastructure",
    "commercial ship",
    "health",
    "education",
    "media",
    "aid workers",
    "religious",
    "militia",
    "police",
    "transport",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What a fetch produced: a body to parse, or a 'not modified' answer."""

    url: str
    status: int
    body: bytes | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    permanent_redirect: bool = False
    content_type: str | None = None
    body_hash: str | None = None
    elapsed_s: float = 0.0
    retry_after_s: float | None = None
    #: ``True`` when the body hash equals the previous one: nothing to parse.
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One normalised feed item: clean text, UTC times, a stable id."""

    guid: str
    link: str | None
    title: str
    summary: str = ""
    content: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    language: str | None = None
    author: str | None = None

    @property
    def body(self) -> str:
        """The longest text the item carries (full content, else the summary)."""
        return self.content if len(self.content) >= len(self.summary) else self.summary

    @property
    def text(self) -> str:
        """Title and body, the text detection reads."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its entries and every problem met while reading it."""

    title: str | None
    link: str | None
    entries: tuple[Entry, ...]
    problems: tuple[str, ...] = ()
    version: str | None = None
    #: The polling interval the feed asks for (RSS ttl, sy:updatePeriod), in seconds.
    ttl_s: int | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A phrase or sentence that weighed in a verdict, and why."""

    kind: str
    text: str
    weight: float = 0.0


@dataclass(frozen=True, slots=True)
class Attack:
    """One attack reported by an item, with the fields an analyst logs."""

    event_date: date | None = None
    country: str | None = None
    place: str | None = None
    #: Normalised key of a named site (e.g. ``"ain al-asad air base"``) for matching.
    site: str | None = None
    target: str | None = None
    target_type: str | None = None
    #: ISO alpha-2 code of the country whose facility/people were attacked (e.g. ``"US"``).
    target_nationality: str | None = None
    weapon: str | None = None
    munitions: int | None = None
    killed: int | None = None
    injured: int | None = None
    perpetrator: str | None = None
    #: ``"claimed"``, ``"suspected"`` or ``None``.
    perpetrator_status: str | None = None
    #: Names of the watch rules this attack hits.
    watch: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        data = dataclasses.asdict(self)
        data["event_date"] = self.event_date.isoformat() if self.event_date else None
        data["watch"] = list(self.watch)
        data["evidence"] = [dataclasses.asdict(e) for e in self.evidence]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attack:
        """The inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("event_date"):
            values["event_date"] = date.fromisoformat(values["event_date"])
        values["watch"] = tuple(values.get("watch") or ())
        values["evidence"] = tuple(Evidence(**e) for e in values.get("evidence") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Detection's answer for one entry: is it an attack report, which attacks, and why."""

    is_attack: bool
    score: float
    attacks: tuple[Attack, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""

    @property
    def relevant(self) -> bool:
        """True when at least one attack hits a watch rule."""
        return any(a.watch for a in self.attacks)

    @property
    def watch(self) -> tuple[str, ...]:
        """Names of every watch rule hit, in first-seen order."""
        names: dict[str, None] = {}
        for attack in self.attacks:
            names.update(dict.fromkeys(attack.watch))
        return tuple(names)

    @property
    def primary(self) -> Attack | None:
        """The item's main attack (the first one), if any."""
        return self.attacks[0] if self.attacks else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "is_attack": self.is_attack,
            "score": self.score,
            "reason": self.reason,
            "attacks": [a.to_dict() for a in self.attacks],
            "evidence": [dataclasses.asdict(e) for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        """The inverse of :meth:`to_dict`."""
        return cls(
            is_attack=bool(data.get("is_attack")),
            score=float(data.get("score") or 0.0),
            reason=data.get("reason") or "",
            attacks=tuple(Attack.from_dict(a) for a in data.get("attacks") or ()),
            evidence=tuple(Evidence(**e) for e in data.get("evidence") or ()),
        )


ChangeKind = Literal["new", "update", "source"]


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """What storing one attack report did to an incident.

    ``new``: the incident was created; ``update``: a field an analyst cares about changed
    (``changes`` says which); ``source``: one more source, nothing material.
    """

    incident_id: int
    kind: ChangeKind
    revision: int
    relevant: bool
    watch: tuple[str, ...] = ()
    changes: tuple[str, ...] = field(default=())
