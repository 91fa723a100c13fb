"""Digests: one message listing the new and updated incidents of a period, per subscription.

Two producers share :func:`digest_payload`: backfill's end-of-run digest
(:func:`enqueue_digests`) and the daemon's scheduled digests (:func:`enqueue_scheduled_digest`,
fired by a cron schedule in the subscriber's time zone). A scheduled digest covers the
incidents created or materially changed since the subscription's previous digest
(``SubscriptionState.last_digest_at``) up to the scheduled time; the delivery and the new
``last_digest_at`` are written in one transaction, and its idempotency key names the
subscription and the scheduled time, so several processes firing the same schedule queue
it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor.alerts.outbox import _sources, wants
from monitor.alerts.payload import SCHEMA, incident_snapshot
from monitor.config import SEVERITY_ORDER, Settings, SubscriptionConfig
from monitor.errors import ConfigError
from monitor.store.database import Database
from monitor.store.models import Delivery, Incident, SubscriptionState, utcnow

#: How far before the previous digest's end a digest looks again. An incident change is
#: stamped when its batch starts and committed when it ends; on PostgreSQL a digest can run
#: in between and miss it. Looking back this far (and skipping what the previous digest
#: already listed at the same revision) catches such late commits without repeating anything.
DIGEST_OVERLAP = timedelta(minutes=15)

#: Links listed per incident in a digest.
DIGEST_LINKS = 3


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """What a subscription's digest for one scheduled time would contain."""

    subscription: SubscriptionConfig
    start: datetime | None
    end: datetime
    key: str
    payload: dict[str, Any]

    @property
    def empty(self) -> bool:
        """True when no incident is listed."""
        return not self.payload["incidents"]


def subscription(settings: Settings, name: str) -> SubscriptionConfig:
    """The subscription called ``name`` (raises :class:`ConfigError` naming the known ones)."""
    subs = {s.name: s for s in settings.effective_subscriptions()}
    if name not in subs:
        raise ConfigError(f"no subscription {name!r} (known: {', '.join(sorted(subs)) or 'none'})")
    return subs[name]


def scheduled_key(name: str, scheduled_for: datetime) -> str:
    """The idempotency key of ``name``'s digest scheduled at ``scheduled_for``."""
    stamp = scheduled_for.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{name}:digest:{stamp}"


def previous_run(sub: SubscriptionConfig, before: datetime) -> datetime:
    """The cron time of ``sub`` strictly before ``before``, in UTC."""
    local = before.astimezone(ZoneInfo(sub.timezone))
    previous: datetime = croniter(sub.digest_cron, local).get_prev(datetime)
    return previous.astimezone(UTC)


def enqueue_scheduled_digest(
    db: Database, settings: Settings, subscription_name: str, scheduled_for: datetime
) -> int:
    """Queue ``subscription_name``'s digest for ``scheduled_for``; the deliveries written (0 or 1).

    Idempotent per (subscription, scheduled time): a second call, from this process or
    another, writes nothing. 0 also when the period is empty (unless
    ``alerts.digest_send_empty``) or already covered by a later digest. Raises
    :class:`ConfigError` for an unknown subscription.
    """
    sub = subscription(settings, subscription_name)
    end = _aware(scheduled_for)
    key = scheduled_key(sub.name, end)
    try:
        with db.session() as session:
            state = _lock_state(session, sub.name)
            if _exists(session, key) or (state.last_digest_at and state.last_digest_at >= end):
                return 0
            plan = plan_digest(session, settings, sub, end, start=state.last_digest_at, key=key)
            state.last_digest_at = end
            session.add(state)
            if plan.empty and not settings.alerts.digest_send_empty:
                return 0
            session.add(_delivery(sub, key, plan.payload, utcnow()))
    except IntegrityError:
        # Another process wrote the same digest (or state row) at the same moment.
        return 0
    return 1


def preview_digest(
    db: Database, settings: Settings, subscription_name: str, now: datetime
) -> DigestPlan:
    """What ``subscription_name``'s next digest would list if it ran at ``now``; writes nothing."""
    sub = subscription(settings, subscription_name)
    end = _aware(now)
    with db.session() as session:
        state = session.get(SubscriptionState, sub.name)
        start = state.last_digest_at if state else None
        return plan_digest(
            session, settings, sub, end, start=start, key=scheduled_key(sub.name, end)
        )


def plan_digest(
    session: Session,
    settings: Settings,
    sub: SubscriptionConfig,
    end: datetime,
    *,
    start: datetime | None,
    key: str,
) -> DigestPlan:
    """The digest of ``sub`` for the period ending at ``end`` (first digest: one cron period)."""
    start = start or previous_run(sub, end)
    incidents = _changed_incidents(session, settings, sub, start - DIGEST_OVERLAP, end)
    seen = _previously_listed(session, sub.name, key)
    fresh = [i for i in incidents if (i.id, i.revision) not in seen]
    payload = digest_payload(session, settings, sub, fresh, start=start, end=end, key=key)
    return DigestPlan(sub, start, end, key, payload)


