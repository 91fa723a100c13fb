"""Scheduled digests: what a subscription's digest lists, written once however often it fires."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, select

from monitor.alerts.digest import enqueue_scheduled_digest, preview_digest, scheduled_key
from monitor.errors import ConfigError
from monitor.store.database import Database
from monitor.store.models import Delivery, SubscriptionState
from tests.alerting import T0, add_incident, alert_settings

DAY = timedelta(days=1)
SETTINGS = alert_settings()


def digests(db: Database) -> list[Delivery]:
    with db.session() as session:
        query = select(Delivery).where(Delivery.kind == "digest").order_by(col(Delivery.id))
        return list(session.exec(query).all())


def listed(delivery: Delivery) -> list[tuple[str, str]]:
    return [(i["title"], i["status"]) for i in delivery.payload["incidents"]]


def test_a_digest_lists_the_incidents_changed_since_the_last_one(db: Database) -> None:
    add_incident(db, title="Embassy attack", first_seen=T0 + timedelta(hours=3))
    assert enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY) == 1
    [digest] = digests(db)
    assert digest.idempotency_key == scheduled_key("morning", T0 + DAY)
    assert (digest.subscription, digest.channel, digest.status) == ("morning", "files", "pending")
    assert listed(digest) == [("Embassy attack", "new")]
    assert digest.payload["period"]["end"] == (T0 + DAY).isoformat()
    assert digest.payload["counts"] == {"new": 1, "updated": 0, "omitted": 0}
    with db.session() as session:
        state = session.get(SubscriptionState, "morning")
        assert state is not None and state.last_digest_at == T0 + DAY


def test_firing_the_same_schedule_again_writes_nothing(db: Database) -> None:
    add_incident(db, first_seen=T0 + timedelta(hours=3))
    assert enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY) == 1
    assert enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY) == 0
    assert len(digests(db)) == 1


def test_processes_firing_the_same_schedule_at_once_write_it_once(db: Database) -> None:
    add_incident(db, first_seen=T0 + timedelta(hours=3))
    barrier = threading.Barrier(4)
    results: list[int] = []

    def fire() -> None:
        barrier.wait()
        results.append(enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY))

    threads = [threading.Thread(target=fire) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 0, 1]
    assert len(digests(db)) == 1


def test_the_next_digest_lists_only_later_changes_and_marks_updates(db: Database) -> None:
    old = add_incident(db, title="Old attack", first_seen=T0 + timedelta(hours=2))
    enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY)
    add_incident(db, title="Quiet attack", first_seen=T0 + timedelta(hours=5))  # already listed
    add_incident(db, title="New attack", first_seen=T0 + DAY + timedelta(hours=1))
    with db.session() as session:
        from monitor.store.models import Incident

        incident = session.get(Incident, old)
        assert incident is not None
        incident.revision, incident.last_updated_at = 2, T0 + DAY + timedelta(hours=2)
        session.add(incident)
    assert enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + 2 * DAY) == 1
    second = digests(db)[1]
    assert sorted(listed(second)) == [("New attack", "new"), ("Old attack", "updated")]
    assert second.payload["counts"]["updated"] == 1


def test_a_change_committed_late_is_caught_by_the_next_digest_but_not_repeated(
    db: Database,
) -> None:
    add_incident(db, title="Listed", first_seen=T0 + DAY - timedelta(minutes=5))
    enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY)
    # stamped before the first digest's end, committed after it ran
    add_incident(db, title="Late", first_seen=T0 + DAY - timedelta(minutes=2))
    enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + 2 * DAY)
    assert [t for t, _ in listed(digests(db)[1])] == ["Late"]


def test_the_first_digest_covers_one_period_of_the_schedule(db: Database) -> None:
    add_incident(db, title="Last week", first_seen=T0 - 7 * DAY)
    add_incident(db, title="Yesterday", first_seen=T0 + timedelta(hours=12))
    enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY)
    assert [t for t, _ in listed(digests(db)[0])] == ["Yesterday"]


def test_an_empty_period_sends_nothing_unless_asked_but_moves_on(db: Database) -> None:
    assert enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY) == 0
    assert digests(db) == []
    with db.session() as session:
        state = session.get(SubscriptionState, "morning")
        assert state is not None and state.last_digest_at == T0 + DAY
    chatty = alert_settings(alerts={"digest_send_empty": True})
    assert enqueue_scheduled_digest(db, chatty, "morning", T0 + 2 * DAY) == 1
    assert listed(digests(db)[0]) == []


def test_a_schedule_older_than_the_last_digest_is_skipped(db: Database) -> None:
    add_incident(db, first_seen=T0 + timedelta(hours=3))
    enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + 2 * DAY)
    assert enqueue_scheduled_digest(db, SETTINGS, "morning", T0 + DAY) == 0


def test_incidents_are_grouped_by_rule_most_severe_first(db: Database) -> None:
    settings = alert_settings(
        [{"name": "morning", "channel": "files", "mode": "digest", "min_severity": "medium"}]
    )
    add_incident(db, title="Ship hit", watch=("red-sea-shipping",), first_seen=T0 + DAY / 2)
    add_incident(db, title="Convoy hit", watch=("aid-workers",), first_seen=T0 + DAY / 2)
    add_incident(
        db,
        title="Embassy and aid office hit",
        watch=("us-diplomatic-military", "aid-workers"),
        first_seen=T0 + DAY / 2,
    )
    add_incident(db, title="Embassy hit", first_seen=T0 + DAY / 2)
    enqueue_scheduled_digest(db, settings, "morning", T0 + DAY)
    payload = digests(db)[0].payload
    groups = [(g["rule"], g["severity"], len(g["incident_ids"])) for g in payload["groups"]]
    assert groups == [
        ("aid-workers", "critical", 2),
        ("us-diplomatic-military", "high", 1),
        ("red-sea-shipping", "medium", 1),
    ]
    assert [i["rule"] for i in payload["incidents"]] == [
        "aid-workers",
        "aid-workers",
        "us-diplomatic-military",
        "red-sea-shipping",
    ]


def test_a_subscription_only_gets_its_rules(db: Database) -> None:
    settings = alert_settings(
        [{"name": "ships", "channel": "files", "mode": "digest", "rules": ["red-sea-shipping"]}]
    )
    add_incident(db, title="Embassy", first_seen=T0 + DAY / 2)
    add_incident(db, title="Ship", watch=("red-sea-shipping",), first_seen=T0 + DAY / 2)
    add_incident(db, title="Not watched", watch=(), first_seen=T0 + DAY / 2)
    enqueue_scheduled_digest(db, settings, "ships", T0 + DAY)
    assert [t for t, _ in listed(digests(db)[0])] == ["Ship"]


def test_the_digest_time_zone_sets_the_first_period(db: Database) -> None:
    settings = alert_settings(
        [{"name": "paris", "channel": "files", "mode": "digest", "timezone": "Europe/Paris"}]
    )
    # 07:00 in Paris is 06:00 UTC in December: the period is 06:00 UTC -> 06:00 UTC.
    add_incident(db, title="Before", first_seen=T0 - timedelta(minutes=90))
    add_incident(db, title="Inside", first_seen=T0 - timedelta(minutes=30))
    enqueue_scheduled_digest(db, settings, "paris", T0 + DAY - timedelta(hours=1))
    assert [t for t, _ in listed(digests(db)[0])] == ["Inside"]


def test_preview_shows_the_next_digest_and_writes_nothing(db: Database) -> None:
    add_incident(db, title="Pending", first_seen=T0 + timedelta(hours=3))
    plan = preview_digest(db, SETTINGS, "morning", T0 + DAY)
    assert [i["title"] for i in plan.payload["incidents"]] == ["Pending"]
    assert digests(db) == []
    with db.session() as session:
        assert session.get(SubscriptionState, "morning") is None


def test_an_unknown_subscription_is_named(db: Database) -> None:
    with pytest.raises(ConfigError, match=r"no subscription 'nobody'.*morning"):
        enqueue_scheduled_digest(db, SETTINGS, "nobody", T0)
