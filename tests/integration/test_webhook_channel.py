"""The webhook channel against a real HTTP receiver that verifies signatures and drops repeats."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.channels.webhook import WebhookChannel
from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.render import render
from monitor.config import Settings
from monitor.store.database import Database
from monitor.store.models import utcnow
from tests.alerting import HOSTILE_TITLE, add_incident, alert, alert_settings, delivery, queue_alert
from tests.conftest import REPO
from tests.servers import HTTPTestServer, Request, Response

SECRET = "whsec-test-0123456789"


@dataclass
class Receiver:
    """A webhook receiver as the README tells users to write one.

    It verifies the signature (and refuses stale timestamps), then uses the idempotency
    key to drop repeats. ``plan`` scripts the first answers: a status, or ``"hang"``.
    """

    secret: str | None = SECRET
    plan: list[int | str] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    repeats: int = 0
    requests: int = 0
    bad_signatures: int = 0
    seen: set[str] = field(default_factory=set)

    def __call__(self, request: Request) -> Response:
        self.requests += 1
        if self.plan:
            step = self.plan.pop(0)
            if step == "hang":
                time.sleep(1.5)
                return Response(200, b"too late")
            assert isinstance(step, int)
            return Response(step, b"scripted failure", {"Retry-After": "120"})
        if self.secret and not verify(self.secret, request):
            self.bad_signatures += 1
            return Response(401, b"bad signature")
        key = request.headers["idempotency-key"]
        if key in self.seen:
            self.repeats += 1
            return Response(200, b"duplicate ignored")
        self.seen.add(key)
        self.accepted.append(json.loads(request.body))
        return Response(204)


def verify(secret: str, request: Request, tolerance: int = 300) -> bool:
    """The README's verification recipe."""
    timestamp = request.headers.get("x-monitor-timestamp", "")
    signature = request.headers.get("x-monitor-signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256)
    return hmac.compare_digest(signature, "v1=" + mac.hexdigest())


def channel(server: HTTPTestServer, path: str = "/hook", **kwargs: Any) -> WebhookChannel:
    return WebhookChannel("hook", server.url(path), timeout=0.5, **kwargs)


def send(hook: WebhookChannel, **fields: Any) -> Any:
    data = alert(**fields)
    return hook.send(data, render(data))


def webhook_settings(server: HTTPTestServer, **channel: Any) -> Settings:
    return alert_settings(
        [{"name": "ops", "channel": "hook"}],
        [
            {
                "name": "hook",
                "type": "webhook",
                "url": server.url("/hook"),
                "secret_env": "TEST_WEBHOOK_SECRET",
                "timeout": 0.5,
            }
            | channel
        ],
        alerts={"max_attempts": 4, "retry_base": "10s"},
    )


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)


def test_a_signed_alert_is_verified_and_accepted(http_server: HTTPTestServer) -> None:
    receiver = Receiver()
    http_server.route("/hook", receiver)
    result = send(channel(http_server, secret_env="TEST_WEBHOOK_SECRET"))
    assert result.ok, result.detail
    assert receiver.bad_signatures == 0
    [body] = receiver.accepted
    assert body["schema"] == "monitor.alert/1" and body["kind"] == "new"
    assert body["incident"]["title"] == "Rocket attack on US Embassy, Baghdad (IQ)"
    assert body["incident"]["sources"][0]["link"] == "https://news.example.org/a"
    headers = http_server.requests[0].headers
    assert headers["idempotency-key"] == "ops:incident-7:r1"
    assert headers["x-monitor-event"] == "new"
    assert headers["content-type"].startswith("application/json")


