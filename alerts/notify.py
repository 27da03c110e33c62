"""From an incident to the deliveries it deserves, following the notification policy.

Decides who (roles and people, or an escalation step), which channels (per
severity), and when: now, after quiet hours (critical ignores them), or grouped
with the rest of a burst when a person has already had ``rate_limit_count``
messages on that channel within ``rate_limit_window``. Critical alerts never wait.
Sending is the delivery task's job; this module only writes ``Delivery`` rows and
returns them: the caller hands them to ``alerts.dispatch``, which queues them after
commit.

People come first: a channel the deployment has not configured is never tried (a row
says so), a person's own choices and quiet hours narrow what the policy sends, and a
person no configured channel reaches (no verified number, no WeCom id, no openid, no
push subscription) gets a failed row saying so while the organisation's managers are
told in their place. When a channel fails for good, ``fallback`` queues the next one
of ``channels.LADDER`` the person has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from alerts import channels, contacts
from alerts.models import (
    ContactProfile,
    Delivery,
    EscalationStep,
    Incident,
    NotificationPolicy,
    Silence,
)
from alerts.transports.base import delivery_key
from farm.models import Role

User = get_user_model()
PHONE_CHANNELS = set(channels.PHONE)
# Kinds of message a person must not miss: an unreachable recipient is reported for these.
URGENT_KINDS = ("firing", "escalation", "reminder")


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


def addressees(policy: NotificationPolicy, users: list, channel: str) -> list[Addressee]:
    if channel == "wecom":  # a group robot: one message to the group, not one per person
        if not policy.wecom_webhook_url:
            return []
        return [Addressee(f"wecom:policy:{policy.pk}", policy.name, None, policy.wecom_webhook_url)]
    found = []
    for user in users:
        address = contacts.address_of(user, channel)
        if address:
            found.append(Addressee(f"user:{user.pk}", _label(user), user.pk, address))
    return found


def _label(user) -> str:
    return user.get_full_name() or user.get_username()


def managers_of(incident: Incident) -> list:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__role=Role.MANAGER,
            memberships__organisation_id=incident.farm.organisation_id,
        )
        .distinct()
        .order_by("pk")
    )


def quiet_until(policy: NotificationPolicy, severity: str, now: datetime) -> datetime | None:
    """End of the quiet hours ``now`` falls in, or None (critical alerts ignore them)."""
    if policy.quiet_start is None or policy.quiet_end is None:
        return None
    return _quiet_end(policy.quiet_start, policy.quiet_end, severity, now)


def _quiet_end(start, end, severity: str, now: datetime) -> datetime | None:
    if severity == "critical":
        return None
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    t = local.time()
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
    """Write the deliveries for one notification about ``incident`` and return them
    (``alerts.dispatch`` queues the due ones after commit)."""
    policy = policy_for(incident)
    if policy is None or is_silenced(incident, now):
        return []
    if step is None:
        users = users_for(
            incident, policy.recipient_roles, policy.recipient_users.values_list("pk", flat=True)
        )
        offered = policy.channels.get(incident.severity, [])
    else:
        users = users_for(incident, step.roles, step.users.values_list("pk", flat=True))
        offered = step.channels
    quiet = quiet_until(policy, incident.severity, now)
    profiles = {p.user_id: p for p in ContactProfile.objects.filter(user__in=users)}
    rows: list[Delivery] = []

    def add(
        a: Addressee, channel: str, not_before=None, outcome=None, detail="", rkind=kind, seq=None
    ):
        seq = sequence if seq is None else seq
        if not_before is None and outcome is None and incident.severity != "critical":
            not_before = quiet or _grouping_slot(policy, a, channel, now)
        if outcome is None:
            outcome = Delivery.Outcome.DEFERRED if not_before else Delivery.Outcome.QUEUED
        rows.append(
            Delivery(
                incident=incident,
                user_id=a.user_id,
                recipient_key=a.key,
                recipient_label=a.label[:128],
                address=a.address,
                channel=channel,
                kind=rkind,
                idempotency_key=delivery_key(incident.pk, a.key, channel, rkind, seq),
                not_before=not_before,
                created=now,
                outcome=outcome,
                detail=detail,
            )
        )

    for channel in offered:
        if channel == "wecom":
            if not channels.is_configured(channel):
                continue
            for a in addressees(policy, users, channel):
                add(a, channel)
            continue
        for user in users:
            profile = profiles.get(user.pk)
            a = Addressee(f"user:{user.pk}", _label(user), user.pk, "")
            if channel not in contacts.wanted(profile, incident.severity, offered):
                continue
            if not channels.is_configured(channel):
                add(a, channel, outcome=Delivery.Outcome.FAILED, detail="channel not configured")
                continue
            address = contacts.address_of(user, channel, profile)
            if not address:
                continue
            mine = _personal_quiet_until(profile, incident.severity, now)
            add(Addressee(a.key, a.label, a.user_id, address), channel, not_before=mine)
    if kind in URGENT_KINDS:
        for user in users:
            reach = contacts.reach_of(user, profiles.get(user.pk))
            if reach.reachable:
                _outside_the_policy(user, reach, rows, add)
                continue
            why = "unverified mobile number" if reach.unverified_phone else "no channel set up"
            a = Addressee(f"user:{user.pk}", _label(user), user.pk, "")
            add(a, "none", outcome=Delivery.Outcome.FAILED, detail=f"unreachable: {why}")
            _stand_in(incident, user, why, now, add)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Delivery.objects.filter(idempotency_key__in=[r.idempotency_key for r in rows]))


def _outside_the_policy(user, reach: contacts.Reach, rows: list[Delivery], add) -> None:
    """A person the policy's channels miss but another configured channel reaches.

    Without this they would get nothing at all (e.g. the policy says SMS, they have only
    WeCom): the first channel of the ladder that reaches them is used instead.
    """
    key = f"user:{user.pk}"
    if any(r.channel == "wecom" for r in rows):
        return  # the group robot posts to the people's group (and @-mentions by number)
    if any(r.recipient_key == key and r.channel not in ("inapp", "none") for r in rows):
        return
    channel = reach.channels[0]
    address = contacts.address_of(user, channel)
    a = Addressee(key, _label(user), user.pk, address)
    add(a, channel, detail="the policy's channels do not reach this person")


def _stand_in(incident: Incident, user, why: str, now: datetime, add) -> None:
    """Tell the organisation's managers about an incident a recipient cannot receive."""
    managers = [m for m in managers_of(incident) if m.pk != user.pk]
    if not managers:
        a = Addressee(f"user:{user.pk}", _label(user), user.pk, "")
        add(
            a,
            "none",
            outcome=Delivery.Outcome.FAILED,
            detail="no manager to tell",
            rkind="stand_in",
            seq=user.pk,
        )
        return
    for manager in managers:
        profile = ContactProfile.objects.filter(user=manager).first()
        label = f"{_label(manager)} ← {_label(user)}"
        sent = False
        for channel in channels.configured_kinds():
            if channel in ("wecom", "inapp"):
                continue
            address = contacts.address_of(manager, channel, profile)
            if address:
                a = Addressee(f"user:{manager.pk}", label, manager.pk, address)
                add(
                    a,
                    channel,
                    outcome=Delivery.Outcome.QUEUED,
                    detail=f"for {_label(user)}: {why}",
                    rkind="stand_in",
                    seq=user.pk,
                )
                sent = True
                break
        if not sent:
            a = Addressee(f"user:{manager.pk}", label, manager.pk, "")
            add(
                a,
                "none",
                outcome=Delivery.Outcome.FAILED,
                detail="manager unreachable too",
                rkind="stand_in",
                seq=user.pk,
            )


