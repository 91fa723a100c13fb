"""The outbox: which subscriptions an incident change alerts, written once per revision."""

from __future__ import annotations

from monitor.store.database import Database
from tests.alerting import add_incident, alert_settings, delivery, queue_alert

SETTINGS = alert_settings(
    [
        {"name": "now", "channel": "files", "mode": "immediate"},
        {"name": "both", "channel": "files", "mode": "both"},
        {"name": "mornings", "channel": "files", "mode": "digest"},
        {"name": "ships", "channel": "files", "rules": ["red-sea-shipping"]},
        {"name": "critical-only", "channel": "files", "min_severity": "critical"},
    ]
)


def subscriptions_alerted(db: Database, incident_id: int, revision: int = 1) -> list[str]:
    ids = queue_alert(db, SETTINGS, incident_id, revision=revision)
    return sorted(delivery(db, i).subscription for i in ids)


def test_immediate_alerts_go_to_the_subscriptions_that_want_them(db: Database) -> None:
    embassy = add_incident(db)
    assert subscriptions_alerted(db, embassy) == ["both", "now"]
    convoy = add_incident(db, watch=("aid-workers",))
    assert subscriptions_alerted(db, convoy) == ["both", "critical-only", "now"]
    ship = add_incident(db, watch=("red-sea-shipping",))
    assert subscriptions_alerted(db, ship) == ["both", "now", "ships"]


def test_one_alert_per_subscription_and_revision(db: Database) -> None:
    embassy = add_incident(db)
    assert len(subscriptions_alerted(db, embassy)) == 2
    assert subscriptions_alerted(db, embassy) == [], "the same revision again: nothing"
    assert len(subscriptions_alerted(db, embassy, revision=2)) == 2


def test_the_payload_carries_the_incident_and_its_sources(db: Database) -> None:
    embassy = add_incident(db, sources=3)
    [first, *_] = queue_alert(db, SETTINGS, embassy)
    payload = delivery(db, first).payload
    assert payload["schema"] == "monitor.alert/1"
    assert payload["idempotency_key"] == f"{payload['subscription']}:incident-{embassy}:r1"
    assert payload["incident"]["sources_count"] == 3
    assert [s["feed"] for s in payload["incident"]["sources"]] == ["Wire Service"] * 3