def test_the_secret_can_come_from_a_file(http_server: HTTPTestServer, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text(SECRET + "\n")
    receiver = Receiver()
    http_server.route("/hook", receiver)
    assert send(channel(http_server, secret_file=str(tmp_path / "secret"))).ok
    assert len(receiver.accepted) == 1


def test_a_wrong_secret_is_caught_by_the_receiver(http_server: HTTPTestServer) -> None:
    receiver = Receiver(secret="another secret")
    http_server.route("/hook", receiver)
    result = send(channel(http_server, secret_env="TEST_WEBHOOK_SECRET"))
    assert (result.ok, result.retryable) == (False, False)
    assert "HTTP 401" in result.detail
    assert receiver.bad_signatures == 1


def test_without_a_secret_nothing_is_signed(http_server: HTTPTestServer) -> None:
    receiver = Receiver(secret=None)
    http_server.route("/hook", receiver)
    assert send(channel(http_server)).ok
    assert "x-monitor-signature" not in http_server.requests[0].headers


def test_a_404_is_a_permanent_failure_never_a_success(http_server: HTTPTestServer) -> None:
    result = send(channel(http_server, "/nowhere"))
    assert (result.ok, result.retryable) == (False, False)
    assert "HTTP 404" in result.detail


def test_a_redirect_is_not_followed_and_not_a_success(http_server: HTTPTestServer) -> None:
    http_server.route("/hook", Response(301, b"", {"Location": "https://elsewhere.example/"}))
    result = send(channel(http_server))
    assert (result.ok, result.retryable) == (False, False)
    assert "redirect to https://elsewhere.example/" in result.detail


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_busy_and_broken_receivers_are_retried(http_server: HTTPTestServer, status: int) -> None:
    http_server.route("/hook", Receiver(plan=[status]))
    result = send(channel(http_server))
    assert (result.ok, result.retryable, result.retry_after) == (False, True, 120.0)
    assert f"HTTP {status}" in result.detail


def test_a_hostile_title_travels_as_inert_json(http_server: HTTPTestServer) -> None:
    receiver = Receiver(secret=None)
    http_server.route("/hook", receiver)
    assert send(channel(http_server), title=HOSTILE_TITLE, perpetrator=HOSTILE_TITLE).ok
    raw = http_server.requests[0].body
    assert b"<" not in raw and b">" not in raw and b"\r" not in raw
    title = receiver.accepted[0]["incident"]["title"]
    assert "\n" not in title and "\r" not in title and title.startswith("Rockets hit base <script>")


@pytest.mark.parametrize(
    ("preset", "check"),
    [
        ("slack", lambda b: b["text"].startswith("[monitor] New:") and b["blocks"]),
        ("discord", lambda b: b["embeds"][0]["title"].startswith("[monitor] New:")),
        ("teams", lambda b: b["attachments"][0]["content"]["type"] == "AdaptiveCard"),
    ],
)
def test_presets_post_what_each_service_expects(
    http_server: HTTPTestServer, preset: str, check: Any
) -> None:
    receiver = Receiver(secret=None)
    http_server.route("/hook", receiver)
    assert send(channel(http_server, preset=preset)).ok
    assert check(receiver.accepted[0])


# --- through the outbox and the dispatcher -------------------------------------------------


def test_500s_then_recovery_deliver_once(db: Database, http_server: HTTPTestServer) -> None:
    receiver = Receiver(plan=[500, 503])
    http_server.route("/hook", receiver)
    settings = webhook_settings(http_server)
    [delivery_id] = queue_alert(db, settings, add_incident(db))
    dispatcher = Dispatcher(settings, db, "p1")
    assert dispatcher.dispatch().retried == 1
    assert dispatcher.dispatch(now=utcnow() + timedelta(minutes=3)).retried == 1
    assert "HTTP 503" in delivery(db, delivery_id).last_error
    assert dispatcher.dispatch(now=utcnow() + timedelta(minutes=10)).sent == 1
    row = delivery(db, delivery_id)
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(receiver.accepted) == 1 and receiver.repeats == 0


def test_timeouts_then_recovery_deliver(db: Database, http_server: HTTPTestServer) -> None:
    receiver = Receiver(plan=["hang"])
    http_server.route("/hook", receiver)
    settings = webhook_settings(http_server)
    [delivery_id] = queue_alert(db, settings, add_incident(db))
    dispatcher = Dispatcher(settings, db, "p1")
    assert dispatcher.dispatch().retried == 1
    assert "no answer within 0.5s" in delivery(db, delivery_id).last_error
    assert dispatcher.dispatch(now=utcnow() + timedelta(minutes=5)).sent == 1
    # the receiver may have processed the timed-out request too: the key lets it drop it
    assert len(receiver.accepted) == 1


def test_a_permanent_failure_is_marked_failed_at_once(
    db: Database, http_server: HTTPTestServer
) -> None:
    settings = webhook_settings(http_server, url=http_server.url("/gone"))
    [delivery_id] = queue_alert(db, settings, add_incident(db))
    summary = Dispatcher(settings, db, "p1").dispatch()
    assert (summary.failed, summary.retried) == (1, 0)
    row = delivery(db, delivery_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "HTTP 404" in row.last_error


def test_retries_stop_at_the_limit_and_the_failure_stays_visible(
    db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/hook", Receiver(plan=[500] * 10))
    settings = webhook_settings(http_server)
    [delivery_id] = queue_alert(db, settings, add_incident(db))
    dispatcher = Dispatcher(settings, db, "p1")
    for hours in range(4):
        dispatcher.dispatch(now=utcnow() + timedelta(hours=hours))
    row = delivery(db, delivery_id)
    assert (row.status, row.attempts) == ("failed", 4)
    assert "HTTP 500" in row.last_error
    assert dispatcher.dispatch(now=utcnow() + timedelta(days=1)).sent == 0


def test_retry_after_is_honoured(db: Database, http_server: HTTPTestServer) -> None:
    http_server.route("/hook", Receiver(plan=[429]))
    settings = webhook_settings(http_server)
    [delivery_id] = queue_alert(db, settings, add_incident(db))
    Dispatcher(settings, db, "p1").dispatch()
    assert delivery(db, delivery_id).next_attempt_at > utcnow() + timedelta(seconds=110)


DOOMED = """
import os, signal, sys
from monitor.alerts.dispatcher import Dispatcher
from monitor.config import load_settings
from monitor.store.database import Database

settings = load_settings(sys.argv[1])
dispatcher = Dispatcher(settings, Database(sys.argv[2]), "doomed-process")
# Fault injection: the process dies after the receiver got the alert, before it is marked sent.
dispatcher._record = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
dispatcher.dispatch()
"""


def test_a_crash_between_sending_and_marking_sent_resends_with_the_same_key(
    db: Database, http_server: HTTPTestServer, tmp_path: Path
) -> None:
    receiver = Receiver()
    http_server.route("/hook", receiver)
    config = tmp_path / "monitor.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [[channels]]
            name = "hook"
            type = "webhook"
            url = "{http_server.url("/hook")}"
            secret_env = "TEST_WEBHOOK_SECRET"
            [[subscriptions]]
            name = "ops"
            channel = "hook"
            [daemon]
            lease_ttl = "5m"
            """
        )
    )
    settings = webhook_settings(http_server)
    [delivery_id] = queue_alert(db, settings, add_incident(db))
    crashed = subprocess.run(
        [sys.executable, "-c", DOOMED, str(config), db.url], capture_output=True, timeout=60
    )
    assert crashed.returncode == -9, crashed.stderr.decode()
    assert len(receiver.accepted) == 1
    row = delivery(db, delivery_id)
    assert (row.status, row.lease_owner) == ("pending", "doomed-process")

    survivor = Dispatcher(settings, db, "survivor")
    assert survivor.dispatch().sent == 0, "the dead process's lease still holds"
    assert survivor.dispatch(now=utcnow() + timedelta(minutes=6)).sent == 1
    assert receiver.requests == 2
    assert receiver.repeats == 1, "the same idempotency key came twice; the receiver dropped it"
    assert len(receiver.accepted) == 1
    assert delivery(db, delivery_id).status == "sent"


def test_the_readme_verification_snippet_accepts_monitors_requests(
    http_server: HTTPTestServer,
) -> None:
    readme = (REPO / "README.md").read_text()
    snippet = readme.split("Verifying a request", 1)[1].split("```python", 1)[1].split("```")[0]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    http_server.route("/hook", Response(204))
    assert send(channel(http_server, secret_env="TEST_WEBHOOK_SECRET")).ok
    request = http_server.requests[0]
    headers = {
        "X-Monitor-Timestamp": request.headers["x-monitor-timestamp"],
        "X-Monitor-Signature": request.headers["x-monitor-signature"],
    }
    assert namespace["verify"](SECRET, headers, request.body)
    assert not namespace["verify"]("wrong", headers, request.body)
    assert not namespace["verify"](SECRET, headers, request.body + b" ")
