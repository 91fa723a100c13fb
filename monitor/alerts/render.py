"""Render an alert payload as a subject line, plain text and HTML (Jinja2 templates).

Feed-supplied values are untrusted: subjects and one-line fields are forced onto one line
(no header injection), the HTML templates are autoescaped and only ``http(s)`` links
become ``href`` attributes (no active content survives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_LINE_BREAKS = re.compile(r"[\r\n\t\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True, slots=True)
class Rendered:
    """An alert ready for a channel."""

    subject: str
    text: str
    html: str


def single_line(value: Any, limit: int = 200) -> str:
    """A value flattened to one line of at most ``limit`` characters."""
    text = " ".join(_LINE_BREAKS.sub(" ", str(value if value is not None else "")).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def web_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL (safe to link to), else ``None``."""
    if not isinstance(value, str) or _LINE_BREAKS.search(value) or " " in value.strip():
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def casualties(incident: dict[str, Any]) -> str:
    """'3 killed, 12 injured', with 'unknown' for figures no source gave."""
    killed, injured = incident.get("killed"), incident.get("injured")
    if killed is None and injured is None:
        return "casualties unknown"
    return f"{_figure(killed)} killed, {_figure(injured)} injured"


def where(incident: dict[str, Any]) -> str:
    """'Baghdad (IQ)', 'Red Sea', or 'unknown place'."""
    place = single_line(incident.get("place") or incident.get("site") or "")
    country = single_line(incident.get("country") or "")
    if place and country:
        return f"{place} ({country})"
    return place or country or "unknown place"


def _figure(value: Any) -> str:
    return "unknown" if value is None else str(value)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.alerts", "templates"),
        # The templates are named *.html.j2: escape those (".html" alone would match none).
        autoescape=select_autoescape(
            enabled_extensions=("html.j2", "html"), default_for_string=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        one_line=single_line,
        figure=_figure,
        web_url=web_url,
        casualties=casualties,
        where=where,
    )
    return env


def subject(payload: dict[str, Any]) -> str:
    """The subject, e.g. '[monitor] New: Rocket attack on US Embassy, Baghdad (IQ)'."""
    kind = payload.get("kind", "new")
    if kind == "digest":
        counts = payload.get("counts", {})
        day = local_day(payload.get("period", {}))
        return single_line(
            f"[monitor] Digest {day}: {counts.get('new', 0)} new, {counts.get('updated', 0)} updated"
        )
    label = {"new": "New", "update": "Update", "test": "Test"}.get(kind, str(kind).title())
    title = payload.get("incident", {}).get("title") or "incident"
    return single_line(f"[monitor] {label}: {title}", 250)


def local_day(period: dict[str, Any]) -> str:
    """The digest's date (YYYY-MM-DD) in the subscriber's time zone."""
    try:
        end = datetime.fromisoformat(str(period.get("end")))
        zone = ZoneInfo(str(period.get("timezone") or "UTC"))
    except (ValueError, KeyError):
        return str(period.get("end") or "")[:10]
    return (end if end.tzinfo else end.replace(tzinfo=UTC)).astimezone(zone).date().isoformat()


def digest_groups(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The digest's groups with their incidents, in the payload's order."""
    by_id = {i.get("id"): i for i in payload.get("incidents", [])}
    groups = payload.get("groups")
    if groups is None:  # a digest written before groups existed: one group
        groups = [{"rule": "", "severity": None, "incident_ids": list(by_id)}]
    return [
        {**g, "incidents": [by_id[i] for i in g.get("incident_ids", []) if i in by_id]}
        for g in groups
    ]


def render(payload: dict[str, Any]) -> Rendered:
    """Subject, text and HTML of an alert or digest payload."""
    is_digest = payload.get("kind") == "digest"
    env = _environment()
    title = subject(payload)
    context: dict[str, Any] = {"p": payload, "subject": title}
    if is_digest:
        context["groups"] = digest_groups(payload)
    name = "digest" if is_digest else "alert"
    return Rendered(
        subject=title,
        text=env.get_template(f"{name}.txt.j2").render(context),
        html=env.get_template(f"{name}.html.j2").render(context),
    )
