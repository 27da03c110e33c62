"""Sending one ``Delivery`` through its transport, exactly once.

The row is locked (SELECT … FOR UPDATE) for the whole attempt: a duplicated or
redelivered task waits on the lock and then finds the row delivered, so it never
sends twice; a worker killed mid-attempt drops its connection, the lock goes with
it, and the redelivered task (acks_late) sends the message that was not recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts import channels, dispatch, incidents, notify
from alerts.channels import TransportNotConfigured
from alerts.models import ContactProfile, Delivery, Incident
from alerts.transports import IncidentSummary, Message, Recipient, get_transport, render

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20  # with the back-off below: about 1 h 20 min of trying
# Retries on one channel before the next channel of the ladder is tried as well (a
# throttled or broken vendor must not hold an alarm back for an hour).
FALLBACK_AFTER = 3
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 300.0

DONE = {Delivery.Outcome.DELIVERED, Delivery.Outcome.FAILED, Delivery.Outcome.SUPPRESSED}
__all__ = ["TransportNotConfigured", "send", "transport_config"]


@dataclass(frozen=True)
class Attempt:
    outcome: str
    retry_in: float | None = None  # seconds, when the task should try again


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential: 5, 10, 20 … s, capped at 5 min; a provider's Retry-After wins.

    ``settings.ALERT_DELIVERY_BACKOFF_S`` = (base, cap) overrides the defaults.
    """
    base, cap = getattr(settings, "ALERT_DELIVERY_BACKOFF_S", (BACKOFF_BASE_S, BACKOFF_CAP_S))
    if retry_after is not None:
        return min(max(retry_after, base), 2 * cap)
    return min(base * 2 ** max(attempts - 1, 0), cap)


def transport_config(kind: str):
    """The typed config of one channel (see ``alerts.channels``)."""
    return channels.transport_config(kind)


def incident_url(incident: Incident) -> str:
    base = getattr(settings, "ALERT_LINK_BASE", "") or settings.CONFIG.site_url
    return f"{base.rstrip('/')}/i/{incident.pk}"


