"""Render an alert payload as a subject line, plain text and HTML (Jinja2 templates).

Feed-supplied values are untrusted: subjects are forced onto one line (no header
injection) and the HTML template is autoescaped (no active content survives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

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


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.alerts", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["one_line"] = single_line
    env.filters["figure"] = lambda v: "unknown" if v is None else str(v)
    return env


def subject(payload: dict[str, Any]) -> str:
    """The subject, e.g. '[monitor] New: Rocket attack on US Embassy, Baghdad (IQ)'."""
    kind = payload.get("kind", "new")
    if kind == "digest":
        counts = payload.get("counts", {})
        day = str(payload.get("period", {}).get("end", ""))[:10]
        return single_line(
            f"[monitor] Digest {day}: {counts.get('new', 0)} new, {counts.get('updated', 0)} updated"
        )
    label = {"new": "New", "update": "Update", "test": "Test"}.get(kind, kind.title())
    title = payload.get("incident", {}).get("title") or "incident"
    return single_line(f"[monitor] {label}: {title}")


def render(payload: dict[str, Any]) -> Rendered:
    """Subject, text and HTML of an alert or digest payload."""
    name = "digest" if payload.get("kind") == "digest" else "alert"
    env = _environment()
    title = subject(payload)
    context = {"p": payload, "subject": title}
    return Rendered(
        subject=title,
        text=env.get_template(f"{name}.txt.j2").render(context),
        html=env.get_template(f"{name}.html.j2").render(context),
    )
