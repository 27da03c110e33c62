"""Pages of the farm domain: thin views over ``farm.access`` and ``farm.rollups``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from farm import access, exports, rollups
from farm.models import Farm, Site


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    farms = access.visible_farms(request.user).select_related("region", "organisation")
    return render(
        request,
        "farm/dashboard.html",
        {
            "farms": farms.order_by("region__code", "name"),
            "read_only": access.is_read_only(request.user),
            "roles": sorted(access.role_names(request.user)),
            "by_county": rollups.farms_by_county(farms),
            "regional": access.regional_roots(request.user).exists(),
        },
    )


@login_required
def farm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    farm = access.get_readable_or_404(
        request.user, Farm.objects.select_related("region", "organisation"), "", pk=pk
    )
    sites = [s.concrete() for s in farm.sites.select_related("plot", "pond").order_by("name")]
    return render(
        request,
        "farm/farm_detail.html",
        {"farm": farm, "sites": sites, "can_edit": access.can_edit_farm(request.user, farm)},
    )


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = access.get_readable_or_404(
        request.user, Site.objects.select_related("farm", "plot", "pond"), "farm", pk=pk
    )
    return render(
        request,
        "farm/site_detail.html",
        {
            "site": site.concrete(),
            "farm": site.farm,
            "can_edit": access.can_edit_farm(request.user, site.farm_id),
        },
    )


@login_required
def farms_csv(request: HttpRequest) -> HttpResponse:
    """The farms the user may see, as CSV (UTF-8 with BOM so Excel opens Chinese text)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="farms.csv"'
    response.write("\ufeff")
    exports.write_csv(exports.farm_rows(access.visible_farms(request.user)), response)
    return response
