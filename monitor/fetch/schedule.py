"""When to poll a feed next: its interval after success, exponential back-off after failure.

After a success::

    interval = the feed's own interval, else polling.default_interval
    if the feed asks for less frequent polling (RSS <ttl>, sy:updatePeriod/updateFrequency):
        interval = min(what it asks, polling.max_interval)       # never slower than the ceiling
    next = now + max(interval, polling.min_interval) * uniform(1.0, 1.1)

After the n-th consecutive failure::

    delay = min(polling.backoff_max, polling.backoff_base * 2 ** (n - 1)) * uniform(0.8, 1.0)
    if the server sent Retry-After (429, 503): delay = max(delay, min(Retry-After, ceiling))
    if the feed is gone (410): delay = polling.backoff_max
    next = now + delay

where ``ceiling = max(polling.backoff_max, polling.max_interval)``. The random factor (jitter)
spreads feeds that were added, or failed, together, so they do not keep hitting the network
(or one host) in the same second. A feed that keeps failing is retried at the back-off
ceiling forever; ``polling.unhealthy_after`` failures in a row flag it unhealthy.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from monitor.config import PollingSettings

SUCCESS_JITTER = (1.0, 1.1)
FAILURE_JITTER = (0.8, 1.0)


def interval_for(
    settings: PollingSettings, feed_interval_s: int | None, ttl_s: int | None
) -> timedelta:
    """The feed's own interval (else the default), slowed to its ttl within the ceiling."""
    interval = timedelta(seconds=feed_interval_s) if feed_interval_s else settings.default_interval
    if ttl_s and timedelta(seconds=ttl_s) > interval:
        interval = max(interval, min(timedelta(seconds=ttl_s), settings.max_interval))
    return max(interval, settings.min_interval)


def after_success(
    settings: PollingSettings,
    now: datetime,
    feed_interval_s: int | None,
    ttl_s: int | None,
    rng: random.Random | None = None,
) -> datetime:
    """Next poll time after a successful poll."""
    rng = rng or random.Random()
    return now + interval_for(settings, feed_interval_s, ttl_s) * rng.uniform(*SUCCESS_JITTER)


def backoff(
    settings: PollingSettings, failures: int, rng: random.Random | None = None
) -> timedelta:
    """The jittered exponential back-off after ``failures`` consecutive failures."""
    rng = rng or random.Random()
    exponent = min(max(failures - 1, 0), 40)  # 2**40 minutes is past any sane ceiling
    delay = min(settings.backoff_max, settings.backoff_base * (2**exponent))
    return delay * rng.uniform(*FAILURE_JITTER)


def after_failure(
    settings: PollingSettings,
    now: datetime,
    failures: int,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
    *,
    gone: bool = False,
) -> datetime:
    """Next poll time after the ``failures``-th consecutive failure (see the module docstring)."""
    delay = settings.backoff_max if gone else backoff(settings, failures, rng)
    if retry_after_s is not None:
        ceiling = max(settings.backoff_max, settings.max_interval)
        delay = max(delay, min(timedelta(seconds=max(retry_after_s, 0.0)), ceiling))
    return now + delay
