"""Incident endpoints: scoped by ``farm.access``, changed only through ``alerts.incidents``."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import incidents
from alerts.api import serializers
from alerts.models import Incident, IncidentEvent, Severity
from farm import access

STATES = {
    "open": Q(resolved_at__isnull=True),
    "unacknowledged": Q(resolved_at__isnull=True, acknowledged_at__isnull=True),
    "acknowledged": Q(resolved_at__isnull=True, acknowledged_at__isnull=False),
    "resolved": Q(resolved_at__isnull=False),
}


class IncidentFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[(s, s) for s in STATES],
        method="filter_state",
        label="open (acknowledged or not), unacknowledged, acknowledged (still open), resolved",
    )
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    farm = django_filters.NumberFilter(field_name="farm_id")
    site = django_filters.NumberFilter(field_name="site_id")
    since = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = ["state", "severity", "farm", "site", "since", "until"]

    def filter_state(self, qs, name, value):
        return qs.filter(STATES[value]) if value in STATES else qs


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Incidents of the farms the caller may read, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    filterset_class = IncidentFilter
    queryset = Incident.objects.select_related("farm", "site", "rule", "acknowledged_by").order_by(
        "-opened_at", "-pk"
    )

    def get_queryset(self):
        qs = access.scope(self.request.user, super().get_queryset(), "farm")
        if self.action != "list":
            events = IncidentEvent.objects.select_related("actor").order_by("at", "pk")
            qs = qs.prefetch_related(Prefetch("events", queryset=events))
        return qs

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.IncidentSerializer
        return serializers.IncidentDetailSerializer

    @extend_schema(request=None, responses={200: serializers.IncidentDetailSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None, **kwargs) -> Response:
        """Stop reminders and escalation, as the page's button does; a repeat changes nothing."""
        incident = self.get_object()
        if not access.can_edit_farm(request.user, incident.farm_id):
            raise PermissionDenied(_("You may read this farm's alerts but not act on them."))
        incidents.acknowledge(incident, request.user, timezone.now())
        return Response(self.get_serializer(self.get_queryset().get(pk=incident.pk)).data)
