"""Aerator pages: state and audit log of a pond's aerators, switching with a confirmation step.

Thin: access through ``farm.access`` (reading the pond; switching needs the farm's write
right, which operators and managers have and bureau reviewers never), the work in
``aeration.control``. Switching is two POSTs: the first shows what will happen and asks
to confirm, the second (``confirm=1``) sends the command.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aeration import control
from aeration.models import Aerator, Command, Mode
from aeration.status import aerator_states
from farm import access
from farm.models import Pond

AUDIT_ROWS = 30


class SwitchForm(forms.Form):
    aerator = forms.IntegerField(min_value=1)
    state = forms.ChoiceField(choices=[("on", "on"), ("off", "off")])
    confirm = forms.BooleanField(required=False)
    reason = forms.CharField(
        required=False, max_length=200, label=gettext_lazy("Reason (optional)")
    )


class ModeForm(forms.Form):
    aerator = forms.IntegerField(min_value=1)
    mode = forms.ChoiceField(choices=Mode.choices)


def _pond(request: HttpRequest, site_id: int) -> Pond:
    return access.get_readable_or_404(
        request.user, Pond.objects.select_related("farm"), "farm", pk=site_id
    )


@login_required
def pond_aerators(request: HttpRequest, site_id: int) -> HttpResponse:
    pond = _pond(request, site_id)
    commands = (
        Command.objects.filter(aerator__pond=pond)
        .select_related("aerator", "user")
        .order_by("-created_at", "-id")[:AUDIT_ROWS]
    )
    return render(
        request,
        "aeration/pond.html",
        {"pond": pond, "farm": pond.farm, "commands": commands},
    )


def _bad(request: HttpRequest, pond: Pond, message: str) -> HttpResponse:
    return render(request, "aeration/refused.html", {"pond": pond, "message": message}, status=400)


@login_required
@require_POST
def switch(request: HttpRequest, site_id: int) -> HttpResponse:
    pond = _pond(request, site_id)
    form = SwitchForm(request.POST)
    aerator = None
    if form.is_valid():
        aerator = (
            Aerator.objects.filter(pond=pond, pk=form.cleaned_data["aerator"])
            .select_related("controller__device")
            .first()
        )
    if not access.can_edit_farm(request.user, pond.farm_id):
        if aerator is not None:
            control.refuse(aerator, request.user, form.cleaned_data["state"] == "on")
        raise PermissionDenied(_("You may see this aerator but not switch it."))
    if aerator is None:
        return _bad(request, pond, _("Choose an aerator of this pond and on or off."))
    on = form.cleaned_data["state"] == "on"
    if not form.cleaned_data["confirm"]:
        state = aerator_states([pond.pk]).get(pond.pk, [])
        current = next((s for s in state if s.id == aerator.pk), None)
        return render(
            request,
            "aeration/confirm.html",
            {"pond": pond, "aerator": aerator, "on": on, "current": current},
        )
    cmd = control.request(aerator.pk, on, user=request.user, reason=form.cleaned_data["reason"])
    if cmd.status == Command.Status.FAILED:
        if cmd.topic:  # built and addressed, but the broker did not take it
            message, status = (
                _(
                    "The command could not be sent: the network server's message broker did "
                    "not answer. Nothing was switched; try again in a moment."
                ),
                502,
            )
        else:
            message, status = (
                _(
                    "This aerator's relay controller is not set up to receive commands (its "
                    "network server address or device type). Nothing was switched."
                ),
                409,
            )
        return render(
            request, "aeration/refused.html", {"pond": pond, "message": message}, status=status
        )
    return redirect("aeration:pond", site_id=pond.pk)


@login_required
@require_POST
def set_mode(request: HttpRequest, site_id: int) -> HttpResponse:
    pond = _pond(request, site_id)
    if not access.can_edit_farm(request.user, pond.farm_id):
        raise PermissionDenied(_("You may see this aerator but not change it."))
    form = ModeForm(request.POST)
    if not form.is_valid():
        return _bad(request, pond, _("Choose an aerator of this pond and a mode."))
    aerator = Aerator.objects.filter(pond=pond, pk=form.cleaned_data["aerator"]).first()
    if aerator is None:
        return _bad(request, pond, _("Choose an aerator of this pond and a mode."))
    control.set_mode(aerator.pk, form.cleaned_data["mode"], user=request.user)
    return redirect("aeration:pond", site_id=pond.pk)
