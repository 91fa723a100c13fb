"""Local feed files, read like a fetch (with the same size cap and unchanged detection)."""

from __future__ import annotations

import time
from pathlib import Path

from monitor.errors import FetchError, ResponseTooLargeError
from monitor.fetch.client import body_hash
from monitor.records import FetchResult


def read_feed_file(
    path: str | Path, *, max_bytes: int, previous_hash: str | None = None
) -> FetchResult:
    """Read a local feed file; raises :class:`FetchError` naming the path on failure."""
    started = time.monotonic()
    file = Path(path)
    try:
        with file.open("rb") as handle:
            # Read one byte past the cap rather than trust stat(): pipes and devices lie.
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FetchError(f"{file}: {exc.strerror or exc}", url=str(file)) from exc
    if len(body) > max_bytes:
        raise ResponseTooLargeError(f"{file}: larger than {max_bytes} bytes", url=str(file))
    digest = body_hash(body)
    return FetchResult(
        url=file.as_uri() if file.is_absolute() else str(file),
        status=200,
        body=body,
        body_hash=digest,
        unchanged=digest == previous_hash,
        elapsed_s=time.monotonic() - started,
    )
