"""Helpers for acceptance tests: configs on disk and ``monitor`` processes to start and signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MONITOR = [sys.executable, "-m", "monitor"]


def environment(**extra: str) -> dict[str, str]:
    """The test's environment without any MONITOR_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(extra)
    return env


def toml_value(value: Any) -> str:
    """A Python value as TOML (strings, numbers, booleans, lists of those)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(path: Path, sections: dict[str, Any]) -> Path:
    """Write a TOML config: dict values are [tables], lists of dicts are [[arrays]]."""
    lines: list[str] = []
    for name, body in sections.items():
        tables = body if isinstance(body, list) else [body]
        for table in tables:
            lines.append(f"[[{name}]]" if isinstance(body, list) else f"[{name}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
            lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``monitor ARGS`` to completion."""
    return subprocess.run(
        [*MONITOR, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def wait_until(condition: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    """Poll ``condition`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class MonitorProcess:
    """``monitor ARGS`` running in the background, its stderr captured to a file."""

    def __init__(
        self, args: list[str], cwd: Path, env: dict[str, str], name: str = "monitor"
    ) -> None:
        self.log_path = cwd / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [*MONITOR, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=self._log
        )

    @property
    def log(self) -> str:
        """What the process has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        """Wait until ``text`` appears in the log (fails early if the process exits)."""

        def seen() -> bool:
            if self.proc.poll() is not None and text not in self.log:
                raise AssertionError(f"monitor exited {self.proc.returncode}:\n{self.log}")
            return text in self.log

        wait_until(seen, timeout, repr(text))

    def signal(self, sig: int = signal.SIGTERM) -> None:
        """Send ``sig``."""
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        """Wait for the exit status."""
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        """SIGKILL: the process dies without any clean-up."""
        self.proc.kill()
        self.proc.wait(30)
        self._log.close()

    def stop(self) -> None:
        """Make sure the process is gone (test teardown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self._log.close()
