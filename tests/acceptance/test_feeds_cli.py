"""``monitor feeds`` as an operator uses it: OPML in and out, a feed checked, health listed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.fetch.opml import read_opml
from tests.servers import HTTPTestServer, Request, Response

MONITOR = [sys.executable, "-m", "monitor"]
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><ttl>60</ttl>'
    b"<item><title>Rockets hit a base</title><guid>1</guid><link>https://n.example/1</link>"
    b"<pubDate>Tue, 09 Jan 2024 10:00:00 GMT</pubDate></item>"
    b"<item><title>Markets rally</title><guid>2</guid><link>https://n.example/2</link></item>"
    b"<item><title>Markets rally</title><guid>2</guid></item>"
    b"</channel></rss>"
)
OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="Middle East"><outline text="Iraq">
    <outline type="rss" text="Iraq Wire" xmlUrl="https://iraq.example/rss"/>
    <outline type="rss" text="Baghdad Daily" xmlUrl="https://baghdad.example/feed.xml"/>
  </outline></outline>
  <outline type="rss" text="Global &amp; Co" xmlUrl="https://global.example/atom" category="Wires"/>
  <outline type="rss" text="Local" xmlUrl="file:///etc/passwd"/>
</body></opml>
"""


def monitor(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update({"MONITOR_DATABASE_URL": f"sqlite:///{cwd / 'monitor.db'}", "COLUMNS": "200"})
    environ.update(env or {})
    return subprocess.run(
        [*MONITOR, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory with a config that polls nothing and flags after 1 failure."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "monitor.toml").write_text("[polling]\nunhealthy_after = 1\n")
    return tmp_path


def test_opml_import_then_export_keeps_names_and_categories(workdir: Path) -> None:
    (workdir / "mine.opml").write_text(OPML)
    imported = monitor(["feeds", "import", "mine.opml"], workdir)
    assert imported.returncode == 0, imported.stderr
    assert "imported 3 new feed(s)" in imported.stdout and "1 refused" in imported.stdout
    again = monitor(["feeds", "import", "mine.opml"], workdir)
    assert "imported 0 new feed(s)" in again.stdout and "3 already present" in again.stdout

    exported = monitor(["feeds", "export", "-o", "out.opml"], workdir)
    assert exported.returncode == 0, exported.stderr
    feeds = {(f.name, f.url, f.category) for f in read_opml(workdir / "out.opml")}
    assert feeds == {
        ("Iraq Wire", "https://iraq.example/rss", "Middle East/Iraq"),
        ("Baghdad Daily", "https://baghdad.example/feed.xml", "Middle East/Iraq"),
        ("Global & Co", "https://global.example/atom", "Wires"),
    }


def test_check_shows_items_dates_and_problems_and_stores_nothing(
    workdir: Path, http_server: HTTPTestServer
) -> None:
    http_server.route(
        "/feed", Response(200, FEED, {"ETag": '"x"', "Content-Type": "application/rss+xml"})
    )
    result = monitor(
        ["feeds", "check", http_server.url("/feed")],
        workdir,
        {"MONITOR_ALLOW_PRIVATE_NETWORKS": "true"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "HTTP 200" in out and 'ETag "x"' in out and "rss20" in out
    assert "2 item(s)" in out and "asks to be polled every 1h" in out
    assert "2024-01-09 10:00" in out and "Rockets hit a base" in out
    assert "problem: 1 item(s) repeat an id" in out
    assert not (workdir / "monitor.db").exists(), "check stores nothing"


@pytest.mark.parametrize(
    ("route", "env", "message"),
    [
        ("/page", {"MONITOR_ALLOW_PRIVATE_NETWORKS": "true"}, "an HTML page that links to no feed"),
        ("/missing", {"MONITOR_ALLOW_PRIVATE_NETWORKS": "true"}, "HTTP 404"),
        ("/page", {}, "loopback address (set fetch.allow_private_networks"),
    ],
)
def test_check_explains_why_a_feed_cannot_be_read(
    workdir: Path, http_server: HTTPTestServer, route: str, env: dict[str, str], message: str
) -> None:
    http_server.route(
        "/page", Response(200, b"<html><body>Hi</body></html>", {"Content-Type": "text/html"})
    )
    result = monitor(["feeds", "check", http_server.url(route)], workdir, env)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())


def test_list_shows_each_feeds_health_after_a_cycle(
    workdir: Path, http_server: HTTPTestServer
) -> None:
    def etagged(request: Request) -> Response:
        return Response(200, FEED, {"ETag": '"x"'})

    http_server.route("/good", etagged)
    env = {"MONITOR_ALLOW_PRIVATE_NETWORKS": "true"}
    for name, route in (("good", "/good"), ("broken", "/broken")):
        added = monitor(
            ["feeds", "add", http_server.url(route), "--name", name, "--interval", "15m"],
            workdir,
            env,
        )
        assert added.returncode == 0, added.stderr
    cycle = monitor(["run", "--once"], workdir, env)
    assert cycle.returncode == 0, cycle.stderr

    listing = monitor(["feeds", "list"], workdir, env)
    assert listing.returncode == 0, listing.stderr
    good = next(line for line in listing.stdout.splitlines() if "good" in line)
    assert "healthy" in good and "etag" in good
    # The feed's <ttl>60</ttl> slows the 15-minute interval to an hour (plus jitter); the
    # listing runs a moment after the cycle, so it may read "in 59m" as well as "in 1h".
    assert re.search(r"in (59m|1h)", good), good
    assert "2 feed(s), 1 unhealthy" in listing.stdout

    rows = [
        json.loads(line)
        for line in monitor(["feeds", "list", "--json"], workdir, env).stdout.splitlines()
    ]
    by_name = {row["name"]: row for row in rows}
    assert by_name["good"]["items_seen"] == 2 and by_name["good"]["etag"] is True
    assert by_name["broken"]["status"] == "unhealthy"
    assert "HTTP 404" in by_name["broken"]["last_error"]
    assert by_name["broken"]["consecutive_failures"] == 1

    unhealthy = monitor(["feeds", "list", "--unhealthy", "--json"], workdir, env)
    assert [json.loads(line)["name"] for line in unhealthy.stdout.splitlines()] == ["broken"]
