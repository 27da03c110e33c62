"""Lot endpoints, read-only and scoped by ``farm.access`` through the lot's origin farm."""

from __future__ import annotations

import django_filters
from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from farm import access
from traceability.api import serializers
from traceability.models import Lot, TraceEvent

LOT_FARM = "origin__farm"


class LotFilter(django_filters.FilterSet):
    farm = django_filters.NumberFilter(field_name="origin__farm_id")
    origin = django_filters.NumberFilter(field_name="origin_id")
    organisation = django_filters.NumberFilter(field_name="organisation_id")

    class Meta:
        model = Lot
        fields = ["status", "farm", "origin", "organisation", "gtin", "lot_number", "trace_code"]


class LotViewSet(viewsets.ReadOnlyModelViewSet):
    """Lots grown on the farms the caller may read, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = serializers.LotSerializer
    filterset_class = LotFilter
    queryset = (
        Lot.objects.select_related("origin__farm")
        .prefetch_related("parents")
        .annotate(event_count=Count("events", distinct=True))
        .order_by("-created", "-pk")
    )

    def get_queryset(self):
        return access.scope(self.request.user, super().get_queryset(), LOT_FARM)

    @extend_schema(filters=False, responses={200: serializers.TraceEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None, **kwargs) -> Response:
        """The lot's EPCIS events in chain order (``seq``), corrections included."""
        lot = self.get_object()
        events = TraceEvent.objects.filter(lot=lot).select_related("corrects").order_by("seq")
        page = self.paginate_queryset(events)
        data = serializers.TraceEventSerializer(page, many=True).data
        return self.get_paginated_response(data)
