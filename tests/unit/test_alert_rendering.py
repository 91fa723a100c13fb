"""Rendering alerts: subjects, text and HTML, webhook bodies and presets; hostile feed values stay inert."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from email import policy

import lxml.html
import pytest

from monitor.alerts.channels.presets import PRESETS
from monitor.alerts.channels.webhook import encode_json, retry_after, sign
from monitor.alerts.dispatcher import retry_delay
from monitor.alerts.mime import build_message
from monitor.alerts.render import render, subject, web_url
from tests.alerting import HOSTILE_TITLE, alert, digest

HOSTILE = HOSTILE_TITLE + " @everyone"


def hostile_payloads() -> list[dict]:
    hostile = alert(title=HOSTILE, source_title=HOSTILE, perpetrator=HOSTILE, place=HOSTILE)
    return [hostile, digest([hostile["incident"]])]


# --- subjects ------------------------------------------------------------------------


def test_subjects_say_what_happened() -> None:
    assert subject(alert()) == "[monitor] New: Rocket attack on US Embassy, Baghdad (IQ)"
    assert subject(alert("update")).startswith("[monitor] Update: Rocket attack")
    three = digest([alert()["incident"] for _ in range(4)])
    assert subject(three) == "[monitor] Digest 2023-12-09: 3 new, 1 updated"


def test_a_digest_subject_is_dated_in_the_subscribers_time_zone() -> None:
    sydney = digest([alert()["incident"]], timezone="Australia/Sydney")
    assert subject(sydney).startswith("[monitor] Digest 2023-12-10:")


# --- hostile feed values -------------------------------------------------------------


@pytest.mark.parametrize("payload", hostile_payloads(), ids=["alert", "digest"])
def test_hostile_feed_values_cannot_inject_headers(payload: dict) -> None:
    message = build_message(payload, render(payload), sender="monitor@example.org", to=["a@b.org"])
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert [k.lower() for k in parsed] == [
        "subject",
        "from",
        "to",
        "date",
        "message-id",
        *(["references"] if payload["kind"] == "new" else []),
        "x-monitor-idempotency-key",
        "auto-submitted",
        "mime-version",
        "content-type",
    ]
    assert "\n" not in str(parsed["Subject"])
    assert parsed["To"] == "a@b.org"


@pytest.mark.parametrize("payload", hostile_payloads(), ids=["alert", "digest"])
def test_hostile_feed_values_are_plain_text_in_the_text_part(payload: dict) -> None:
    text = render(payload).text
    assert not any(line.lstrip().startswith("Bcc:") for line in text.splitlines())
    assert "\r" not in text


@pytest.mark.parametrize("payload", hostile_payloads(), ids=["alert", "digest"])
def test_hostile_feed_values_carry_no_active_content_in_the_html_part(payload: dict) -> None:
    html = render(payload).html
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//script | //img | //iframe | //object") == []
    for element in tree.iter():
        assert not [a for a in element.attrib if a.lower().startswith("on")], element.tag
    hrefs = tree.xpath("//a/@href")
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    assert "&lt;script&gt;" in html, "the title is shown, escaped"


@pytest.mark.parametrize("payload", hostile_payloads(), ids=["alert", "digest"])
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_hostile_feed_values_are_inert_in_every_webhook_body(payload: dict, preset: str) -> None:
    body = encode_json(PRESETS[preset](payload, render(payload)))
    assert b"<" not in body and b">" not in body and b"\r" not in body and b"\\r" not in body
    data = json.loads(body)
    assert "javascript:" not in json.dumps(data)
    for markup in marked_up_texts(preset, data):  # escaped for the receiver's markup
        assert not re.search(r"(?<!\\)<(?!https?://)", markup), markup
    if preset == "discord":
        assert data["allowed_mentions"] == {"parse": []}


def marked_up_texts(preset: str, data: dict) -> list[str]:
    """The fields a receiver renders as Markdown or mrkdwn (the others are shown literally)."""
    if preset == "slack":
        blocks = [b["text"]["text"] for b in data["blocks"] if b["text"]["type"] == "mrkdwn"]
        return [data["text"], *blocks]
    if preset == "discord":
        return [data["content"], *(e["description"] for e in data["embeds"])]
    if preset == "teams":
        return [b["text"] for b in data["attachments"][0]["content"]["body"]]
    return []


def test_the_generic_body_keeps_the_values_faithfully_on_one_line() -> None:
    payload = hostile_payloads()[0]
    data = json.loads(encode_json(PRESETS["generic"](payload, render(payload))))
    title = data["incident"]["title"]
    assert title.startswith('Rockets hit base <script>alert("x")</script> Bcc: victim')
    assert "\n" not in title and "\r" not in title


def test_slack_escapes_its_markup_and_links_only_web_urls() -> None:
    payload = alert(source_title="a <!channel> & b|c")
    data = PRESETS["slack"](payload, render(payload))
    text = json.dumps(data)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; b" in text
    assert "<https://news.example.org/a|" in text
    assert "javascript" not in text


def test_discord_and_teams_escape_markdown_and_link_only_web_urls() -> None:
    payload = alert(source_title="[click](javascript:alert(1)) **bold**")
    for preset in ("discord", "teams"):
        text = json.dumps(PRESETS[preset](payload, render(payload)))
        assert "](javascript" not in text
        assert "(https://news.example.org/a)" in text
        assert "\\\\*\\\\*bold" in text, preset


def test_a_digest_lists_each_incident_with_its_fields_and_links() -> None:
    payload = digest([alert()["incident"], alert(title="Drone strike on base", id=8)["incident"]])
    rendered = render(payload)
    for part in (rendered.text, rendered.html):
        assert "us-diplomatic-military" in part
        assert "Drone strike on base" in part and "Kataib Hezbollah" in part
        assert "2023-12-09" in part and "Baghdad (IQ)" in part
        assert "0 killed, unknown injured" in part
        assert "https://news.example.org/a" in part
    assert "UPDATED" in rendered.html and "[updated]" in rendered.text


def test_an_empty_digest_says_so() -> None:
    payload = digest([])
    payload["groups"] = []
    assert "No new or updated incidents." in render(payload).text


# --- email headers -------------------------------------------------------------------


def test_a_resent_alert_keeps_its_message_id_and_updates_thread() -> None:
    first = build_message(alert(), render(alert()), sender="m@example.org", to=["a@b.org"])
    again = build_message(alert(), render(alert()), sender="m@example.org", to=["a@b.org"])
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@example.org>")
    update = alert("update")
    update["idempotency_key"] = "ops:incident-7:r2"
    followup = build_message(update, render(update), sender="m@example.org", to=["a@b.org"])
    assert followup["Message-ID"] != first["Message-ID"]
    assert followup["In-Reply-To"] == first["References"]
    assert first["Date"]


# --- webhook signing and retry timing ------------------------------------------------


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"kind":"new"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", "1700000000", body) == f"v1={expected}"


def test_encoded_json_escapes_html_characters_without_changing_values() -> None:
    value = {"t": "<a href='x'>&</a>\u2028"}
    body = encode_json(value)
    assert b"<" not in body and b"&" not in body
    assert json.loads(body) == value


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("120") == 120.0
    assert retry_after("soon") is None
    assert retry_after(None) is None
    later = datetime.now(UTC) + timedelta(minutes=10)
    seconds = retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert seconds is not None and 500 < seconds <= 600


def test_retries_back_off_exponentially_up_to_the_ceiling() -> None:
    base, ceiling = timedelta(seconds=30), timedelta(hours=1)
    delays = [retry_delay(n, base, ceiling).total_seconds() for n in range(1, 9)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_only_web_urls_become_links() -> None:
    assert web_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil", "https://a b", None, 3):
        assert web_url(bad) is None
