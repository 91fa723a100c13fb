"""Webhook body formats: the generic payload, and Slack, Discord and Teams messages.

Each preset turns a ``monitor.alert/1`` payload into the JSON its receiver expects, with
feed values escaped for that receiver's markup: Slack mrkdwn (``&``, ``<``, ``>``),
Discord Markdown (with mentions disabled), Teams Adaptive Card Markdown. Links are only
ever http(s) URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from monitor.alerts.render import Rendered, casualties, digest_groups, single_line, web_url, where

Preset = Callable[[dict[str, Any], Rendered], dict[str, Any]]

#: Lines listed per message before "…and N more" (the services cap message sizes).
MAX_LINES = 25

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def generic(payload: dict[str, Any], rendered: Rendered) -> dict[str, Any]:
    """The ``monitor.alert/1`` payload itself."""
    return payload


def slack(payload: dict[str, Any], rendered: Rendered) -> dict[str, Any]:
    """A Slack incoming-webhook message: fallback text and Block Kit sections."""
    lines = [_slack_line(item, link) for item, link in _lines(payload)]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": rendered.subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack(_facts(payload))[:3000]}},
    ]
    for start in range(0, len(lines), 10):
        text = "\n".join(lines[start : start + 10])[:3000]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    return {"text": _slack(rendered.subject), "blocks": blocks, "unfurl_links": False}


def discord(payload: dict[str, Any], rendered: Rendered) -> dict[str, Any]:
    """A Discord webhook message: one embed; no @everyone or other mention can ping."""
    lines = [_discord_line(item, link) for item, link in _lines(payload)]
    description = "\n".join([_md(_facts(payload)), "", *lines])
    embed = {
        "title": rendered.subject[:256],
        "description": description[:4000],
        "color": _COLORS.get(_severity(payload) or "", 0x5E5C64),
    }
    return {
        "content": _md(rendered.subject)[:2000],
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def teams(payload: dict[str, Any], rendered: Rendered) -> dict[str, Any]:
    """A Microsoft Teams message carrying an Adaptive Card (Workflows and connectors)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _md(rendered.subject), "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": _md(_facts(payload)), "wrap": True, "isSubtle": True},
    ]
    lines = [_discord_line(item, link) for item, link in _lines(payload)]
    if lines:
        body.append({"type": "TextBlock", "text": "\n\n".join(lines), "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


PRESETS: dict[str, Preset] = {
    "generic": generic,
    "slack": slack,
    "discord": discord,
    "teams": teams,
}

_COLORS = {"critical": 0xA51D2D, "high": 0xC64600, "medium": 0x986A44, "low": 0x5E5C64}


def _facts(payload: dict[str, Any]) -> str:
    """One line summing up the alert (plain text, escaped by the caller)."""
    if payload.get("kind") == "digest":
        counts = payload.get("counts", {})
        return f"{counts.get('new', 0)} new, {counts.get('updated', 0)} updated incident(s)"
    i = payload.get("incident", {})
    parts = [
        str(i.get("event_date") or "unknown date"),
        where(i),
        single_line(i.get("weapon") or "unknown weapon"),
        casualties(i),
        f"perpetrator: {single_line(i.get('perpetrator') or 'unknown')}",
        f"{i.get('sources_count', 0)} source(s)",
    ]
    changes = [single_line(c) for c in payload.get("changes") or []]
    return " · ".join(parts) + (f"\nChanged: {'; '.join(changes)}" if changes else "")


def _lines(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(text, link) per incident of a digest, or per source of an alert; capped."""
    if payload.get("kind") == "digest":
        rows = [
            (_digest_row(i), _first_link(i)) for g in digest_groups(payload) for i in g["incidents"]
        ]
    else:
        rows = [
            (
                f"{single_line(s.get('title'), 150)} ({single_line(s.get('feed'), 60)})",
                web_url(s.get("link")),
            )
            for s in payload.get("incident", {}).get("sources", [])
        ]
    if len(rows) > MAX_LINES:
        rows = [*rows[:MAX_LINES], (f"…and {len(rows) - MAX_LINES} more", None)]
    return rows


def _digest_row(i: dict[str, Any]) -> str:
    return (
        f"[{i.get('status', 'new')}] {single_line(i.get('title'), 150)} — "
        f"{i.get('event_date') or 'unknown date'}, {where(i)}, "
        f"{single_line(i.get('weapon') or 'unknown weapon')}, {casualties(i)}"
    )


def _first_link(incident: dict[str, Any]) -> str | None:
    links = [web_url(s.get("link")) for s in incident.get("sources", [])]
    return next((link for link in links if link), None)


def _severity(payload: dict[str, Any]) -> str | None:
    if payload.get("kind") == "digest":
        groups = payload.get("groups") or []
        return groups[0].get("severity") if groups else None
    return payload.get("incident", {}).get("severity")


def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(text: str, link: str | None) -> str:
    if link:
        return f"• <{_slack(_safe_link(link))}|{_slack(text).replace('|', '¦')}>"
    return f"• {_slack(text)}"


def _md(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def _discord_line(text: str, link: str | None) -> str:
    return f"- [{_md(text)}]({_safe_link(link)})" if link else f"- {_md(text)}"


def _safe_link(link: str) -> str:
    """A URL with the characters that end a Markdown or Slack link percent-encoded."""
    return quote(link, safe=":/?#@!$&'*+,;=%~-._[]")
