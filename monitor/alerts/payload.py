"""The versioned JSON payload of an alert: what every channel renders from.

Schema ``monitor.alert/1`` (documented with an example in the README)::

    {"schema": "monitor.alert/1", "kind": "new" | "update" | "test",
     "subscription": str, "idempotency_key": str, "created_at": ISO 8601,
     "incident": {...incident fields..., "sources": [{"title", "link", "feed", "published"}]},
     "changes": [str, ...]}

A digest (``"kind": "digest"``) carries ``"period": {"start", "end", "timezone"}``,
``"counts": {"new", "updated", "omitted"}``, ``"groups": [{"rule", "severity",
"incident_ids"}]`` and ``"incidents": [...]`` (each also with ``status`` and ``rule``)
instead of ``incident`` and ``changes``.

Values that came from feeds are untrusted. Here they are only made plain: one-line fields
lose line breaks and control characters (no header injection downstream) and a source
link is kept only when it is an http(s) URL; escaping for HTML, Markdown or JSON-in-HTML
happens where each format is produced.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from monitor.alerts.render import web_url
from monitor.store.models import Incident, Item

SCHEMA = "monitor.alert/1"

INCIDENT_FIELDS = (
    "id",
    "title",
    "summary",
    "event_date",
    "country",
    "place",
    "site",
    "target",
    "target_type",
    "target_nationality",
    "weapon",
    "munitions",
    "killed",
    "injured",
    "perpetrator",
    "perpetrator_status",
    "figures",
    "relevant",
    "watch",
    "severity",
    "revision",
    "sources_count",
    "outlets_count",
    "first_seen_at",
    "last_updated_at",
)

#: Fields shown on one line (subjects, table cells): no line breaks survive in them.
ONE_LINE_FIELDS = frozenset(
    {"title", "country", "place", "site", "target", "target_type", "target_nationality"}
    | {"weapon", "perpetrator", "perpetrator_status", "severity"}
)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_BREAKS = re.compile(r"\s+")


def plain_line(value: Any) -> Any:
    """A string on one line without control or bidi characters; other values unchanged."""
    if not isinstance(value, str):
        return value
    return _BREAKS.sub(" ", _CONTROL.sub(" ", value)).strip()


def plain_text(value: Any) -> Any:
    """A string without control characters (line breaks kept); other values unchanged."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def incident_snapshot(incident: Incident, sources: list[tuple[Item, str]]) -> dict[str, Any]:
    """The incident's fields and sources (item, feed name) as JSON-ready, plain values."""
    data: dict[str, Any] = {}
    for name in INCIDENT_FIELDS:
        value = _jsonable(getattr(incident, name))
        data[name] = plain_line(value) if name in ONE_LINE_FIELDS else plain_text(value)
    data["watch"] = [plain_line(w) for w in incident.watch or []]
    data["sources"] = [
        {
            "title": plain_line(item.title),
            "link": web_url(item.link),
            "feed": plain_line(feed),
            "published": _jsonable(item.published),
        }
        for item, feed in sources
    ]
    return data


def sample_payload(subscription: str, key: str, now: datetime) -> dict[str, Any]:
    """A ``test`` alert: a made-up incident, clearly labelled, for ``monitor alert test``."""
    incident = dict.fromkeys(INCIDENT_FIELDS) | {
        "id": 0,
        "title": "Test alert from monitor: this channel works",
        "summary": "This is a test message sent by `monitor alert test`. No incident happened.",
        "event_date": now.date().isoformat(),
        "place": "nowhere (test)",
        "weapon": "unknown",
        "figures": {},
        "relevant": True,
        "watch": [],
        "revision": 1,
        "sources_count": 0,
        "outlets_count": 0,
        "first_seen_at": now.isoformat(),
        "last_updated_at": now.isoformat(),
        "sources": [],
    }
    return {
        "schema": SCHEMA,
        "kind": "test",
        "subscription": subscription,
        "idempotency_key": key,
        "created_at": now.isoformat(),
        "incident": incident,
        "changes": [],
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
