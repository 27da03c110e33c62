"""REST representations of the farm domain."""

from __future__ import annotations

from rest_framework import serializers

from farm import access
from farm.models import Farm, Organisation, Plot, Pond, Region, Site


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "name_en", "level", "parent"]


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "region", "credit_code"]


class ScopedFarmField(serializers.PrimaryKeyRelatedField):
    """A farm reference resolved within the caller's read scope.

    Farms outside it are reported as not existing, exactly like the detail
    views; write rights on a visible farm are checked by the view (403).
    """

    def get_queryset(self):
        request = self.context.get("request")
        return access.visible_farms(request.user) if request else Farm.objects.none()


class FarmSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    site_count = serializers.IntegerField(source="sites.count", read_only=True)

    class Meta:
        model = Farm
        fields = [
            "id",
            "name",
            "kind",
            "organisation",
            "organisation_name",
            "region",
            "region_name",
            "latitude",
            "longitude",
            "address",
            "site_count",
        ]

    def validate_region(self, region: Region) -> Region:
        if region.level != Region.Level.COUNTY:
            raise serializers.ValidationError("a farm belongs to a county-level division")
        return region

    def validate_organisation(self, organisation: Organisation) -> Organisation:
        request = self.context["request"]
        if self.instance is not None and self.instance.organisation_id == organisation.pk:
            return organisation
        if not access.can_create_farm_in(request.user, organisation):
            raise serializers.ValidationError("you cannot add farms to this organisation")
        return organisation


class SiteSerializer(serializers.ModelSerializer):
    farm = ScopedFarmField()

    class Meta:
        model = Site
        fields = ["id", "farm", "name", "kind", "area_m2", "latitude", "longitude", "notes"]
        read_only_fields = ["kind"]


class PlotSerializer(SiteSerializer):
    class Meta(SiteSerializer.Meta):
        model = Plot
        fields = SiteSerializer.Meta.fields + ["crop", "soil_texture", "cultivation"]


class PondSerializer(SiteSerializer):
    class Meta(SiteSerializer.Meta):
        model = Pond
        fields = SiteSerializer.Meta.fields + [
            "species",
            "depth_m",
            "aeration",
            "aerator_kw",
            "water",
        ]
