"""Editing rules, notification policies and silences: the domain side of those pages.

The views stay thin: they ask ``farm.access`` (through the helpers here) who may do
what, bind a form, and call these functions. Who may do what:

* rules and policies belong to an organisation; its managers (and admins) change them;
  they are read where their scope lies within the reader's farms (``farm.access``);
* silences belong to a farm (or, for managers, a whole organisation); whoever may
  edit the farm — operators included — may silence and end a silence there;
* bureau reviewers read everything in their region and change nothing.

The engine reads enabled rules afresh for every batch (``engine.RuleBook``) and the
beat checks query them on every run, so there is no rule cache to invalidate; what a
rule change must handle is the per-target ``AlertState`` the old rule left behind
(see ``save_rule``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from alerts import incidents
from alerts.conditions import condition_for
from alerts.models import (
    AlertState,
    EscalationStep,
    Incident,
    IncidentEvent,
    NotificationPolicy,
    Rule,
    Silence,
)
from farm import access
from farm.models import Farm, Organisation, Site
from sensors.models import Device

S = AlertState.State
E = IncidentEvent.Kind

# Changing one of these changes *what* is watched: the old per-target states no longer
# describe anything the rule will judge again.
WATCH_FIELDS = (
    "source",
    "metric",
    "condition",
    "site_id",
    "farm_id",
    "device_eui",
    "match_kind",
    "match_text",
    "match_cultivation",
)
# Changing one of these changes *how* readings are judged.
JUDGE_FIELDS = (
    "threshold",
    "threshold_high",
    "clear_threshold",
    "clear_threshold_high",
    "window",
    "for_duration",
    "for_readings",
    "params",
)
# --- access ---------------------------------------------------------------------------


def can_manage(user: access.User, organisation: Organisation | int) -> bool:
    """Rules and policies: the organisation's managers and admins (as for new farms)."""
    return access.can_create_farm_in(user, organisation)


def require_manage(user: access.User, organisation: Organisation | int) -> None:
    if not can_manage(user, organisation):
        raise PermissionDenied("only the organisation's managers change its alerting")


def visible_organisation_or_404(user: access.User, pk: int) -> Organisation:
    try:
        return access.visible_organisations(user).get(pk=pk)
    except Organisation.DoesNotExist:
        raise Http404 from None


def visible_rules(user: access.User) -> QuerySet[Rule]:
    """Decided by ``farm.access``: only rules scoped within the user's readable farms."""
    return access.visible_rules(user)


def rule_or_404(user: access.User, pk: int) -> Rule:
    try:
        return visible_rules(user).get(pk=pk)
    except Rule.DoesNotExist:
        raise Http404 from None


def visible_policies(user: access.User) -> QuerySet[NotificationPolicy]:
    """Decided by ``farm.access``: a readable farm's policies and organisation-wide ones."""
    return access.visible_policies(user)


def policy_or_404(user: access.User, pk: int) -> NotificationPolicy:
    try:
        return visible_policies(user).get(pk=pk)
    except NotificationPolicy.DoesNotExist:
        raise Http404 from None


def visible_silences(user: access.User) -> QuerySet[Silence]:
    """Decided by ``farm.access``: silences scoped within the user's readable farms."""
    return access.visible_silences(user)


def silence_or_404(user: access.User, pk: int) -> Silence:
    try:
        return visible_silences(user).get(pk=pk)
    except Silence.DoesNotExist:
        raise Http404 from None


def can_edit_silence(user: access.User, silence: Silence) -> bool:
    if silence.farm_id is None:
        return can_manage(user, silence.organisation_id)
    return access.can_edit_farm(user, silence.farm_id)


def require_edit_silence(user: access.User, silence: Silence) -> None:
    if not can_edit_silence(user, silence):
        raise PermissionDenied("read-only access to this farm")


# --- rules ----------------------------------------------------------------------------


