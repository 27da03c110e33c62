"""From an incident to the deliveries it deserves, following the notification policy.

Decides who (roles and people, or an escalation step), which channels (per
severity), and when: now, after quiet hours (critical ignores them), or grouped
with the rest of a burst when a person has already had ``rate_limit_count``
messages on that channel within ``rate_limit_window``. Critical alerts never wait.
Sending is the delivery task's job; this module only writes ``Delivery`` rows and
queues them after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from alerts.models import Delivery, EscalationStep, Incident, NotificationPolicy, Silence
from alerts.transports.base import delivery_key
from farm.models import Membership, Role

User = get_user_model()
PHONE_CHANNELS = {"aliyun_sms", "tencent_sms", "aliyun_voice", "tencent_voice"}


@dataclass(frozen=True)
class Addressee:
    key: str  # stable id for the idempotency key: "user:7", "wecom:policy:3"
    label: str
    user_id: int | None
    address: str


def policy_for(incident: Incident) -> NotificationPolicy | None:
    """The farm's own policy, else the organisation's."""
    policies = NotificationPolicy.objects.filter(
        Q(farm_id=incident.farm_id) | Q(farm__isnull=True),
        organisation_id=incident.farm.organisation_id,
    )
    return min(policies, key=lambda p: p.farm_id is None, default=None)


def users_for(incident: Incident, roles: Iterable[str], user_ids: Iterable[int]) -> list:
    """People by role on the incident's farm (operators of it, managers of its org) or by name."""
    farm = incident.farm
    q = Q(pk__in=list(user_ids))
    roles = set(roles)
    if Role.MANAGER in roles:
        q |= Q(memberships__role=Role.MANAGER, memberships__organisation_id=farm.organisation_id)
    if Role.OPERATOR in roles:
        q |= Q(memberships__role=Role.OPERATOR, memberships__farms=farm)
    return list(User.objects.filter(q, is_active=True).distinct().order_by("pk"))


def address_of(user, channel: str, policy: NotificationPolicy) -> str:
    if channel in PHONE_CHANNELS:
        phone = (
            Membership.objects.filter(user=user).exclude(phone="").values_list("phone", flat=True)
        ).first()
        return phone or ""
    if channel == "email":
        return user.email
    if channel == "webpush":
        sub = user.push_subscriptions.order_by("-created").first()
        return sub.endpoint if sub else ""
    return ""


def addressees(policy: NotificationPolicy, users: list, channel: str) -> list[Addressee]:
    if channel == "wecom":  # a group robot: one message to the group, not one per person
        if not policy.wecom_webhook_url:
            return []
        return [Addressee(f"wecom:policy:{policy.pk}", policy.name, None, policy.wecom_webhook_url)]
    found = []
    for user in users:
        address = address_of(user, channel, policy)
        if address:
            label = user.get_full_name() or user.get_username()
            found.append(Addressee(f"user:{user.pk}", label, user.pk, address))
    return found


def quiet_until(policy: NotificationPolicy, severity: str, now: datetime) -> datetime | None:
    """End of the quiet hours ``now`` falls in, or None (critical alerts ignore them)."""
    if severity == "critical" or policy.quiet_start is None or policy.quiet_end is None:
        return None
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    start, end, t = policy.quiet_start, policy.quiet_end, local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tz)


def _grouping_slot(policy: NotificationPolicy, a: Addressee, channel: str, now: datetime):
    """When this person is over the rate limit, the time the grouped message goes out."""
    window_start = now - policy.rate_limit_window
    recent = Delivery.objects.filter(
        recipient_key=a.key,
        channel=channel,
        created__gte=window_start,
    )
    waiting = recent.filter(outcome=Delivery.Outcome.DEFERRED).order_by("not_before").first()
    if waiting:
        return waiting.not_before
    sent = recent.exclude(outcome=Delivery.Outcome.SUPPRESSED).count()
    if sent >= policy.rate_limit_count:
        return now + policy.rate_limit_window
    return None


def plan(
    incident: Incident,
    kind: str,
    now: datetime,
    *,
    step: EscalationStep | None = None,
    sequence: int = 0,
) -> list[Delivery]:
    """Write the deliveries for one notification about ``incident``; queue the due ones."""
    policy = policy_for(incident)
    if policy is None or is_silenced(incident, now):
        return []
    if step is None:
        users = users_for(
            incident, policy.recipient_roles, policy.recipient_users.values_list("pk", flat=True)
        )
        channels = policy.channels.get(incident.severity, [])
    else:
        users = users_for(incident, step.roles, step.users.values_list("pk", flat=True))
        channels = step.channels
    quiet = quiet_until(policy, incident.severity, now)
    rows = []
    for channel in channels:
        for a in addressees(policy, users, channel):
            not_before = None
            if incident.severity != "critical":  # a critical alert never waits
                not_before = quiet or _grouping_slot(policy, a, channel, now)
            rows.append(
                Delivery(
                    incident=incident,
                    user_id=a.user_id,
                    recipient_key=a.key,
                    recipient_label=a.label[:128],
                    address=a.address,
                    channel=channel,
                    kind=kind,
                    idempotency_key=delivery_key(incident.pk, a.key, channel, kind, sequence),
                    not_before=not_before,
                    created=now,
                    outcome=Delivery.Outcome.DEFERRED if not_before else Delivery.Outcome.QUEUED,
                )
            )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    saved = list(Delivery.objects.filter(idempotency_key__in=[r.idempotency_key for r in rows]))
    queue([d.pk for d in saved if d.outcome == Delivery.Outcome.QUEUED])
    return saved


def is_silenced(incident: Incident, now: datetime) -> bool:
    """Silenced on the incident itself or by an active ``Silence`` that matches it."""
    if incident.silenced_until and incident.silenced_until > now:
        return True
    silences = Silence.objects.filter(
        organisation_id=incident.farm.organisation_id, starts_at__lte=now, ends_at__gt=now
    )
    return any(s.matches(incident) for s in silences)


def queue(delivery_ids: list[int]) -> None:
    """Hand deliveries to Celery once the rows they name are committed."""
    if not delivery_ids:
        return
    from alerts.tasks import deliver  # tasks → checks → engine → notify: import late

    transaction.on_commit(lambda: [deliver.delay(pk) for pk in delivery_ids])


def group_due(now: datetime) -> list[int]:
    """Deferred deliveries whose time has come: one message per person and channel.

    The most severe (then oldest) leads; the others are marked as grouped into it,
    so the person gets "溶解氧等3项" once instead of three messages.
    """
    due = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(outcome=Delivery.Outcome.DEFERRED, not_before__lte=now)
        .select_related("incident")
        .order_by("created", "pk")
    )
    groups: dict[tuple[str, str], list[Delivery]] = {}
    for d in due:
        groups.setdefault((d.address, d.channel), []).append(d)
    lead_ids = []
    rank = {"critical": 0, "warning": 1, "info": 2}
    for members in groups.values():
        members.sort(key=lambda d: (rank.get(d.incident.severity, 3), d.created, d.pk))
        lead, rest = members[0], members[1:]
        lead.outcome = Delivery.Outcome.QUEUED
        lead.save(update_fields=["outcome"])
        for d in rest:
            d.outcome = Delivery.Outcome.SUPPRESSED
            d.grouped_into = lead
            d.detail = f"grouped into delivery {lead.pk}"
            d.save(update_fields=["outcome", "grouped_into", "detail"])
        lead_ids.append(lead.pk)
    queue(lead_ids)
    return lead_ids
