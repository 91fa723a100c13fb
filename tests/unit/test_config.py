"""Configuration: defaults, validation messages that name the key, env overrides, secrets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import load_settings, parse_duration, read_secret, reference_markdown
from monitor.errors import ConfigError
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text)
    return path


def test_the_shipped_default_config_is_valid_and_watches_us_targets() -> None:
    settings = load_settings(REPO / "config" / "monitor.toml", environ={})
    assert settings.database.url == "sqlite:///var/monitor.db"
    assert [w.name for w in settings.watch] == ["us-diplomatic-military"]
    assert {f.name for f in settings.feeds} == {"seed-baghdad", "seed-world-news"}


def test_every_example_config_is_valid() -> None:
    examples = sorted((REPO / "config" / "examples").glob("*.toml"))
    for path in examples:
        load_settings(path, environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[fetch]\nmax_concurency = 3\n", "fetch.max_concurency: unknown key"),
        ("[polling]\ndefault_interval = 'soon'\n", "polling.default_interval: not a duration"),
        ("[[feeds]]\nname = 'x'\n", "feeds[0]: give exactly one of 'url' or 'path'"),
        ("[[feeds]]\nname = 'x'\nurl = 'ftp://a'\n", "url must start with http"),
        ("[[watch]]\nname = 'w'\nweapons = ['laser']\n", "unknown weapon(s) ['laser']"),
        ("[[subscriptions]]\nname = 's'\nchannel = 'nope'\n", "unknown channel 'nope'"),
        (
            "[[subscriptions]]\nname = 's'\nchannel = 'console'\ntimezone = 'Mars/Olympus'\n",
            "unknown time zone",
        ),
        ("[database\n", "not valid TOML"),
    ],
)
def test_a_bad_value_fails_naming_the_key_and_the_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})
    assert expected in str(caught.value)
    assert str(tmp_path) in str(caught.value)


def test_environment_overrides_the_database_url(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\nurl = 'sqlite:///a.db'\n")
    settings = load_settings(path, environ={"MONITOR_DATABASE_URL": "sqlite:///b.db"})
    assert settings.database.url == "sqlite:///b.db"


def test_durations_read_units_and_plain_seconds() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    assert parse_duration(30) == timedelta(seconds=30)
    with pytest.raises(ValueError):
        parse_duration("ten minutes")


def test_secrets_come_from_the_environment_else_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    assert read_secret("S", str(secret), environ={"S": "from-env"}) == "from-env"
    assert read_secret("S", str(secret), environ={}) == "from-file"
    assert read_secret("S", None, environ={}) is None
    with pytest.raises(ConfigError, match="secret file"):
        read_secret(None, str(tmp_path / "missing"), environ={})


def test_no_channels_means_console_and_outbox_files() -> None:
    settings = load_settings(REPO / "config" / "monitor.toml", environ={})
    assert [c.type for c in settings.effective_channels()] == ["console", "file"]
    assert all(s.mode == "immediate" for s in settings.effective_subscriptions())


def test_the_readme_reference_is_generated_from_the_settings() -> None:
    """Regenerate with: monitor config reference (between the config-reference markers)."""
    readme = (REPO / "README.md").read_text()
    start, end = "<!-- config-reference:start -->\n", "<!-- config-reference:end -->"
    assert start in readme and end in readme
    documented = readme.split(start, 1)[1].split(end, 1)[0]
    assert documented.strip() == reference_markdown().strip()
