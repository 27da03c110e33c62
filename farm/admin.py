"""Django admin for the farm domain, scoped through ``farm.access`` for non-superusers."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from farm import access
from farm.models import Farm, Membership, Organisation, Plot, Pond, Region, Site


class FarmScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see and change only what their memberships allow."""

    farm_path = "farm"

    def get_queryset(self, request):
        return access.scope(request.user, super().get_queryset(request), self.farm_path)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        farm = obj if isinstance(obj, Farm) else obj.farm
        return super().has_change_permission(request, obj) and access.can_edit_farm(
            request.user, farm
        )

    has_delete_permission = has_change_permission


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "credit_code")
    list_filter = ("kind",)
    search_fields = ("name", "credit_code")
    raw_id_fields = ("region",)


class SiteInline(admin.TabularInline):
    model = Site
    fields = ("name", "kind", "area_m2")
    readonly_fields = ("name", "kind", "area_m2")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Farm)
class FarmAdmin(FarmScopedAdmin):
    farm_path = ""
    list_display = ("name", "organisation", "region", "kind")
    list_filter = ("kind", "organisation")
    search_fields = ("name", "address", "region__name")
    raw_id_fields = ("region",)
    inlines = [SiteInline]


@admin.register(Plot)
class PlotAdmin(FarmScopedAdmin):
    list_display = ("name", "farm", "crop", "cultivation", "soil_texture", "area_m2")
    list_filter = ("cultivation", "soil_texture")
    search_fields = ("name", "crop", "farm__name")


@admin.register(Pond)
class PondAdmin(FarmScopedAdmin):
    list_display = ("name", "farm", "species", "area_m2", "depth_m", "aeration", "water")
    list_filter = ("aeration", "water")
    search_fields = ("name", "species", "farm__name")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "organisation", "region")
    list_filter = ("role",)
    search_fields = ("user__username", "organisation__name", "region__name")
    raw_id_fields = ("region",)
    filter_horizontal = ("farms",)


admin.site.site_header = _("Farm monitoring administration")
admin.site.site_title = _("Farm monitoring")
