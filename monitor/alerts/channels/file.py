"""The file channel: each alert written as JSON and as an .eml message in a directory."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from monitor.alerts.channels import SendResult
from monitor.alerts.mime import build_message
from monitor.alerts.render import Rendered

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FileChannel:
    """Writes ``<key>.json`` (the payload) and ``<key>.eml`` (the email) atomically."""

    def __init__(self, name: str, directory: str | Path, sender: str) -> None:
        self.name = name
        self.directory = Path(directory)
        self.sender = sender

    def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
        """Write both files; a repeat of the same key overwrites (idempotent)."""
        stem = _UNSAFE.sub("_", str(payload.get("idempotency_key") or "alert"))[:150]
        message = build_message(payload, rendered, sender=self.sender, to=["outbox@localhost"])
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(
                self.directory / f"{stem}.json",
                json.dumps(payload, indent=2, ensure_ascii=False).encode(),
            )
            _write_atomic(self.directory / f"{stem}.eml", message.as_bytes())
        except OSError as exc:
            return SendResult(ok=False, detail=f"{self.directory}: {exc.strerror or exc}")
        return SendResult(ok=True, detail=str(self.directory / f"{stem}.json"))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