def digest_payload(
    session: Session,
    settings: Settings,
    sub: SubscriptionConfig,
    incidents: Sequence[Incident],
    *,
    start: datetime | None,
    end: datetime,
    key: str,
) -> dict[str, Any]:
    """The payload of a digest of ``incidents`` for ``sub``, grouped by watch rule and severity.

    ``incidents`` is flat, most severe first, each with ``status`` (new/updated) and
    ``rule`` (the group it is listed under); ``groups`` gives the order and the ids.
    """
    severities: dict[str, str] = {rule.name: rule.severity for rule in settings.watch}
    ordered = _ordered(incidents, sub, severities)
    listed = ordered[: settings.alerts.digest_max_incidents]
    snapshots = [_digest_entry(session, sub, i, severities, start, end) for i in listed]
    return {
        "schema": SCHEMA,
        "kind": "digest",
        "subscription": sub.name,
        "idempotency_key": key,
        "created_at": end.isoformat(),
        "period": {
            "start": start.isoformat() if start else None,
            "end": end.isoformat(),
            "timezone": sub.timezone,
        },
        "counts": {
            "new": sum(1 for s in snapshots if s["status"] == "new"),
            "updated": sum(1 for s in snapshots if s["status"] == "updated"),
            "omitted": len(ordered) - len(listed),
        },
        "groups": _groups(snapshots, severities),
        "incidents": snapshots,
    }


def enqueue_digests(
    db: Database, settings: Settings, incident_ids: Sequence[int], *, now: datetime, reason: str
) -> int:
    """One digest delivery per subscription interested in any of ``incident_ids``."""
    fingerprint = hashlib.sha256(",".join(map(str, incident_ids)).encode()).hexdigest()[:16]
    count = 0
    with db.session() as session:
        incidents = list(
            session.exec(select(Incident).where(col(Incident.id).in_(list(incident_ids)))).all()
        )
        for sub in settings.effective_subscriptions():
            chosen = [i for i in incidents if i.relevant and wants(sub, settings, i.watch)]
            key = f"{sub.name}:{reason}-digest:{fingerprint}"
            if not chosen or _exists(session, key):
                continue
            payload = digest_payload(session, settings, sub, chosen, start=None, end=now, key=key)
            session.add(_delivery(sub, key, payload, now))
            count += 1
    return count


# --- helpers ---------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _exists(session: Session, key: str) -> bool:
    return (
        session.exec(select(Delivery.id).where(Delivery.idempotency_key == key)).first() is not None
    )


def _lock_state(session: Session, name: str) -> SubscriptionState:
    """The subscription's state row, locked for this transaction (created on first use)."""
    query = select(SubscriptionState).where(SubscriptionState.name == name).with_for_update()
    state = session.exec(query).first()
    if state is None:
        state = SubscriptionState(name=name)
        session.add(state)
        session.flush()  # a concurrent creator makes this fail: the caller returns 0
    return state


def _changed_incidents(
    session: Session, settings: Settings, sub: SubscriptionConfig, since: datetime, end: datetime
) -> list[Incident]:
    query = (
        select(Incident)
        .where(
            Incident.relevant,
            col(Incident.last_updated_at) > since,
            col(Incident.last_updated_at) <= end,
        )
        .order_by(col(Incident.id))
    )
    return [i for i in session.exec(query).all() if wants(sub, settings, i.watch)]


def _previously_listed(session: Session, name: str, key: str) -> set[tuple[int, int]]:
    """(incident id, revision) pairs of the subscription's last digest before this one."""
    query = (
        select(Delivery.payload)
        .where(Delivery.subscription == name, Delivery.kind == "digest")
        .where(Delivery.idempotency_key != key)
        .order_by(col(Delivery.id).desc())
        .limit(1)
    )
    payload = session.exec(query).first() or {}
    return {(i.get("id"), i.get("revision")) for i in payload.get("incidents", [])}


def _rule_for(sub: SubscriptionConfig, watch: list[str], severities: dict[str, str]) -> str:
    """The rule an incident is listed under: the most severe one the subscription wants."""
    wanted = [r for r in watch if "*" in sub.rules or r in sub.rules] or list(watch) or ["-"]
    return min(wanted, key=lambda r: (-SEVERITY_ORDER[severities.get(r, "high")], r))


def _ordered(
    incidents: Sequence[Incident], sub: SubscriptionConfig, severities: dict[str, str]
) -> list[Incident]:
    """Most severe rule first, rules by name, and within a rule the latest event first."""
    latest = sorted(incidents, key=lambda i: (i.event_date is not None, i.event_date, i.id or 0))
    latest.reverse()

    def group(incident: Incident) -> tuple[int, str]:
        rule = _rule_for(sub, incident.watch, severities)
        return -SEVERITY_ORDER[severities.get(rule, "high")], rule

    return sorted(latest, key=group)  # stable: keeps the date order within a group


def _digest_entry(
    session: Session,
    sub: SubscriptionConfig,
    incident: Incident,
    severities: dict[str, str],
    start: datetime | None,
    end: datetime,
) -> dict[str, Any]:
    snap = incident_snapshot(incident, _sources(session, incident.id or 0, limit=DIGEST_LINKS))
    first_seen = incident.first_seen_at or end
    snap["status"] = "new" if start is None or first_seen > start else "updated"
    snap["rule"] = _rule_for(sub, incident.watch, severities)
    return snap


def _groups(snapshots: list[dict[str, Any]], severities: dict[str, str]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for snap in snapshots:
        rule = snap["rule"]
        group = groups.setdefault(
            rule, {"rule": rule, "severity": severities.get(rule, "high"), "incident_ids": []}
        )
        group["incident_ids"].append(snap["id"])
    return list(groups.values())


def _delivery(
    sub: SubscriptionConfig, key: str, payload: dict[str, Any], now: datetime
) -> Delivery:
    return Delivery(
        subscription=sub.name,
        channel=sub.channel,
        kind="digest",
        idempotency_key=key,
        payload=payload,
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
