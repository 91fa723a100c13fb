"""Polling schedule: intervals after success, exponential back-off with jitter after failure."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import PollingSettings
from monitor.fetch import schedule
from monitor.fetch.client import retry_after_seconds

NOW = datetime(2024, 1, 10, 12, tzinfo=UTC)
POLLING = PollingSettings.model_validate(
    {
        "default_interval": "10m",
        "min_interval": "1m",
        "max_interval": "6h",
        "backoff_base": "1m",
        "backoff_max": "4h",
    }
)


def test_the_default_interval_applies_with_up_to_ten_percent_jitter() -> None:
    delays = {
        schedule.after_success(POLLING, NOW, None, None, random.Random(n)) - NOW for n in range(50)
    }
    assert min(delays) >= timedelta(minutes=10)
    assert max(delays) <= timedelta(minutes=11)
    assert len(delays) > 1, "feeds polled together drift apart"


def test_a_feed_interval_is_never_below_the_minimum() -> None:
    assert schedule.interval_for(POLLING, 5, None) == timedelta(minutes=1)
    assert schedule.interval_for(POLLING, 1800, None) == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("ttl_s", "expected"),
    [
        (300, timedelta(minutes=10)),  # asks for more often than configured: ignored
        (3600, timedelta(hours=1)),  # asks for less often: respected
        (7 * 86400, timedelta(hours=6)),  # asks for weekly: capped at max_interval
    ],
)
def test_ttl_slows_polling_within_the_ceiling(ttl_s: int, expected: timedelta) -> None:
    assert schedule.interval_for(POLLING, None, ttl_s) == expected


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [
        (1, timedelta(seconds=48), timedelta(minutes=1)),
        (2, timedelta(seconds=96), timedelta(minutes=2)),
        (5, timedelta(minutes=12.8), timedelta(minutes=16)),
        (9, timedelta(hours=3.2), timedelta(hours=4)),  # 256m capped at 4h
        (500, timedelta(hours=3.2), timedelta(hours=4)),  # still retried at the ceiling
    ],
)
def test_failures_back_off_exponentially_up_to_the_ceiling(
    failures: int, low: timedelta, high: timedelta
) -> None:
    for seed in range(20):
        delay = schedule.after_failure(POLLING, NOW, failures, rng=random.Random(seed)) - NOW
        assert low <= delay <= high


def test_retry_after_wins_when_longer_but_is_capped() -> None:
    rng = random.Random(1)
    assert schedule.after_failure(POLLING, NOW, 1, 3600, rng) == NOW + timedelta(hours=1)
    assert schedule.after_failure(POLLING, NOW, 1, 10**9, rng) == NOW + timedelta(hours=6)
    assert schedule.after_failure(POLLING, NOW, 9, 5, rng) - NOW >= timedelta(hours=3.2)


def test_a_gone_feed_waits_the_full_ceiling() -> None:
    assert schedule.after_failure(POLLING, NOW, 1, gone=True) == NOW + timedelta(hours=4)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 10 Jan 2024 12:30:00 GMT", now=NOW) == 1800.0
    assert retry_after_seconds("Wed, 10 Jan 2024 11:00:00 GMT", now=NOW) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
