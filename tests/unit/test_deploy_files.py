"""The deployment files (Dockerfile, compose, systemd units) name only real commands and settings.

There is no container engine or systemd to run them in the tests; these checks keep them
from drifting away from the code.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.config import ENV_OVERRIDES, SmtpSettings
from tests.conftest import REPO

DEPLOY_FILES = [
    REPO / "Dockerfile",
    REPO / "deploy" / "compose.yaml",
    REPO / "deploy" / "systemd" / "monitor.service",
    REPO / "deploy" / "systemd" / "monitor@.service",
]
#: Variables monitor reads besides the setting overrides, and the compose file's own.
KNOWN = {
    "MONITOR_CONFIG",
    SmtpSettings().password_env,
    "MONITOR_DB_PASSWORD",  # compose: the PostgreSQL password it puts in the URL
}


@pytest.mark.parametrize("path", DEPLOY_FILES, ids=lambda p: p.name)
def test_every_monitor_variable_in_a_deploy_file_is_one_monitor_reads(path: Path) -> None:
    names = set(re.findall(r"\bMONITOR_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert names, f"{path.name} configures monitor through the environment"
    assert names <= set(ENV_OVERRIDES) | KNOWN


def test_the_commands_the_deploy_files_run_exist() -> None:
    commands = [["run"], ["db", "upgrade"]]
    compose = (REPO / "deploy" / "compose.yaml").read_text(encoding="utf-8")
    for found in re.findall(r"command: \[(.*)\]", compose):
        assert [c.strip(' "') for c in found.split(",")] in commands
    for unit in DEPLOY_FILES[2:]:
        exec_start = re.search(r"^ExecStart=(.*)$", unit.read_text(encoding="utf-8"), re.M)
        assert exec_start is not None
        assert shlex.split(exec_start.group(1))[1:] in commands
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, result.output


def test_the_image_serves_health_where_its_healthcheck_looks() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "MONITOR_HEALTH_PORT=8080" in dockerfile and "EXPOSE 8080" in dockerfile
    assert "/healthz" in dockerfile
    assert re.search(r"^USER monitor$", dockerfile, re.M), "runs as a non-root user"
