"""The time-based half of alerting, run by Celery beat: things that happen because
nothing happened (no data, a silent gateway), and the clock on open incidents
(escalation, reminders, snooze and silence expiry, deferred deliveries).

The conditions judged here are those whose class in ``alerts.conditions`` says
``on_beat``: no data, silent gateways and, on the device register's latest voltage, a
low battery. Threshold rules are never polled here; they are judged on the stream by
``engine``. Deliveries planned here go to ``dispatch``, which queues them after commit.
Every function takes ``now`` so tests drive time without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from alerts import dispatch, engine, incidents, live, notify
from alerts.conditions import Judgement, Verdict
from alerts.models import (
    AlertState,
    Delivery,
    Incident,
    IncidentEvent,
    NotificationPolicy,
    Rule,
)
from alerts.state import set_inhibition
from sensors.models import Device, Gateway
from vocabulary.events import ReadingEvent, Transition

C = Rule.Condition
S = AlertState.State
DEFAULT_GATEWAY_SILENCE = timedelta(minutes=15)  # [config]
STALLED_AFTER = timedelta(minutes=10)  # longer than the largest back-off + one attempt


def _save(states: list[AlertState], events: list, transitions: list[Transition]) -> None:
    engine.save_states(states)
    IncidentEvent.objects.bulk_create([e for e in events if e is not None])
    live.publish(transitions)


@transaction.atomic
def check_gateways(now: datetime) -> list[Transition]:
    """A gateway not heard from within the rule's window is one incident for its farm."""
    rules = Rule.objects.filter(condition=C.GATEWAY_SILENT, enabled=True, is_template=False)
    states, events, transitions = [], [], []
    for rule in rules:
        window = rule.window or DEFAULT_GATEWAY_SILENCE
        gateways = Gateway.objects.filter(
            farm__organisation_id=rule.organisation_id, last_seen__isnull=False
        ).select_related("farm")
        for gw in gateways:
            state, _ = AlertState.objects.select_for_update().get_or_create(
                rule=rule,
                target_key=f"gateway:{gw.gateway_eui}",
                defaults={"farm": gw.farm, "device_eui": gw.gateway_eui},
            )
            silent = gw.last_seen < now - window
            j = Judgement(Verdict.BREACH if silent else Verdict.CLEAR, None)
            place = f"{gw.farm.name}{gw.name or gw.gateway_eui}"
            t, e = engine.apply_judgement(state, rule, j, now, place, now)
            states.append(state)
            if t:
                transitions.append(t)
                events.append(e)
    _save(states, events, transitions)
    return transitions


def silent_gateway_farms() -> dict[int, str]:
    """Farms with a gateway-offline incident firing, and its title (the real cause)."""
    firing = Incident.objects.filter(
        rule__condition=C.GATEWAY_SILENT, resolved_at__isnull=True
    ).values_list("farm_id", "title")
    return dict(firing)


@transaction.atomic
def check_no_data(now: datetime) -> list[Transition]:
    """Targets whose last reading is older than the rule's window; held back (not
    notified) on farms whose gateway is offline, since the gateway is the cause."""
    offline = silent_gateway_farms()
    stale = (
        AlertState.objects.select_for_update(of=("self",))
        .filter(rule__condition=C.NO_DATA, rule__enabled=True, last_seen__isnull=False)
        .exclude(state=S.FIRING)
        .select_related("rule", "site")
    )
    states, events, transitions = [], [], []
    for state in stale:
        rule = state.rule
        if rule.window is None or state.last_seen >= now - rule.window:
            continue
        cause = offline.get(state.farm_id, "")
        if cause:
            if set_inhibition(state, cause[:128]):
                states.append(state)
                events.append(
                    IncidentEvent(alert_state=state, at=now, kind="inhibited", reason=cause)
                )
            continue
        set_inhibition(state, "")
        place = state.site.name if state.site_id else state.device_eui
        t, e = engine.apply_judgement(
            state, rule, Judgement(Verdict.BREACH, state.last_value), now, place, now
        )
        # A no-data breach has already lasted the whole window: no extra pending time.
        if state.state == S.PENDING:
            t2, e2 = engine.apply_judgement(
                state, rule, Judgement(Verdict.BREACH, state.last_value), now, place, now
            )
            t, e = t2 or t, e2 or e
        states.append(state)
        if t:
            transitions.append(t)
            events.append(e)
    _save(states, events, transitions)
    return transitions


