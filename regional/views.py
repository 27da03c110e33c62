"""Regional pages: thin views over ``farm.access`` and the services in ``regional.services``.

Every page takes its region as ``?region=<GB/T 2260 code>`` (default: the reviewer's own)
and its week as ``?week=YYYY-MM-DD``; a region outside the reviewer's scope is a 404, as
for a farm. Everything is read-only; generating a report and subscribing to it change
nothing in the farms' data.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from alerts.models import Incident
from farm import access
from farm.live import MAX_REQUESTED
from farm.models import Region
from regional.models import ReportSubscription, WeeklyReport
from regional.services import geo, reports
from regional.services.drilldown import collect, drilldown
from regional.services.period import Period, last_week, parse_week
from regional.services.pests import pest_situation
from regional.services.trace import traceability_overview
from regional.services.water import DO_FLOOR, DO_LIMIT, NH3_LIMIT, water_quality

_CODE = re.compile(r"^\d{6}$")


def _region(request: HttpRequest) -> Region | None:
    """The region asked for, checked against the user's scope; None: the user has none."""
    code = request.GET.get("region", "")
    if code:
        if not _CODE.match(code):
            raise Http404
        return access.readable_region_or_404(request.user, code)
    return access.regional_roots(request.user).order_by("code").first()


def _period(request: HttpRequest) -> Period:
    try:
        return parse_week(request.GET.get("week"))
    except ValueError:
        raise Http404 from None


def _context(request: HttpRequest, region: Region, period: Period, **extra) -> dict:
    ancestors = []
    node = region.parent
    while node is not None:
        if access.scope_for(request.user).everything or any(
            node.code.startswith(p) for p in access.scope_for(request.user).regions
        ):
            ancestors.insert(0, node)
        node = node.parent
    return {
        "region": region,
        "ancestors": ancestors,
        "period": period,
        "period_last_day": period.end - timedelta(days=1),
        "previous_week": (period.start - timedelta(days=7)).date().isoformat(),
        "next_week": period.end.date().isoformat() if period.end <= timezone.now() else "",
        **extra,
    }


def _none(request: HttpRequest) -> HttpResponse:
    return render(request, "regional/none.html")


@login_required
@require_GET
def region_page(request: HttpRequest) -> HttpResponse:
    """The drill-down: counts per child region (or farm), attention list and map."""
    region = _region(request)
    if region is None:
        return _none(request)
    period = _period(request)
    farms = access.farms_in_region(request.user, region)
    data = drilldown(region, farms, period, timezone.now())
    return render(
        request,
        "regional/region.html",
        _context(
            request,
            region,
            period,
            data=data,
            unplaced=geo.unplaced(farms),
            roots=access.regional_roots(request.user).order_by("code"),
            tianditu_key=settings.TIANDITU_KEY,
        ),
    )


@login_required
@require_GET
def farms_geojson(request: HttpRequest) -> JsonResponse:
    region = _region(request)
    if region is None:
        return JsonResponse({"type": "FeatureCollection", "features": []})
    farms = access.farms_in_region(request.user, region)
    figures = collect(farms, 0, _period(request), timezone.now(), status_only=True)
    return JsonResponse(geo.farm_points(farms, figures))


@login_required
@require_GET
def boundaries_geojson(request: HttpRequest) -> JsonResponse:
    region = _region(request)
    if region is None:
        return JsonResponse({"type": "FeatureCollection", "features": []})
    return JsonResponse(geo.boundaries(region))


@login_required
@require_GET
def water_page(request: HttpRequest) -> HttpResponse:
    region = _region(request)
    if region is None:
        return _none(request)
    period = _period(request)
    report = water_quality(region, access.farms_in_region(request.user, region), period)
    return render(
        request,
        "regional/water.html",
        _context(
            request,
            region,
            period,
            report=report,
            do_limit=DO_LIMIT,
            do_floor=DO_FLOOR,
            nh3_limit=NH3_LIMIT,
        ),
    )


@login_required
@require_GET
def pests_page(request: HttpRequest) -> HttpResponse:
    region = _region(request)
    if region is None:
        return _none(request)
    period = _period(request)
    report = pest_situation(region, access.farms_in_region(request.user, region), period)
    chart = {
        "weeks": [w.isoformat() for w in report.weeks],
        "series": [
            {"name": r, "data": report.weekly.get(s, [])}
            for s, r in ((s, reports.species_label(s)) for s in report.species)
        ],
        "days": [d.isoformat() for d in report.days],
        "daily": [
            {"name": reports.species_label(s), "data": report.daily.get(s, [])}
            for s in report.species
        ],
    }
    return render(
        request,
        "regional/pests.html",
        _context(request, region, period, report=report, chart=chart),
    )


@login_required
@require_GET
def trace_page(request: HttpRequest) -> HttpResponse:
    region = _region(request)
    if region is None:
        return _none(request)
    period = _period(request)
    report = traceability_overview(
        access.farms_in_region(request.user, region), period, timezone.now()
    )
    return render(request, "regional/trace.html", _context(request, region, period, report=report))


