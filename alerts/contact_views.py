"""The person's own page (numbers, channels, quiet hours, a test per channel) and the
managers' list of who cannot be reached.

Thin: ``alerts.contacts`` does the work, ``farm.access.managed_people`` decides whom a
manager sees. Every action is about the signed-in person only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alerts import channels, contacts
from alerts.forms import ContactForm
from alerts.models import ContactProfile, Delivery
from farm import access


@login_required
def me(request: HttpRequest) -> HttpResponse:
    profile = contacts.profile_of(request.user)
    form = ContactForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("alerts:me")
    return _page(request, profile, form)


def _page(request: HttpRequest, profile: ContactProfile, form: ContactForm) -> HttpResponse:
    reach = contacts.reach_of(request.user, profile)
    recent = Delivery.objects.filter(user=request.user, incident__isnull=True).order_by(
        "-created", "-pk"
    )[:10]
    testable = [
        c for c in channels.all_channels() if c.kind not in ("wecom", "inapp") and c.configured
    ]
    return render(
        request,
        "alerts/me.html",
        {
            "form": form,
            "profile": profile,
            "reach": reach,
            "channels": channels.all_channels(),
            "testable": testable,
            "recent": recent,
            "needs_verification": bool(profile.phone) and not contacts.phone_usable(profile),
            "can_verify": bool(contacts.sms_channel()),
            "push_public_key": channels.webpush_public_key(),
        },
    )


@login_required
@require_POST
def send_code(request: HttpRequest) -> HttpResponse:
    try:
        contacts.send_code(request.user, timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("A code is on its way by SMS."))
    return redirect("alerts:me")


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    try:
        contacts.check_code(request.user, request.POST.get("code", ""), timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your mobile number is verified."))
    return redirect("alerts:me")


@login_required
@require_POST
def send_test(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("channel", "")
    try:
        contacts.send_test(request.user, kind, timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Test sent by %(channel)s; its outcome appears below.")
            % {"channel": channels.label(kind)},
        )
    return redirect("alerts:me")


@login_required
def reachability(request: HttpRequest) -> HttpResponse:
    """Who in the organisations the user manages no configured channel reaches."""
    people = access.managed_people(request.user).prefetch_related("memberships__organisation")
    profiles = {p.user_id: p for p in ContactProfile.objects.filter(user__in=people)}
    rows = [contacts.reach_of(u, profiles.get(u.pk)) for u in people.order_by("username")]
    rows.sort(key=lambda r: (r.reachable, r.user.get_username()))
    return render(
        request,
        "alerts/reachability.html",
        {
            "rows": rows,
            "unreachable": sum(not r.reachable for r in rows),
            "manages": access.managed_people(request.user).exists()
            or access.scope_for(request.user).everything,
        },
    )
