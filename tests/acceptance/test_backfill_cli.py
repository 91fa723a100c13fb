"""``monitor backfill`` as operators run it: every kind of source, dates, reruns, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.procs import environment, run, write_config
from tests.feedgen import attack, filler, opml, rss, write_jsonl
from tests.servers import HTTPTestServer, Response


def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    cfg = write_config(
        tmp_path / "monitor.toml",
        {
            "fetch": {"allow_private_networks": True},
            "watch": [
                {
                    "name": "us-diplomatic-military",
                    "target_types": ["diplomatic", "military"],
                    "target_nationalities": ["US"],
                }
            ],
            "channels": [{"name": "desk", "type": "file", "directory": str(tmp_path / "outbox")}],
            "subscriptions": [{"name": "desk", "channel": "desk", "mode": "both"}],
        },
    )
    return cfg, environment(MONITOR_DATABASE_URL=f"sqlite:///{tmp_path / 'monitor.db'}")


def exported(tmp_path: Path, cfg: Path, env: dict[str, str]) -> list[dict[str, object]]:
    result = run(["--config", str(cfg), "export", "items", "--format", "jsonl"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_backfill_of_json_lines_and_opml_sends_one_digest_and_a_rerun_nothing(
    tmp_path: Path, http_server: HTTPTestServer
) -> None:
    cfg, env = setup(tmp_path)
    http_server.route("/wire.xml", Response(body=rss("Wire", [attack(0), filler(1)])))
    listing = tmp_path / "feeds.opml"
    listing.write_text(opml([("Wire", http_server.url("/wire.xml"))]))
    archive = write_jsonl(tmp_path / "archive.jsonl", [attack(3), attack(4), filler(5)])
    args = ["--config", str(cfg), "backfill", str(listing), str(archive)]
    first = run(args, tmp_path, env)
    assert first.returncode == 0, first.stderr
    summary = " ".join(first.stderr.split())
    assert "2 source(s), 5 items read, 5 new" in summary
    assert "3 relevant, 3 incidents new" in summary
    assert "1 digest(s)" in summary and "items/s" in summary
    digests = [json.loads(p.read_text()) for p in (tmp_path / "outbox").glob("*.json")]
    assert [d["kind"] for d in digests] == ["digest"]
    assert len(digests[0]["incidents"]) == 3, "one digest lists every incident"
    again = run(args, tmp_path, env)
    assert again.returncode == 0, again.stderr
    assert "5 items read, 0 new" in " ".join(again.stderr.split())
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 1, "a rerun alerts nothing"
    assert len(exported(tmp_path, cfg, env)) == 5


def test_since_and_until_are_inclusive_days(tmp_path: Path) -> None:
    cfg, env = setup(tmp_path)
    feed = tmp_path / "wire.xml"
    feed.write_bytes(rss("Wire", [attack(n) for n in range(4)]))  # 5, 12, 19, 26 Jan 2024
    result = run(
        [
            "--config",
            str(cfg),
            "backfill",
            str(feed),
            "--since",
            "2024-01-12",
            "--until",
            "2024-01-19",
            "--no-alerts",
        ],
        tmp_path,
        env,
    )
    assert result.returncode == 0, result.stderr
    assert "2 outside the dates" in " ".join(result.stderr.split())
    assert sorted(str(r["guid"]) for r in exported(tmp_path, cfg, env)) == ["attack-1", "attack-2"]
    assert not (tmp_path / "outbox").exists(), "--no-alerts sends nothing"


def test_bad_records_are_named_with_their_line_and_the_rest_is_stored(tmp_path: Path) -> None:
    cfg, env = setup(tmp_path)
    archive = write_jsonl(tmp_path / "a.jsonl", [filler(1), filler(2)], extra_lines=("{oops",))
    result = run(["--config", str(cfg), "backfill", str(archive), "--no-alerts"], tmp_path, env)
    assert result.returncode == 1
    assert f"{archive}:3: not JSON" in " ".join(result.stderr.split())
    assert len(exported(tmp_path, cfg, env)) == 2


def test_bad_dates_are_refused_before_anything_runs(tmp_path: Path) -> None:
    cfg, env = setup(tmp_path)
    feed = tmp_path / "wire.xml"
    feed.write_bytes(rss("Wire", [filler(1)]))
    result = run(
        ["--config", str(cfg), "backfill", str(feed), "--since", "last week"], tmp_path, env
    )
    assert result.returncode == 2
    assert "'last week' is not a date" in result.stderr
    reversed_range = run(
        [
            "--config",
            str(cfg),
            "backfill",
            str(feed),
            "--since",
            "2024-02-01",
            "--until",
            "2024-01-01",
        ],
        tmp_path,
        env,
    )
    assert reversed_range.returncode == 2
    assert "--since must be before --until" in reversed_range.stderr