def message_for(d: Delivery, now: datetime) -> Message:
    incident = d.incident
    if incident is None:
        return test_message(d)
    grouped = d.grouped.count()
    subject = incident.subject or incident.title
    if grouped:
        subject = f"{subject}等{grouped + 1}项"
    minutes = int((now - incident.opened_at).total_seconds() // 60)
    site = incident.site.name if incident.site_id else incident.farm.name
    summary = IncidentSummary(
        incident_id=incident.pk,
        url=incident_url(incident),
        severity=incident.severity,
        site=site,
        subject=subject,
        value=incident.value_text,
        threshold=incident.threshold_text,
        minutes_unacknowledged=minutes,
    )
    kind = "firing" if d.kind == "stand_in" else d.kind
    lang = "zh-hans"
    if d.user_id:
        lang = (
            ContactProfile.objects.filter(user_id=d.user_id)
            .values_list("language", flat=True)
            .first()
            or lang
        )
    return render(kind, summary, lang, idempotency_key=d.idempotency_key)


def test_message(d: Delivery) -> Message:
    """A person's "send me a test": the firing template filled with harmless values."""
    base = getattr(settings, "ALERT_LINK_BASE", "") or settings.CONFIG.site_url
    return Message(
        incident_id="0",
        incident_url=f"{base.rstrip('/')}/alerts/me/",
        severity="info",
        title="[测试] 农情监测通知",
        body=f"这是一条测试消息，{d.recipient_label}能收到告警。",
        template="firing",
        template_params={
            "site": "测试",
            "subject": "通知测试",
            "value": "-",
            "threshold": "-",
            "id": "0",
        },
        idempotency_key=d.idempotency_key,
    )


def recipient_for(d: Delivery) -> Recipient:
    name = d.recipient_label
    if d.channel == "wecom":
        phone = ""
        if d.user_id:
            phone = d.user.memberships.exclude(phone="").values_list("phone", flat=True).first()
        return Recipient(name=name, wecom_webhook_url=d.address, phone=phone or "")
    if d.channel == "email":
        return Recipient(name=name, email=d.address)
    if d.channel == "webpush":
        sub = d.user.push_subscriptions.filter(endpoint=d.address).first() if d.user_id else None
        return Recipient(name=name, webpush_subscription=sub.as_json() if sub else None)
    if d.channel == "wecom_app":
        return Recipient(name=name, wecom_userid=d.address)
    if d.channel == "wechat":
        return Recipient(name=name, wechat_openid=d.address)
    return Recipient(name=name, phone=d.address)


def _stale(d: Delivery, now: datetime) -> str:
    """Why this delivery should no longer go out, or ""."""
    incident = d.incident
    if incident is None:
        return ""
    if d.kind in ("reminder", "escalation", "stand_in"):
        if not incident.is_open:
            return "incident resolved"
        if incident.is_quiet(now):
            return "incident acknowledged, snoozed or silenced"
    if d.kind == "firing" and incident.silenced_until and incident.silenced_until > now:
        return "incident silenced"
    return ""


def _next_channel(d: Delivery, now: datetime, why: str) -> bool:
    """Fall back to the next channel of the ladder; True when there is one."""
    row, created = notify.fallback(d, now, why)
    if created:
        dispatch.queue([row.pk])
    return row is not None


def send(delivery_id: int, now: datetime | None = None) -> Attempt:
    """One attempt at one delivery; safe to call any number of times for the same row."""
    with transaction.atomic():
        d = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("incident__site", "incident__farm", "user")
            .get(pk=delivery_id)
        )
        now = now or timezone.now()
        if d.outcome in DONE:
            return Attempt(d.outcome)
        if d.outcome == Delivery.Outcome.DEFERRED:
            return Attempt(d.outcome)  # ``notify.group_due`` queues it when its time comes
        why = _stale(d, now)
        if why:
            d.outcome, d.detail = Delivery.Outcome.SUPPRESSED, why
            d.save(update_fields=["outcome", "detail"])
            return Attempt(d.outcome)
        try:
            transport = get_transport(d.channel, transport_config(d.channel))
        except (TransportNotConfigured, ValueError) as exc:
            d.outcome, d.detail = Delivery.Outcome.FAILED, str(exc)
            if _next_channel(d, now, str(exc)):
                d.detail += " (next channel queued)"
            d.save(update_fields=["outcome", "detail"])
            log.error("delivery %s not sent: %s", d.pk, exc)
            return Attempt(d.outcome)
        result = transport.notify(message_for(d, now), recipient_for(d))
        d.attempts += 1
        d.last_attempt_at = now
        d.detail = result.detail[:2000]
        d.provider_id = result.provider_id[:128]
        d.vendor_code = result.vendor_code[:64]
        retry_in = None
        if result.ok:
            d.outcome, d.delivered_at = Delivery.Outcome.DELIVERED, now
            if d.incident_id:
                incidents.mark_notified(d.incident, now, reminder=False)
        elif result.status == "retry" and d.attempts < MAX_ATTEMPTS:
            d.outcome = Delivery.Outcome.RETRYING
            retry_in = backoff(d.attempts, result.retry_after)
            if d.attempts >= FALLBACK_AFTER and _next_channel(d, now, d.detail):
                d.outcome, retry_in = Delivery.Outcome.FAILED, None
                d.detail = f"gave up after {d.attempts} attempts, next channel queued: {d.detail}"
        else:
            d.outcome = Delivery.Outcome.FAILED
            log.warning("delivery %s failed after %d attempts: %s", d.pk, d.attempts, d.detail)
            if _next_channel(d, now, d.detail):
                d.detail = f"{d.detail} (next channel queued)"[:2000]
        d.save()
        return Attempt(d.outcome, retry_in)
