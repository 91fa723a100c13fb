"""When to poll a feed next: its interval after success, exponential back-off after failure."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from monitor.config import PollingSettings


def interval_for(
    settings: PollingSettings, feed_interval_s: int | None, ttl_s: int | None
) -> timedelta:
    """The feed's own interval (else the default), slowed to its ttl within the ceiling."""
    interval = timedelta(seconds=feed_interval_s) if feed_interval_s else settings.default_interval
    if ttl_s and timedelta(seconds=ttl_s) > interval:
        interval = min(timedelta(seconds=ttl_s), settings.max_interval)
    return max(interval, settings.min_interval)


def after_success(
    settings: PollingSettings, now: datetime, feed_interval_s: int | None, ttl_s: int | None
) -> datetime:
    """Next poll time after a successful poll."""
    return now + interval_for(settings, feed_interval_s, ttl_s)


def after_failure(
    settings: PollingSettings,
    now: datetime,
    failures: int,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """Next poll time after the ``failures``-th consecutive failure.

    ``backoff_base * 2 ** (failures - 1)``, capped at ``backoff_max``, with +-20% jitter so that
    feeds failing together do not retry together; a server's Retry-After wins when longer.
    """
    rng = rng or random.Random()
    delay = min(settings.backoff_max, settings.backoff_base * (2 ** max(failures - 1, 0)))
    delay *= rng.uniform(0.8, 1.2)
    if retry_after_s is not None:
        delay = max(delay, min(timedelta(seconds=retry_after_s), settings.backoff_max))
    return now + delay
