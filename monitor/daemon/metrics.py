"""Prometheus metrics of one daemon process, plus figures read from the database.

Counters count what *this* process did (sum them across replicas in PromQL); gauges read
at scrape time from the database (pending deliveries, poll lag, feed health) describe the
whole deployment and are the same on every replica.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from monitor import __version__
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import utcnow

if TYPE_CHECKING:
    from monitor.alerts.dispatcher import DispatchSummary
    from monitor.daemon.polljob import CycleSummary

log = logging.getLogger(__name__)

#: What ``GET /metrics`` answers with.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_CYCLE_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)

# ``*_created`` series double the output and tell nothing a restart counter would not.
disable_created_metrics()


class Metrics:
    """The daemon's metrics, in a registry of their own (several daemons can share a process)."""

    def __init__(self, db: Database | None = None, owner: str = "") -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        info = Gauge(
            "monitor_info",
            "Version and lease name of this process.",
            ["version", "owner"],
            registry=r,
        )
        info.labels(__version__, owner).set(1)
        self.feeds_polled = Counter("monitor_feeds_polled", "Feed polls done.", registry=r)
        self.feeds_failed = Counter("monitor_feeds_failed", "Feed polls that failed.", registry=r)
        self.feeds_unchanged = Counter(
            "monitor_feeds_unchanged", "Feed polls that found nothing changed.", registry=r
        )
        self.items_new = Counter("monitor_items_new", "New items stored.", registry=r)
        self.items_attack = Counter(
            "monitor_items_attack", "New items reporting an attack.", registry=r
        )
        self.items_relevant = Counter(
            "monitor_items_relevant", "New items hitting a watch rule.", registry=r
        )
        self.incidents_new = Counter("monitor_incidents_new", "Incidents created.", registry=r)
        self.incidents_updated = Counter(
            "monitor_incidents_updated", "Incidents materially updated.", registry=r
        )
        self.deliveries_sent = Counter("monitor_deliveries_sent", "Alerts sent.", registry=r)
        self.deliveries_failed = Counter(
            "monitor_deliveries_failed", "Alerts given up on after their last try.", registry=r
        )
        self.deliveries_retried = Counter(
            "monitor_deliveries_retried", "Failed sends scheduled for another try.", registry=r
        )
        self.digests = Counter("monitor_digests_enqueued", "Scheduled digests queued.", registry=r)
        self.items_purged = Counter(
            "monitor_items_purged", "Old items deleted by retention.", registry=r
        )
        self.cycle_seconds = Histogram(
            "monitor_poll_cycle_duration_seconds",
            "Duration of poll cycles that polled at least one feed.",
            buckets=_CYCLE_BUCKETS,
            registry=r,
        )
        self.last_cycle = Gauge(
            "monitor_last_poll_cycle_timestamp_seconds",
            "When the last poll cycle finished (Unix time).",
            registry=r,
        )
        if db is not None:
            r.register(DatabaseCollector(db))

    def record_cycle(self, summary: CycleSummary) -> None:
        """Count what a poll cycle did."""
        s = summary.stats
        self.feeds_polled.inc(summary.feeds)
        self.feeds_failed.inc(summary.failed)
        self.feeds_unchanged.inc(summary.not_modified)
        self.items_new.inc(s.new)
        self.items_attack.inc(s.attacks)
        self.items_relevant.inc(s.relevant)
        self.incidents_new.inc(s.incidents_new)
        self.incidents_updated.inc(s.incidents_updated)
        if summary.feeds:
            self.cycle_seconds.observe(summary.seconds)
        self.last_cycle.set_to_current_time()

    def record_dispatch(self, summary: DispatchSummary) -> None:
        """Count what a dispatch round did."""
        self.deliveries_sent.inc(summary.sent)
        self.deliveries_failed.inc(summary.failed)
        self.deliveries_retried.inc(summary.retried)

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Figures of the whole deployment, read from the database at each scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges; when the database is unreachable only ``monitor_database_up 0``."""
        up = GaugeMetricFamily("monitor_database_up", "1 when the database answered.")
        try:
            figures = self._read()
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreachable: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from figures

    def _read(self) -> list[Metric]:
        with self.db.session() as session:
            deliveries = repo.delivery_counts(session)
            lag = repo.poll_lag_seconds(session, utcnow())
            feeds = repo.feed_health_counts(session)
        by_status = GaugeMetricFamily(
            "monitor_deliveries", "Deliveries in the outbox by status.", labels=["status"]
        )
        for status in ("pending", "sent", "failed"):
            by_status.add_metric([status], deliveries.get(status, 0))
        pending = GaugeMetricFamily("monitor_deliveries_pending", "Alerts waiting to be sent.")
        pending.add_metric([], deliveries.get("pending", 0))
        feed_gauge = GaugeMetricFamily(
            "monitor_feeds", "Enabled feeds by health.", labels=["health"]
        )
        for health, n in sorted(feeds.items()):
            feed_gauge.add_metric([health], n)
        lag_gauge = GaugeMetricFamily(
            "monitor_poll_lag_seconds", "How late the most overdue feed's poll is."
        )
        lag_gauge.add_metric([], lag)
        return [by_status, pending, feed_gauge, lag_gauge]