@login_required
@require_GET
def screen_page(request: HttpRequest) -> HttpResponse:
    """The monitoring room's 1920×1080 screen: map, counts and the live incident feed."""
    region = _region(request)
    if region is None:
        return _none(request)
    farms = access.farms_in_region(request.user, region)
    ids = list(farms.values_list("pk", flat=True)[: MAX_REQUESTED + 1])
    return render(
        request,
        "regional/screen.html",
        {
            "region": region,
            # The page socket joins the named farms' groups, at most MAX_REQUESTED of them;
            # a larger region joins every farm of the reviewer's scope instead.
            "farm_ids": ",".join(str(pk) for pk in ids) if len(ids) <= MAX_REQUESTED else "",
            "tianditu_key": settings.TIANDITU_KEY,
        },
    )


@login_required
@require_GET
def screen_data(request: HttpRequest) -> JsonResponse:
    """Counts per child region and the latest open incidents, for the big screen."""
    region = _region(request)
    if region is None:
        return JsonResponse({"total": None, "children": [], "incidents": []})
    now = timezone.now()
    farms = access.farms_in_region(request.user, region)
    data = drilldown(region, farms, parse_week(None, now), now)
    incidents = (
        Incident.objects.filter(farm__in=farms.order_by().values("pk"), resolved_at__isnull=True)
        .select_related("farm", "farm__region")
        .order_by("-opened_at")[:20]
    )
    t = data.total
    return JsonResponse(
        {
            "at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S"),
            "total": {
                "farms": t.farms,
                "devices": t.devices,
                "online": t.online,
                "offline": t.offline + t.never_reported,
                "coverage": t.coverage_pct,
                "critical": t.open_critical,
                "warning": t.open_warning,
                "low_battery": t.low_battery,
            },
            "children": [
                {
                    "name": c.name,
                    "farms": c.farms,
                    "critical": c.open_critical,
                    "warning": c.open_warning,
                    "offline": c.offline + c.never_reported,
                    "coverage": c.coverage_pct,
                    "status": c.status,
                }
                for c in data.children
            ],
            "incidents": [
                {
                    "id": i.pk,
                    "title": i.title,
                    "farm": i.farm.name,
                    "county": i.farm.region.name,
                    "severity": i.severity,
                    "severity_label": i.get_severity_display(),
                    "opened": timezone.localtime(i.opened_at).strftime("%m-%d %H:%M"),
                    "acknowledged": i.acknowledged_at is not None,
                }
                for i in incidents
            ],
        }
    )


@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    """The region's weekly reports; POST ``generate`` makes one now, ``subscribe`` toggles
    the e-mail. Both are open to the region's reviewers: neither changes farm data."""
    region = _region(request)
    if region is None:
        return _none(request)
    message = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "generate":
            try:
                period = parse_week(request.POST.get("week") or last_week().monday.isoformat())
            except ValueError:
                return HttpResponse(_("Not a valid week."), status=400)
            if period.start > timezone.now():
                return HttpResponse(_("That week has not begun yet."), status=400)
            report = reports.request_report(region, period, request.user)
            return redirect(f"{reverse('regional:reports')}?region={region.code}#r{report.pk}")
        if action in ("subscribe", "unsubscribe"):
            if action == "subscribe":
                ReportSubscription.objects.get_or_create(user=request.user, region=region)
            else:
                ReportSubscription.objects.filter(user=request.user, region=region).delete()
            return redirect(f"{reverse('regional:reports')}?region={region.code}")
        return HttpResponse(_("Unknown action."), status=400)
    return render(
        request,
        "regional/reports.html",
        _context(
            request,
            region,
            last_week(),
            reports=WeeklyReport.objects.filter(region=region).order_by("-week_start")[:60],
            subscribed=ReportSubscription.objects.filter(user=request.user, region=region).exists(),
            has_email=bool(request.user.email),
            message=message,
        ),
    )


@login_required
@require_GET
def report_file(request: HttpRequest) -> HttpResponse:
    """A report's PDF or XLSX, for a reviewer who may read its region now."""
    if "id" not in request.GET:
        return redirect("regional:reports")
    try:
        pk = int(request.GET.get("id", ""))
    except ValueError:
        raise Http404 from None
    kind = request.GET.get("kind", "pdf")
    if kind not in ("pdf", "xlsx"):
        raise Http404
    report = WeeklyReport.objects.filter(pk=pk, status=WeeklyReport.Status.READY).first()
    if report is None:
        raise Http404
    access.readable_region_or_404(request.user, report.region_id)
    stored = report.pdf if kind == "pdf" else report.xlsx
    if not stored:
        raise Http404
    return FileResponse(
        stored.open("rb"), as_attachment=True, filename=reports.filename(report, kind)
    )