def _personal_quiet_until(profile: ContactProfile | None, severity: str, now: datetime):
    if profile is None or profile.quiet_start is None or profile.quiet_end is None:
        return None
    return _quiet_end(profile.quiet_start, profile.quiet_end, severity, now)


def fallback(d: Delivery, now: datetime, why: str) -> tuple[Delivery | None, bool]:
    """After ``d`` failed for good, the next channel of the ladder the person has.

    Returns the next rung's delivery and whether it was written now (then the caller
    queues it), or (None, False) when the ladder is used up. Channels already
    used for the same message (any outcome) are skipped, so the ladder only moves down
    and a channel is never tried twice for one message.
    """
    if d.incident_id is None or d.user_id is None or d.channel not in channels.LADDER:
        return None
    seq = int(d.idempotency_key.rsplit(":", 1)[-1])
    used = set(
        Delivery.objects.filter(
            incident_id=d.incident_id, recipient_key=d.recipient_key, kind=d.kind
        ).values_list("channel", flat=True)
    )
    later = channels.LADDER[channels.LADDER.index(d.channel) + 1 :]
    profile = ContactProfile.objects.filter(user_id=d.user_id).first()
    for channel in later:
        if channel in used or channel in ("wecom", "inapp") or not channels.is_configured(channel):
            continue
        address = contacts.address_of(d.user, channel, profile)
        if not address:
            continue
        row, created = Delivery.objects.get_or_create(
            idempotency_key=delivery_key(d.incident_id, d.recipient_key, channel, d.kind, seq),
            defaults=dict(
                incident_id=d.incident_id,
                user_id=d.user_id,
                recipient_key=d.recipient_key,
                recipient_label=d.recipient_label,
                address=address,
                channel=channel,
                kind=d.kind,
                created=now,
                detail=f"after {d.channel} failed: {why}"[:2000],
            ),
        )
        return row, created
    return None, False


def is_silenced(incident: Incident, now: datetime) -> bool:
    """Silenced on the incident itself or by an active ``Silence`` that matches it."""
    if incident.silenced_until and incident.silenced_until > now:
        return True
    silences = Silence.objects.filter(
        organisation_id=incident.farm.organisation_id, starts_at__lte=now, ends_at__gt=now
    )
    return any(s.matches(incident) for s in silences)


def group_due(now: datetime) -> list[int]:
    """Deferred deliveries whose time has come: one message per person and channel.

    The most severe (then oldest) leads; the others are marked as grouped into it,
    so the person gets "溶解氧等3项" once instead of three messages.
    """
    due = list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(outcome=Delivery.Outcome.DEFERRED, not_before__lte=now, incident__isnull=False)
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
    return lead_ids
