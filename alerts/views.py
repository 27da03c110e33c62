"""Alert pages: the inbox, the incident with its audit trail, acknowledge and snooze.

Thin views: ``farm.access`` decides what is visible and editable, ``alerts.incidents``
changes incidents. Anything outside the user's farms is a 404.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from alerts import chart, incidents, rule_templates
from alerts.models import Incident, PushSubscription, Rule
from farm import access

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
    farm_ids = sorted(
        {i.farm_id for i in incidents_page}
        | set(access.visible_farms(request.user).values_list("pk", flat=True)[:20])
    )
    return render(
        request,
        "alerts/incident_list.html",
        {"incidents": incidents_page, "show": show, "farm_ids": farm_ids, "now": timezone.now()},
    )


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _get(request, pk)
    now = timezone.now()
    return render(
        request,
        "alerts/incident_detail.html",
        {
            "incident": incident,
            "chart": chart.for_incident(incident, now),
            "events": incident.events.select_related("actor"),
            "deliveries": incident.deliveries.order_by("created", "pk"),
            "can_edit": access.can_edit_farm(request.user, incident.farm_id),
            "snooze_choices": SNOOZE_CHOICES,
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
        return HttpResponseBadRequest("minutes must be a number")
    if minutes not in SNOOZE_CHOICES:
        return HttpResponseBadRequest("unsupported snooze length")
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
    """Store the browser's ``PushSubscription.toJSON()`` so alerts reach this phone."""
    try:
        data = json.loads(request.body)
        endpoint, keys = data["endpoint"], data["keys"]
        p256dh, auth = str(keys["p256dh"]), str(keys["auth"])
        URLValidator(schemes=["https"])(endpoint)
    except (ValueError, KeyError, TypeError, ValidationError):
        return HttpResponseBadRequest("expected PushSubscription.toJSON() with an https endpoint")
    sub, created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": request.user, "p256dh": p256dh, "auth": auth}
    )
    return JsonResponse({"id": sub.pk, "created": created}, status=201 if created else 200)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    try:
        endpoint = json.loads(request.body)["endpoint"]
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest('expected {"endpoint": ...}')
    PushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
    return HttpResponse(status=204)


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The rules of the organisations the user can see, and the templates to adopt."""
    orgs = list(access.visible_organisations(request.user).order_by("name"))
    own = Rule.objects.filter(organisation__in=orgs, is_template=False).select_related(
        "site", "farm"
    )
    by_org = [
        (
            org,
            [r for r in own if r.organisation_id == org.pk],
            access.can_create_farm_in(request.user, org),
        )
        for org in orgs
    ]
    return render(
        request,
        "alerts/rules.html",
        {
            "by_org": by_org,
            "templates": Rule.objects.filter(is_template=True).order_by("template_key"),
            "groups": sorted(rule_templates.GROUPS),
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
        return HttpResponseBadRequest("unknown template group")
    rule_templates.adopt(org.pk, [group] if group else None)
    return redirect("alerts:rules")
