"""Alert pages: the inbox, the incident with its audit trail, acknowledge, snooze and
silence; rules, notification policies and silences to manage.

Thin views: ``farm.access`` (through ``alerts.editing``) decides what is visible and
editable, ``alerts.incidents`` and ``alerts.editing`` change things. Anything outside
the user's scope is a 404; a change inside the read scope without the right is a 403.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alerts import chart, editing, incidents, rule_templates, rule_text
from alerts.forms import (
    PolicyForm,
    RuleForm,
    SilenceForm,
    StepFormSet,
    policy_forms_valid,
    validate_push_endpoint,
)
from alerts.models import Incident, NotificationPolicy, PushSubscription, Rule
from farm import access
from farm.models import Organisation

SNOOZE_CHOICES = [30, 60, 120, 240, 480]  # minutes offered on the phone


def _visible(request: HttpRequest):
    qs = Incident.objects.select_related("farm", "site", "rule", "acknowledged_by")
    return access.scope(request.user, qs, "farm")


def _get(request: HttpRequest, pk: int) -> Incident:
    qs = Incident.objects.select_related("farm", "site", "rule", "acknowledged_by")
    return access.get_readable_or_404(request.user, qs, "farm", pk=pk)


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    qs = _visible(request)
    if show == "open":
        qs = qs.filter(resolved_at__isnull=True)
    incidents_page = list(qs.order_by("-opened_at")[:200])
    return render(
        request,
        "alerts/incident_list.html",
        {"incidents": incidents_page, "show": show, "now": timezone.now()},
    )


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _incident_page(request, _get(request, pk))


def _incident_page(
    request: HttpRequest, incident: Incident, silence_form: SilenceForm | None = None
) -> HttpResponse:
    now = timezone.now()
    can_edit = access.can_edit_farm(request.user, incident.farm_id)
    return render(
        request,
        "alerts/incident_detail.html",
        {
            "incident": incident,
            "chart": chart.for_incident(incident, now),
            "events": incident.events.select_related("actor"),
            "deliveries": incident.deliveries.order_by("created", "pk"),
            "can_edit": can_edit,
            "can_manage_rule": editing.can_manage(request.user, incident.rule.organisation_id),
            "snooze_choices": SNOOZE_CHOICES,
            "silences": editing.active_silences(incident, now),
            "silence_form": silence_form
            or (SilenceForm(has_site=incident.site_id is not None) if can_edit else None),
            "now": now,
        },
    )


@login_required
def short_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The link in SMS and chat messages (``/i/<id>``), kept short for one SMS segment."""
    return redirect("alerts:incident", pk=_get(request, pk).pk)


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get(request, pk)
    access.require_edit(request.user, incident.farm_id)
    incidents.acknowledge(incident, request.user, timezone.now())
    return redirect("alerts:incident", pk=incident.pk)


