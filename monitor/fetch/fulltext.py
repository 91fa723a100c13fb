"""Optional full text: fetch the article page of a summary-only item and extract its text.

Used for feeds configured with ``fetch_full_text = true``: an item whose text is shorter
than ``fetch.full_text_min_chars`` gets its page fetched (same limits, same address guard
as feeds) and its main text extracted with trafilatura, which is the optional extra
``fulltext`` (``pip install 'monitor[fulltext]'``). Without it monitor logs once and keeps
the summaries. A page that cannot be fetched or yields no text leaves the item as it was.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.parse.text import clean_text
from monitor.records import Entry

log = logging.getLogger(__name__)

Extract = Callable[[bytes, str], str | None]


@functools.cache
def extractor() -> Extract | None:
    """trafilatura's extraction, imported on first use; ``None`` (logged once) when missing."""
    try:
        import trafilatura
    except ImportError as exc:
        log.warning(
            "fetch_full_text is set but trafilatura is not installed or cannot be imported "
            "(%s; pip install 'monitor[fulltext]'); keeping feed summaries",
            exc,
        )
        return None

    def extract(body: bytes, url: str) -> str | None:
        result: Any = trafilatura.extract(
            body, url=url, include_comments=False, include_tables=False, deduplicate=False
        )
        return result if isinstance(result, str) else None

    return extract


def needs_full_text(entry: Entry, min_chars: int) -> bool:
    """True for an item with a link whose text is shorter than ``min_chars``."""
    return bool(entry.link) and len(entry.body) < min_chars


async def with_full_text(
    fetcher: Fetcher, entries: Sequence[Entry], min_chars: int
) -> tuple[Entry, ...]:
    """``entries``, the short ones with the text of their article page when it is longer."""
    extract = extractor() if any(needs_full_text(e, min_chars) for e in entries) else None
    if extract is None:
        return tuple(entries)
    return tuple(
        await asyncio.gather(
            *(
                _enrich(fetcher, extract, e) if needs_full_text(e, min_chars) else _same(e)
                for e in entries
            )
        )
    )


async def _same(entry: Entry) -> Entry:
    return entry


async def _enrich(fetcher: Fetcher, extract: Extract, entry: Entry) -> Entry:
    assert entry.link is not None
    try:
        page = await fetcher.fetch_page(entry.link)
    except FetchError as exc:
        log.info("full text of %s not fetched: %s", entry.link, exc)
        return entry
    if not page.body:
        return entry
    # Extraction is CPU work in lxml; a thread keeps the event loop serving other fetches.
    try:
        text = await asyncio.to_thread(extract, page.body, page.final_url or entry.link)
    except (ValueError, TypeError, LookupError, RecursionError) as exc:
        log.warning("full text of %s not extracted: %s: %s", entry.link, type(exc).__name__, exc)
        return entry
    text = clean_text(text)
    if len(text) <= len(entry.body):
        return entry
    return dataclasses.replace(entry, content=text)
