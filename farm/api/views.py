"""REST endpoints for the farm domain; every queryset goes through ``farm.access``."""

from __future__ import annotations

from rest_framework import viewsets

from farm import access
from farm.api import filters, serializers
from farm.api.permissions import FarmScopedViewSet
from farm.models import Farm, Plot, Pond, Site


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.RegionSerializer
    filterset_fields = ["level", "parent"]

    def get_queryset(self):
        return access.visible_regions(self.request.user)


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.OrganisationSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return access.visible_organisations(self.request.user)


class FarmViewSet(FarmScopedViewSet):
    farm_path = ""
    queryset = Farm.objects.select_related("region", "organisation").order_by("name")
    serializer_class = serializers.FarmSerializer
    filterset_class = filters.FarmFilter

    def perform_create(self, serializer):
        serializer.save()  # organisation rights are checked by the serializer


class SiteViewSet(FarmScopedViewSet):
    http_method_names = ["get", "head", "options", "delete"]
    queryset = Site.objects.select_related("farm").order_by("farm__name", "name")
    serializer_class = serializers.SiteSerializer
    filterset_class = filters.SiteFilter


class PlotViewSet(FarmScopedViewSet):
    queryset = Plot.objects.select_related("farm").order_by("farm__name", "name")
    serializer_class = serializers.PlotSerializer
    filterset_class = filters.PlotFilter


class PondViewSet(FarmScopedViewSet):
    queryset = Pond.objects.select_related("farm").order_by("farm__name", "name")
    serializer_class = serializers.PondSerializer
    filterset_class = filters.PondFilter