def check_rule(rule: Rule) -> dict[str, list[str]]:
    """What is wrong with a rule, per field, before it reaches the engine.

    The engine assumes what is checked here (a band has both limits, a no-data rule a
    window...) and would otherwise fail on the first reading or never fire. What each
    condition needs is said by its class in ``alerts.conditions``; the rest (window,
    durations, scope) holds for every rule.
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    cond = condition_for(rule.condition)
    if cond.needs_metric and not rule.metric.strip():
        add("metric", _("Say which metric or detection class this rule watches."))
    if cond.needs_threshold and rule.threshold is None:
        add("threshold", _("This condition needs a threshold."))
    if not cond.is_band:
        if rule.threshold_high is not None:
            add("threshold_high", _("Only a band (outside) has an upper threshold."))
        if rule.clear_threshold_high is not None:
            add("clear_threshold_high", _("Only a band (outside) has an upper clear level."))
    if rule.clear_threshold is not None and not cond.takes_clear:
        add("clear_threshold", _("This condition does not use a clear level."))
    cond.check(rule, add)
    if rule.window is not None and rule.window.total_seconds() <= 0:
        add("window", _("The window must be longer than zero."))
    if rule.for_duration.total_seconds() < 0:
        add("for_duration", _("The duration cannot be negative."))
    if rule.for_readings < 1:
        add("for_readings", _("At least one reading."))
    _check_scope(rule, add)
    return errors


def _check_scope(rule: Rule, add) -> None:
    org_id = rule.organisation_id
    farm = Farm.objects.filter(pk=rule.farm_id).first() if rule.farm_id else None
    site = Site.objects.filter(pk=rule.site_id).first() if rule.site_id else None
    if farm is not None and farm.organisation_id != org_id:
        add("farm", _("This farm does not belong to the organisation."))
    if site is not None:
        if site.farm.organisation_id != org_id:
            add("site", _("This site is not on a farm of the organisation."))
        elif farm is not None and site.farm_id != farm.pk:
            add("site", _("This site is not on the chosen farm."))
    if rule.device_eui:
        device = Device.objects.filter(dev_eui=rule.device_eui).first()
        if device is None or device.farm.organisation_id != org_id:
            add("device_eui", _("No device with this EUI on the organisation's farms."))


@dataclass(frozen=True)
class RuleChange:
    """What saving a rule did to the states the engine keeps for it."""

    created: bool
    closed: int = 0  # open incidents closed (rule disabled or now watches something else)
    restarted: int = 0  # pending states sent back to OK (judgement changed)


def _changed(old: Rule, new: Rule, fields: tuple[str, ...]) -> bool:
    return any(getattr(old, f) != getattr(new, f) for f in fields)


@transaction.atomic
def save_rule(rule: Rule, user: AbstractBaseUser, now: datetime) -> RuleChange:
    """Save a validated rule and keep the engine's view of it consistent.

    * Disabled, enabled again, or now watching something else (metric, condition,
      scope): every state of the rule is reset to OK with its memory and last reading
      cleared, and open incidents are closed with the editor's name on the trail. The
      engine stops judging a disabled rule and may never again see the old targets, so
      a firing state would otherwise keep its incident (and its reminders) open for
      ever. The states are reset rather than deleted because deleting would cascade to
      their audit events. Clearing ``last_seen`` keeps a re-enabled no-data rule from
      firing on the gap it was disabled for (the engine did not update it meanwhile).
    * Only thresholds, durations or window changed: pending states restart at OK, as
      their breach count was for the old judgement; firing states are kept and resolve
      by the new clear level on their next reading, since closing them would tell the
      farmer a problem is over that nothing measured as over.
    * Name, description or severity alone: states are untouched (open incidents keep
      the severity they were sent with).
    """
    if not rule.pk:
        rule.save()
        return RuleChange(created=True)
    old = Rule.objects.select_for_update().get(pk=rule.pk)
    rule.save()
    if old.enabled != rule.enabled or _changed(old, rule, WATCH_FIELDS):
        if not rule.enabled:
            why = _("rule disabled by %(user)s")
        elif not old.enabled:
            why = _("rule enabled again by %(user)s")
        else:
            why = _("rule changed by %(user)s: it now watches something else")
        why %= {"user": _name(user)}
        return RuleChange(False, closed=_reset_states(rule, user, now, why))
    if _changed(old, rule, JUDGE_FIELDS):
        return RuleChange(False, restarted=_restart_pending(rule, user, now))
    return RuleChange(False)


def _name(user: AbstractBaseUser) -> str:
    full = getattr(user, "get_full_name", lambda: "")()
    return full or user.get_username()


def _locked_states(rule: Rule) -> list[AlertState]:
    # pk order, as the engine locks them, so an edit and a batch wait instead of deadlocking
    return list(AlertState.objects.select_for_update().filter(rule=rule).order_by("pk"))


def _reset_states(rule: Rule, user: AbstractBaseUser, now: datetime, why: str) -> int:
    states = _locked_states(rule)
    closed = 0
    for incident in Incident.objects.select_for_update().filter(
        rule=rule, resolved_at__isnull=True
    ):
        incidents.close(incident, user, now, why)
        closed += 1
    for st in states:
        if st.state == S.PENDING:  # a firing one has its incident's "resolved" entry
            IncidentEvent.objects.create(
                alert_state=st, at=now, kind=E.OK, actor=user, reason=why[:255]
            )
    AlertState.objects.filter(pk__in=[st.pk for st in states]).update(
        state=S.OK,
        since=now,
        last_value=None,
        last_seen=None,
        breach_count=0,
        inhibited_by="",
        memory={},
    )
    return closed


def _restart_pending(rule: Rule, user: AbstractBaseUser, now: datetime) -> int:
    pending = [st for st in _locked_states(rule) if st.state == S.PENDING]
    why = _("rule thresholds changed by %(user)s; counting starts again") % {"user": _name(user)}
    IncidentEvent.objects.bulk_create(
        [
            IncidentEvent(alert_state=st, at=now, kind=E.OK, actor=user, reason=why[:255])
            for st in pending
        ]
    )
    AlertState.objects.filter(pk__in=[st.pk for st in pending]).update(
        state=S.OK, since=now, breach_count=0
    )
    return len(pending)


def set_enabled(rule: Rule, enabled: bool, user: AbstractBaseUser, now: datetime) -> RuleChange:
    rule.enabled = enabled
    return save_rule(rule, user, now)


class RuleInUse(Exception):
    """The rule has incidents: its audit trail must outlive any edit, so disable it instead."""


@transaction.atomic
def delete_rule(rule: Rule) -> None:
    """Delete a rule that never fired; one with incidents is kept for their history."""
    if Incident.objects.filter(rule=rule).exists():
        raise RuleInUse(_("This rule has incidents on record; disable it instead of deleting it."))
    rule.delete()


def template_key_for(organisation_id: int, key: str) -> str:
    """Keep the template key only on an organisation's first rule from that template, so
    ``rule_templates.adopt`` (one rule per key) still finds exactly one."""
    taken = Rule.objects.filter(
        organisation_id=organisation_id, is_template=False, template_key=key
    ).exists()
    return "" if taken else key


# --- policies -------------------------------------------------------------------------


def policy_clash(policy: NotificationPolicy) -> bool:
    """Another policy for the same organisation (farm empty) or the same farm.

    The database constraint lets NULL farms through (NULLs are distinct in a unique
    index), so the organisation-wide case is checked here.
    """
    others = NotificationPolicy.objects.filter(
        organisation_id=policy.organisation_id, farm_id=policy.farm_id
    )
    if policy.pk:
        others = others.exclude(pk=policy.pk)
    return others.exists()


@transaction.atomic
def save_policy(form, steps) -> NotificationPolicy:
    """Save a validated policy form and its escalation-step formset together.

    Steps whose order changes are moved out of the way first, so swapping two steps
    does not trip the one-step-per-order constraint half-way.
    """
    policy = form.save()
    steps.instance = policy
    changed = steps.save(commit=False)
    for gone in steps.deleted_objects:
        gone.delete()
    moving = [s.pk for s in changed if s.pk]
    EscalationStep.objects.filter(pk__in=moving).update(order=F("order") + 10000)
    for step in changed:
        step.policy = policy
        step.save()
    steps.save_m2m()
    return policy


# --- silences -------------------------------------------------------------------------


def _open_matching(silence: Silence) -> list[Incident]:
    qs = Incident.objects.filter(
        resolved_at__isnull=True, farm__organisation_id=silence.organisation_id
    )
    return [i for i in qs if silence.matches(i)]


def _audit(silence: Silence, kind: str, user, now: datetime, reason: str, also=None) -> None:
    """One trail entry on every open incident the silence covers (and where it was made)."""
    targets = {i.pk: i for i in _open_matching(silence)}
    if also is not None:
        targets.setdefault(also.pk, also)
    for incident in targets.values():
        incidents.record(incident, kind, now, user, reason)
    if not targets:  # nothing open is covered: still keep who did it
        IncidentEvent.objects.create(at=now, kind=kind, actor=user, reason=reason[:255])


@transaction.atomic
def create_silence(
    *,
    organisation: Organisation,
    farm: Farm | None,
    site: Site | None,
    rule: Rule | None,
    ends_at: datetime,
    reason: str,
    user: AbstractBaseUser,
    now: datetime,
    incident: Incident | None = None,
) -> Silence:
    """Hold back notifications for matching incidents until ``ends_at``.

    ``notify.plan`` (first messages) and ``checks.escalate``/``remind`` consult the
    active silences, so new incidents of the same rule on the same target stay quiet
    too — unlike a snooze, which belongs to one incident.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why notifications are held back.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    if ends_at <= now:
        raise ValidationError({"hours": _("A silence must end in the future.")})
    if farm is not None and farm.organisation_id != organisation.pk:
        raise ValidationError({"farm": _("This farm does not belong to the organisation.")})
    if site is not None and (farm is None or site.farm_id != farm.pk):
        raise ValidationError({"site": _("This site is not on the chosen farm.")})
    if rule is not None and rule.organisation_id != organisation.pk:
        raise ValidationError({"rule": _("This rule does not belong to the organisation.")})
    silence = Silence.objects.create(
        organisation=organisation,
        farm=farm,
        site=site,
        rule=rule,
        starts_at=now,
        ends_at=ends_at,
        reason=reason,
        created_by=user,
    )
    text = _("silence %(id)s until %(end)s: %(reason)s") % {
        "id": silence.pk,
        "end": ends_at.isoformat(timespec="minutes"),
        "reason": reason,
    }
    _audit(silence, E.SILENCED, user, now, text, also=incident)
    return silence


@transaction.atomic
def end_silence(silence: Silence, user: AbstractBaseUser, now: datetime) -> bool:
    """End a silence now; False if it had already ended. Later reminders resume."""
    silence = Silence.objects.select_for_update().get(pk=silence.pk)
    if silence.ends_at <= now:
        return False
    silence.ends_at = max(now, silence.starts_at)
    silence.save(update_fields=["ends_at"])
    text = _("silence %(id)s ended by %(user)s: %(reason)s") % {
        "id": silence.pk,
        "user": _name(user),
        "reason": silence.reason,
    }
    _audit(silence, E.SILENCE_ENDED, user, now, text)
    return True


def active_silences(incident: Incident, now: datetime) -> list[Silence]:
    """The silences holding this incident's notifications back right now."""
    qs = Silence.objects.filter(
        organisation_id=incident.farm.organisation_id, starts_at__lte=now, ends_at__gt=now
    ).select_related("created_by")
    return [s for s in qs if s.matches(incident)]
