"""The versioned JSON payload of an alert: what every channel renders from.

Schema ``monitor.alert/1`` (documented in the README)::

    {"schema": "monitor.alert/1", "kind": "new" | "update" | "digest" | "test",
     "subscription": str, "idempotency_key": str, "created_at": ISO 8601,
     "incident": {...incident fields..., "sources": [{"title", "link", "feed", "published"}]},
     "changes": [str, ...]}

A digest carries ``"incidents": [...]`` and ``"period": {"start", "end"}`` instead of
``incident`` and ``changes``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def incident_snapshot(incident: Incident, sources: list[tuple[Item, str]]) -> dict[str, Any]:
    """The incident's fields and sources (item, feed name) as JSON-ready values."""
    data = {name: _jsonable(getattr(incident, name)) for name in INCIDENT_FIELDS}
    data["sources"] = [
        {
            "title": item.title,
            "link": item.link,
            "feed": feed,
            "published": _jsonable(item.published),
        }
        for item, feed in sources
    ]
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
