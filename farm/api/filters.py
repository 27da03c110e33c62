"""Query filters shared by the farm API: region (code prefix), farm and kind."""

from __future__ import annotations

import django_filters

from farm.models import Farm, Plot, Pond, Site


class RegionPrefixFilter(django_filters.CharFilter):
    """``?region=421000`` matches every farm inside that division's subtree."""

    def __init__(self, farm_path: str = "", **kwargs):
        self.farm_path = farm_path
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        code = value.strip()
        if not code.isdigit() or len(code) != 6:
            return qs.none()
        prefix = code.rstrip("0")
        prefix = code[: max(2, len(prefix) + len(prefix) % 2)]
        lookup = (
            f"{self.farm_path}__region__code__startswith"
            if self.farm_path
            else ("region__code__startswith")
        )
        return qs.filter(**{lookup: prefix})


class FarmFilter(django_filters.FilterSet):
    region = RegionPrefixFilter(label="region code (6 digits, includes its subtree)")
    organisation = django_filters.NumberFilter(field_name="organisation_id")

    class Meta:
        model = Farm
        fields = ["region", "kind", "organisation"]


class SiteFilter(django_filters.FilterSet):
    region = RegionPrefixFilter(farm_path="farm", label="region code (6 digits)")
    farm = django_filters.NumberFilter(field_name="farm_id")
    farm_kind = django_filters.CharFilter(field_name="farm__kind")

    class Meta:
        model = Site
        fields = ["region", "farm", "kind", "farm_kind"]


class PlotFilter(SiteFilter):
    class Meta:
        model = Plot
        fields = ["region", "farm", "farm_kind", "cultivation", "crop"]


class PondFilter(SiteFilter):
    class Meta:
        model = Pond
        fields = ["region", "farm", "farm_kind", "species", "water"]
