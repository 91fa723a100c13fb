"""The alert commands as users run them: digest preview and send, alert test, deliveries."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.acceptance.test_cli import run
from tests.conftest import REPO
from tests.servers import free_port

WEBHOOK_CONFIG = """
[[feeds]]
name = "seed"
path = "seeds/feeds/seed.xml"

[[watch]]
name = "us-diplomatic-military"
target_types = ["diplomatic", "military"]
target_nationalities = ["US"]

[[channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:{port}/hook"
timeout = "2s"

[[subscriptions]]
name = "ops"
channel = "hook"
mode = "both"
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh clone's layout after one `monitor run --once` on the default config."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    assert run(["run", "--once"], tmp_path).returncode == 0
    return tmp_path


def outbox(workdir: Path) -> list[str]:
    return sorted(p.name for p in (workdir / "var" / "outbox").iterdir())


def test_digest_preview_shows_the_next_digest_and_sends_nothing(workdir: Path) -> None:
    before = outbox(workdir)
    result = run(["digest", "--preview", "outbox"], workdir)
    assert result.returncode == 0, result.stderr
    assert "Subject: [monitor] Digest" in result.stdout
    # one entry per incident of the seed round-up that hits the rule, none updated
    assert re.search(r"Digest \S+: [1-9]\d* new, 0 updated", result.stdout)
    assert "us-diplomatic-military" in result.stdout
    assert "preview (not sent)" in result.stderr
    as_json = run(["digest", "outbox", "--format", "json"], workdir)
    assert json.loads(as_json.stdout)["kind"] == "digest"
    assert outbox(workdir) == before


def test_digest_send_queues_and_delivers_it_once(workdir: Path) -> None:
    sent = run(["digest", "--send", "outbox"], workdir)
    assert sent.returncode == 0, sent.stderr
    assert "1 sent" in sent.stderr
    digests = [name for name in outbox(workdir) if "_digest_" in name]
    assert len(digests) == 2  # .eml and .json
    again = run(["digest", "--send", "outbox"], workdir)
    assert "nothing new" in again.stderr


def test_alert_test_sends_through_the_subscriptions_channel(workdir: Path) -> None:
    result = run(["alert", "test", "outbox"], workdir)
    assert result.returncode == 0, result.stderr
    assert "sent test alert for outbox via outbox (file)" in result.stdout
    [test_json] = [n for n in outbox(workdir) if "_test_" in n and n.endswith(".json")]
    assert json.loads((workdir / "var" / "outbox" / test_json).read_text())["kind"] == "test"


def test_alert_test_reports_a_channel_that_cannot_deliver(tmp_path: Path) -> None:
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    config = tmp_path / "monitor.toml"
    config.write_text(WEBHOOK_CONFIG.format(port=free_port()))
    result = run(["--config", str(config), "alert", "test", "ops"], tmp_path)
    assert result.returncode == 1
    assert "failed test alert for ops via hook (webhook)" in result.stderr
    assert "ConnectError" in result.stderr


def test_an_unknown_subscription_is_named_with_the_known_ones(workdir: Path) -> None:
    result = run(["alert", "test", "nobody"], workdir)
    assert result.returncode == 2
    assert "no subscription 'nobody' (known: console, outbox)" in result.stderr


def test_deliveries_list_show_and_retry(tmp_path: Path) -> None:
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    config = tmp_path / "monitor.toml"
    config.write_text(WEBHOOK_CONFIG.format(port=free_port()))
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "COLUMNS": "200"}
    args = ["--config", str(config)]
    assert run([*args, "run", "--once"], tmp_path, env).returncode == 0
    listing = run([*args, "deliveries", "list", "--status", "pending"], tmp_path, env)
    assert listing.returncode == 0, listing.stderr
    assert "ConnectError" in listing.stdout
    assert re.search(r"[1-9]\d* pending, 0 sent, 0 failed", listing.stdout)
    shown = run([*args, "deliveries", "show", "1"], tmp_path, env)
    assert "Subject: [monitor] New:" in shown.stdout and "ops:incident-1:r1" in shown.stdout
    retried = run([*args, "deliveries", "retry", "1"], tmp_path, env)
    assert retried.returncode == 0 and "1 delivery(ies) queued" in retried.stderr
    missing = run([*args, "deliveries", "retry", "99"], tmp_path, env)
    assert missing.returncode == 2 and "no delivery 99" in missing.stderr
