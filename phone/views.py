"""Pages and endpoints of the phone app: thin over ``phone.home`` and ``phone.operations``.

``/sw.js`` and ``/manifest.webmanifest`` are served from the site root (see
``phone.root_urls``) so the service worker controls every page of the site.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from alerts.models import Severity
from farm import access
from phone import home as home_data
from phone import operations, push, shell


@login_required
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """Open alerts with acknowledge and snooze, then the last readings of the person's sites."""
    sites, readings_ok = home_data.sites_now(request.user)
    return render(
        request,
        "phone/home.html",
        {
            "incidents": home_data.open_incidents(request.user),
            "editable": home_data.editable_farm_ids(request.user),
            "sites": sites,
            "readings_ok": readings_ok,
            "generated_at": timezone.now(),
            "push_key": push.application_server_key(),
            "snooze_choices": operations.SNOOZE_MINUTES,
            "js_strings": page_strings(),
        },
    )


def page_strings() -> dict[str, str]:
    """Texts the home page's script shows, translated here (no JavaScript catalogue)."""
    return {
        "updated_ago": _("Data updated %(age)s ago"),
        "less_than_a_minute": _("less than a minute"),
        "minutes": _("%(n)s min"),
        "hours": _("%(n)s h"),
        "days": _("%(n)s days"),
        "offline": _("Offline"),
        "acknowledged": _("Acknowledged"),
        "snoozed_for": _("Snoozed for %(n)s min"),
        "push_on": _("On: this phone gets alerts."),
        "push_off": _("Off: this phone gets no push alerts."),
        "push_turn_on": _("Turn on push notifications"),
        "push_turn_off": _("Turn off push notifications"),
        "push_unsupported": _("This browser cannot receive push notifications."),
        "push_blocked": _("Notifications are blocked for this site in the browser settings."),
        "push_failed": _("Could not change push notifications:"),
        "push_working": _("Connecting to the push service…"),
        "push_unreachable": _(
            "the push service did not answer; alerts still come by SMS, phone call and WeCom."
        ),
    }


@login_required
@require_POST
def operation(request: HttpRequest) -> JsonResponse:
    """Apply one acknowledge or snooze from the phone; a replay gets the first answer again.

    Every decided answer is JSON with a ``result``; the phone forgets the operation on
    one and keeps it (to send again) on anything else: a network error, a stale CSRF
    token, the login page of an expired session.
    """
    if access.is_read_only(request.user):
        message = _("You may read this farm's alerts but not act on them.")
        return JsonResponse({"result": "refused", "message": message}, status=403)
    try:
        req = operations.parse(json.loads(request.body or b"null"))
    except (ValueError, UnicodeDecodeError) as exc:
        message = exc.message if isinstance(exc, operations.OperationRejected) else None
        return JsonResponse(
            {"result": "rejected", "message": message or _("Expected a JSON object.")},
            status=400,
        )
    try:
        outcome = operations.apply(request.user, req, timezone.now())
    except Http404:
        return JsonResponse(
            {"id": str(req.client_id), "result": "not_found", "message": _("No such alert.")},
            status=404,
        )
    return JsonResponse({**outcome.answer, "replayed": outcome.replayed}, status=outcome.status)


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page it has never cached, instead of an error."""
    return render(request, "phone/offline.html")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest that makes the site installable (W3C Web Application Manifest)."""
    icons = [
        {"src": static(f"phone/icons/{name}"), "sizes": size, "type": "image/png", "purpose": p}
        for name, size, p in shell.ICONS
    ]
    data = {
        "id": reverse("phone:home"),
        "name": _("Farm monitoring"),
        "short_name": _("Farm watch"),
        "description": _("Alerts and readings of your ponds and plots, also offline."),
        "lang": "zh-CN" if request.LANGUAGE_CODE.startswith("zh") else request.LANGUAGE_CODE,
        "start_url": reverse("phone:home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": shell.THEME_COLOUR,
        "background_color": shell.BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script, at the root so its scope is the whole site.

    Rendered so its texts are translated and its cache name changes whenever a file of
    the app shell changes (browsers compare the script byte for byte to update it). The
    pages register it as ``/sw.js?lang=<their language>``: the browser's own request for
    the script may carry another Accept-Language than the pages.
    """
    lang = request.GET.get("lang", "")
    if lang not in dict(settings.LANGUAGES):
        lang = translation.get_language()
    with translation.override(lang):
        return _service_worker(request)


def _service_worker(request: HttpRequest) -> HttpResponse:
    strings = {
        "acknowledge": _("Acknowledge"),
        "alert": _("Alert"),
        "severity": {s.value: str(s.label) for s in Severity},
    }
    response = render(
        request,
        "phone/sw.js",
        {
            "version": shell.version(),
            "precache": json.dumps(shell.precache_urls()),
            "strings": json.dumps(strings, ensure_ascii=False),
            "queue_js": static("phone/queue.js"),
            "ops_url": reverse("phone:operation"),
            "offline_url": reverse("phone:offline"),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
