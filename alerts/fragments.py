"""Pieces of alert pages that live pages fetch to update in place, from the same partials."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from alerts.models import Incident
from farm import access


@login_required
def incident_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One inbox row (``alerts/_incident_row.html``); 404 outside the user's scope."""
    qs = Incident.objects.select_related("farm", "site")
    incident = access.get_readable_or_404(request.user, qs, "farm", pk=pk)
    return render(request, "alerts/_incident_row.html", {"i": incident})