def check_low_battery(now: datetime) -> list[Transition]:
    """Battery rules judged on the device register's latest battery voltage."""
    rules = Rule.objects.filter(
        condition=C.BATTERY_BELOW, metric="battery_v", enabled=True, is_template=False
    )
    orgs = set(rules.values_list("organisation_id", flat=True))
    devices = Device.objects.filter(
        farm__organisation_id__in=orgs, battery_v__isnull=False, last_seen__isnull=False
    )
    readings = [
        ReadingEvent.at(d.last_seen, d.farm_id, d.site_id, d.dev_eui, "battery_v", d.battery_v)
        for d in devices
    ]
    return engine.evaluate(readings, now)


def _unacknowledged(now: datetime) -> Iterator[tuple[Incident, NotificationPolicy]]:
    """Open, unacknowledged incidents (locked) that may be told again now, with their
    policy: the one loop escalation and reminders share. Quiet, snoozed or silenced
    incidents and those without a policy are skipped."""
    candidates = Incident.objects.select_for_update(of=("self",)).filter(
        resolved_at__isnull=True, acknowledged_at__isnull=True
    )
    for incident in candidates.select_related("farm"):
        if incident.is_quiet(now) or notify.is_silenced(incident, now):
            continue
        policy = notify.policy_for(incident)
        if policy is not None:
            yield incident, policy


@transaction.atomic
def escalate(now: datetime) -> int:
    """Next escalation step for open, unacknowledged incidents whose step time has come."""
    count = 0
    for incident, policy in _unacknowledged(now):
        due = [
            s
            for s in policy.steps.all()
            if s.order > incident.escalation_step and incident.opened_at + s.after <= now
        ]
        for step in due:
            dispatch.send_after_commit(
                notify.plan(incident, "escalation", now, step=step, sequence=step.order)
            )
            minutes = int(step.after.total_seconds() // 60)
            incidents.mark_escalated(
                incident, step.order, now, f"step {step.order}: {minutes} min unacknowledged"
            )
            count += 1
    return count


@transaction.atomic
def remind(now: datetime) -> int:
    """Repeat the message for firing, unacknowledged incidents every ``repeat_interval``."""
    count = 0
    for incident, policy in _unacknowledged(now):
        if not policy.repeat_interval:
            continue
        last = incident.last_notified_at or incident.opened_at
        if last + policy.repeat_interval > now:
            continue
        _send_reminder(incident, now)
        count += 1
    return count


def _send_reminder(incident: Incident, now: datetime) -> None:
    sequence = incident.reminders_sent + 1
    dispatch.send_after_commit(notify.plan(incident, "reminder", now, sequence=sequence))
    incidents.mark_notified(incident, now, reminder=True)


@transaction.atomic
def expire(now: datetime) -> int:
    """Lift snoozes and silences that ran out; a still-firing incident is told again."""
    woke = incidents.end_expired(now)
    for incident in woke:
        if incident.acknowledged_at is None:
            _send_reminder(incident, now)
    return len(woke)


@transaction.atomic
def flush_deferred(now: datetime) -> int:
    """Send what quiet hours or the rate limit held back, one grouped message each."""
    leads = notify.group_due(now)
    dispatch.queue(leads)
    return len(leads)


@transaction.atomic
def requeue_stalled(now: datetime) -> int:
    """Queue again deliveries whose task was lost (broker restart, killed worker).

    Rows locked by an attempt in progress are skipped, so this never sends twice.
    """
    stalled = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(outcome__in=[Delivery.Outcome.QUEUED, Delivery.Outcome.RETRYING])
        .filter(
            Q(last_attempt_at__lt=now - STALLED_AFTER)
            | Q(last_attempt_at__isnull=True, created__lt=now - STALLED_AFTER)
        )
        .values_list("pk", flat=True)
    )
    dispatch.queue(stalled)
    return len(stalled)