@login_required
@require_POST
def snooze(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get(request, pk)
    access.require_edit(request.user, incident.farm_id)
    try:
        minutes = int(request.POST.get("minutes", ""))
    except ValueError:
        return HttpResponseBadRequest(_("The snooze length must be a number of minutes."))
    if minutes not in SNOOZE_CHOICES:
        return HttpResponseBadRequest(_("Choose one of the offered snooze lengths."))
    now = timezone.now()
    try:
        incidents.snooze(
            incident,
            request.user,
            now + timedelta(minutes=minutes),
            request.POST.get("reason", ""),
            now,
        )
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    return redirect("alerts:incident", pk=incident.pk)


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """Store the browser's ``PushSubscription.toJSON()`` so alerts reach this phone.

    An endpoint already registered by another user stays theirs (409): re-pointing it
    would hand their alerts' encryption keys to whoever posts the same endpoint.
    """
    try:
        data = json.loads(request.body)
        endpoint, keys = data["endpoint"], data["keys"]
        p256dh, auth = str(keys["p256dh"])[:200], str(keys["auth"])[:100]
        validate_push_endpoint(endpoint)
    except (ValueError, KeyError, TypeError, ValidationError):
        return HttpResponseBadRequest(
            _("Expected a push subscription with an https endpoint on a public host.")
        )
    with transaction.atomic():
        sub = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if sub is not None and sub.user_id != request.user.pk:
            return _endpoint_taken()
        created = sub is None
        if created:
            sub = PushSubscription(endpoint=endpoint, user=request.user)
        sub.p256dh, sub.auth = p256dh, auth
        try:
            with transaction.atomic():
                sub.save()
        except IntegrityError:  # registered by someone else a moment ago
            return _endpoint_taken()
    return JsonResponse({"id": sub.pk, "created": created}, status=201 if created else 200)


def _endpoint_taken() -> JsonResponse:
    message = _("This push endpoint is registered by another user.")
    return JsonResponse({"error": "endpoint_taken", "message": message}, status=409)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    try:
        endpoint = json.loads(request.body)["endpoint"]
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest(_("Expected the subscription's endpoint."))
    PushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
    return HttpResponse(status=204)


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The rules of the organisations the user can see, and the templates to adopt."""
    orgs = list(access.visible_organisations(request.user).order_by("name"))
    own = list(access.visible_rules(request.user))
    by_org = [
        (
            org,
            [r for r in own if r.organisation_id == org.pk],
            editing.can_manage(request.user, org),
        )
        for org in orgs
    ]
    return render(
        request,
        "alerts/rules.html",
        {
            "by_org": by_org,
            "templates": Rule.objects.filter(is_template=True).order_by("template_key"),
            "template_choices": rule_templates.TEMPLATES,
            "groups": rule_text.group_choices(),
            "show_basis": any(can for _org, _rules, can in by_org)
            or access.is_read_only(request.user),
        },
    )


@login_required
@require_POST
def adopt_templates(request: HttpRequest, org_id: int) -> HttpResponse:
    """Managers copy the default templates into their organisation (idempotent)."""
    org = get_object_or_404(access.visible_organisations(request.user), pk=org_id)
    if not access.can_create_farm_in(request.user, org):
        raise PermissionDenied("only the organisation's managers change its rules")
    group = request.POST.get("group", "")
    if group and group not in rule_templates.GROUPS:
        return HttpResponseBadRequest(_("Unknown template group."))
    rule_templates.adopt(org.pk, [group] if group else None)
    return redirect("alerts:rules")


# --- rules ----------------------------------------------------------------------------


def _rule_page(
    request: HttpRequest, form: RuleForm, rule: Rule | None, org: Organisation
) -> HttpResponse:
    return render(
        request,
        "alerts/rule_form.html",
        {"form": form, "rule": rule, "org": org, "template": request.GET.get("template", "")},
    )


@login_required
def rule_create(request: HttpRequest, org_id: int) -> HttpResponse:
    """A new rule, from scratch or started from a template (``?template=gc.do.floor``)."""
    org = editing.visible_organisation_or_404(request.user, org_id)
    editing.require_manage(request.user, org)
    instance = Rule(organisation=org)
    key = request.GET.get("template", "")
    if key:
        fields = rule_templates.fields_of(key)
        if fields is None:
            return HttpResponseBadRequest(_("Unknown template."))
        fields["template_key"] = editing.template_key_for(org.pk, key)
        instance = Rule(organisation=org, **fields)
    form = RuleForm(_post(request), instance=instance, organisation=org, user=request.user)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        editing.save_rule(rule, request.user, timezone.now())
        messages.success(request, _("Rule “%(name)s” created.") % {"name": rule.name})
        return redirect("alerts:rules")
    return _rule_page(request, form, None, org)


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = editing.rule_or_404(request.user, pk)
    editing.require_manage(request.user, rule.organisation_id)
    form = RuleForm(
        _post(request), instance=rule, organisation=rule.organisation, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        change = editing.save_rule(form.save(commit=False), request.user, timezone.now())
        messages.success(request, _change_text(rule, change))
        return redirect("alerts:rules")
    return _rule_page(request, form, rule, rule.organisation)


def _change_text(rule: Rule, change: editing.RuleChange) -> str:
    text = _("Rule “%(name)s” saved.") % {"name": rule.name}
    if change.closed:
        text += " " + _("%(n)d open incident(s) closed.") % {"n": change.closed}
    if change.restarted:
        text += " " + _("%(n)d pending alert(s) start counting again.") % {"n": change.restarted}
    return text


@login_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = editing.rule_or_404(request.user, pk)
    editing.require_manage(request.user, rule.organisation_id)
    change = editing.set_enabled(rule, not rule.enabled, request.user, timezone.now())
    messages.success(request, _change_text(rule, change))
    return redirect("alerts:rules")


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = editing.rule_or_404(request.user, pk)
    editing.require_manage(request.user, rule.organisation_id)
    try:
        editing.delete_rule(rule)
    except editing.RuleInUse as exc:
        messages.error(request, str(exc))
        return redirect("alerts:rule-edit", pk=rule.pk)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("alerts:rules")


def _post(request: HttpRequest) -> QueryDict | None:
    """POST data even when empty, so an empty submission shows errors; None on GET."""
    return request.POST if request.method == "POST" else None


# --- notification policies ------------------------------------------------------------


@login_required
def policies(request: HttpRequest) -> HttpResponse:
    orgs = list(access.visible_organisations(request.user).order_by("name"))
    found = (
        editing.visible_policies(request.user)
        .prefetch_related("steps", "recipient_users")
        .order_by("farm__name", "pk")
    )
    by_org = [
        (
            org,
            [p for p in found if p.organisation_id == org.pk],
            editing.can_manage(request.user, org),
        )
        for org in orgs
    ]
    return render(request, "alerts/policies.html", {"by_org": by_org})


def _policy_form(request: HttpRequest, policy: NotificationPolicy) -> HttpResponse:
    org = policy.organisation
    form = PolicyForm(_post(request), instance=policy, organisation=org, user=request.user)
    steps = StepFormSet(
        _post(request), instance=policy, prefix="steps", form_kwargs={"organisation": org}
    )
    if request.method == "POST" and policy_forms_valid(form, steps):
        saved = editing.save_policy(form, steps)
        messages.success(request, _("Policy “%(name)s” saved.") % {"name": saved.name})
        return redirect("alerts:policies")
    return render(
        request,
        "alerts/policy_form.html",
        {"form": form, "steps": steps, "policy": policy, "org": org},
    )


@login_required
def policy_create(request: HttpRequest, org_id: int) -> HttpResponse:
    org = editing.visible_organisation_or_404(request.user, org_id)
    editing.require_manage(request.user, org)
    return _policy_form(request, NotificationPolicy(organisation=org))


@login_required
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy = editing.policy_or_404(request.user, pk)
    editing.require_manage(request.user, policy.organisation_id)
    return _policy_form(request, policy)


@login_required
@require_POST
def policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = editing.policy_or_404(request.user, pk)
    editing.require_manage(request.user, policy.organisation_id)
    policy.delete()
    messages.success(request, _("Policy “%(name)s” deleted.") % {"name": policy.name})
    return redirect("alerts:policies")


# --- silences -------------------------------------------------------------------------


@login_required
@require_POST
def silence(request: HttpRequest, pk: int) -> HttpResponse:
    """From the incident page: silence this rule for this target (or site, or farm) for N hours."""
    incident = _get(request, pk)
    access.require_edit(request.user, incident.farm_id)
    form = SilenceForm(request.POST, has_site=incident.site_id is not None)
    if not form.is_valid():
        return _incident_page(request, incident, form)
    scope = form.cleaned_data["scope"]
    now = timezone.now()
    try:
        editing.create_silence(
            organisation=incident.farm.organisation,
            farm=incident.farm,
            site=incident.site if scope in ("target", "site") else None,
            rule=incident.rule if scope in ("target", "farm") else None,
            ends_at=now + timedelta(hours=form.cleaned_data["hours"]),
            reason=form.cleaned_data["reason"],
            user=request.user,
            now=now,
            incident=incident,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _incident_page(request, incident, form)
    return redirect("alerts:incident", pk=incident.pk)


@login_required
def silences(request: HttpRequest) -> HttpResponse:
    """Silences in force now, each with who made it, why, and an "end now" button."""
    now = timezone.now()
    active = editing.visible_silences(request.user).filter(ends_at__gt=now).order_by("ends_at")
    rows = [(s, editing.can_edit_silence(request.user, s)) for s in active]
    return render(request, "alerts/silences.html", {"rows": rows, "now": now})


@login_required
@require_POST
def silence_end(request: HttpRequest, pk: int) -> HttpResponse:
    found = editing.silence_or_404(request.user, pk)
    editing.require_edit_silence(request.user, found)
    if editing.end_silence(found, request.user, timezone.now()):
        messages.success(request, _("Silence ended; notifications resume."))
    return redirect("alerts:silences")
