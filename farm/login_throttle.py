"""Throttling of password logins (form and API basic auth) with django-axes.

Five wrong passwords for one user name from one address lock that pair out for
``AXES_COOLOFF_TIME``; another address, or the right password after the cool-off,
still gets in. Settings live in ``agrimon.settings``.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check, for authentication that comes with an HTTP request.

    Every path a client can reach passes the request to ``authenticate()`` (the
    login form, DRF basic auth); calls without one (``Client.login`` in tests, a
    management shell) have no client address to count against and are let through
    to the password check instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """429 with a page saying how long to wait (zh-Hans first), not Django's bare 403."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(cooloff.total_seconds() / 60) if cooloff else None
    response = render(
        request,
        "farm/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes},
        status=429,
    )
    if cooloff:
        response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response
