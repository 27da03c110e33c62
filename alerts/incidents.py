"""Opening, resolving and handling incidents — the one place their fields change.

Every change writes an ``IncidentEvent`` (who, when, why) and is pushed live. Titles
and values are worded by the rule's condition (``alerts.conditions``), in the site's
language.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from alerts import live
from alerts.conditions import condition_for
from alerts.models import AlertState, Incident, IncidentEvent, Rule

E = IncidentEvent.Kind
P = ParamSpec("P")
R = TypeVar("R")


def in_site_language(func: Callable[P, R]) -> Callable[P, R]:
    """Titles and values are stored, and sent by SMS, in the site's language, whoever's
    request (an upload, an edit) happened to open the incident."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper


@in_site_language
def value_text(rule: Rule, value: float | None, metric: str = "") -> str:
    """The incident's value as read: a reading in its unit, or what the rule's condition
    measures instead (hours for the hours-below rule)."""
    return condition_for(rule.condition).value_text(rule, value, metric)


@in_site_language
def subject_of(rule: Rule, metric: str = "") -> str:
    """What is wrong, in the farmer's words: 溶解氧, 稻飞虱, 网关离线."""
    return condition_for(rule.condition).subject(rule, metric)


def threshold_text(rule: Rule) -> str:
    return condition_for(rule.condition).threshold_text(rule)


@in_site_language
def title_of(rule: Rule, place: str, subject: str, note: str = "") -> str:
    """ "1号塘 溶解氧低于3 mg/L", "1号塘 溶解氧探头故障：fouled" — the real cause, named."""
    condition = condition_for(rule.condition)
    if note:
        return f"{place} {subject}：{condition.note_text(note)}"[:200]
    if condition.word:
        return f"{place} {subject}{condition.word}{threshold_text(rule)}"[:200]
    return f"{place} {subject}"[:200]


def open_incident(
    state: AlertState,
    rule: Rule,
    at: datetime,
    *,
    place: str,
    subject: str,
    note: str = "",
    severity: str = "",
    value_metric: str = "",
) -> Incident:
    """The firing state's incident; an open one for the same target is reused."""
    existing = Incident.objects.filter(
        rule=rule, target_key=state.target_key, resolved_at__isnull=True
    ).first()
    if existing:
        return existing
    incident = Incident.objects.create(
        rule=rule,
        alert_state=state,
        target_key=state.target_key,
        farm_id=state.farm_id,
        site_id=state.site_id,
        device_eui=state.device_eui,
        severity=severity or rule.severity,
        title=title_of(rule, place, subject, note),
        subject=subject[:64],
        value=state.last_value,
        value_text=value_text(rule, state.last_value, value_metric),
        threshold_text=threshold_text(rule),
        opened_at=at,
    )
    return incident


def resolve(incident: Incident, at: datetime, value: float | None) -> None:
    """Close the incident; the value that cleared it goes into the "resolved" message."""
    incident.resolved_at = at
    if value is not None:
        incident.value = value
        incident.value_text = value_text(incident.rule, value)
    incident.save(update_fields=["resolved_at", "value", "value_text"])


def _event(incident: Incident, kind: str, at: datetime, actor=None, reason: str = "") -> None:
    IncidentEvent.objects.create(
        incident=incident,
        alert_state_id=incident.alert_state_id,
        at=at,
        kind=kind,
        actor=actor,
        reason=reason[:255],
        value=incident.value,
    )
    live.publish_incident(incident.farm_id, incident.pk, kind)


def record(incident: Incident, kind: str, at: datetime, actor=None, reason: str = "") -> None:
    """Audit a change made outside the incident (a silence, a rule edit) on its trail."""
    _event(incident, kind, at, actor, reason)


def close(incident: Incident, user: AbstractBaseUser | None, at: datetime, reason: str) -> None:
    """Resolve without a clearing reading, because the rule behind it changed or stopped.

    No "resolved" message goes out: nothing was measured as fixed, so the trail says
    who closed it and why instead.
    """
    incident.resolved_at = at
    incident.save(update_fields=["resolved_at"])
    _event(incident, E.RESOLVED, at, user, reason)


@transaction.atomic
def acknowledge(
    incident: Incident, user: AbstractBaseUser, now: datetime, *, reason: str = ""
) -> bool:
    """One tap from the farmer: stops reminders and escalation. False if already done.

    ``reason`` says how, when not in the app ("aliyun_sms_up: SMS reply").
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.acknowledged_at is not None:
        return False
    incident.acknowledged_by = user
    incident.acknowledged_at = now
    incident.save(update_fields=["acknowledged_by", "acknowledged_at"])
    _event(incident, E.ACKNOWLEDGED, now, user, reason)
    return True


@transaction.atomic
def snooze(
    incident: Incident, user: AbstractBaseUser, until: datetime, reason: str, now: datetime
) -> None:
    """Quiet reminders and escalation until ``until``; they resume if still firing."""
    if until <= now:
        raise ValidationError(_("A snooze must end in the future."))
    if not reason.strip():
        raise ValidationError(_("Say why the alert is snoozed."))
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    incident.snoozed_until = until
    incident.snooze_reason = reason.strip()[:200]
    incident.save(update_fields=["snoozed_until", "snooze_reason"])
    _event(incident, E.SNOOZED, now, user, f"until {until.isoformat()}: {reason.strip()}")


@transaction.atomic
def silence(
    incident: Incident, user: AbstractBaseUser, until: datetime, reason: str, now: datetime
) -> None:
    """No notifications at all for this incident until ``until`` (e.g. pond being drained)."""
    if until <= now or not reason.strip():
        raise ValidationError(_("A silence needs a reason and an end in the future."))
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    incident.silenced_until = until
    incident.silence_reason = reason.strip()[:200]
    incident.save(update_fields=["silenced_until", "silence_reason"])
    _event(incident, E.SILENCED, now, user, f"until {until.isoformat()}: {reason.strip()}")


@transaction.atomic
def end_expired(now: datetime) -> list[Incident]:
    """Lift snoozes and silences that have run out; return the open incidents affected."""
    woke = []
    expired = Incident.objects.select_for_update().filter(
        Q(snoozed_until__lte=now) | Q(silenced_until__lte=now)
    )
    for incident in expired:
        if incident.snoozed_until and incident.snoozed_until <= now:
            incident.snoozed_until = None
            _event(incident, E.SNOOZE_ENDED, now, reason=incident.snooze_reason)
        if incident.silenced_until and incident.silenced_until <= now:
            incident.silenced_until = None
            _event(incident, E.SILENCE_ENDED, now, reason=incident.silence_reason)
        incident.save(update_fields=["snoozed_until", "silenced_until"])
        if incident.is_open:
            woke.append(incident)
    return woke


def mark_escalated(incident: Incident, step: int, now: datetime, reason: str) -> None:
    incident.escalation_step = step
    incident.save(update_fields=["escalation_step"])
    _event(incident, E.ESCALATED, now, reason=reason)


def mark_notified(incident: Incident, now: datetime, *, reminder: bool = False) -> None:
    incident.last_notified_at = now
    fields = ["last_notified_at"]
    if reminder:
        incident.reminders_sent += 1
        fields.append("reminders_sent")
        _event(incident, E.REMINDED, now, reason=f"reminder {incident.reminders_sent}")
    incident.save(update_fields=fields)
