"""Pages of monitoring: the farm wall, tiles and site panels, charts, camera frames.

Thin views: access through ``farm.access``, readings through the domain modules.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from farm import access
from farm.exports import _safe_cell
from farm.models import Farm, Site
from monitoring import charts, dawn, frames, wall, water_now
from sensors.timeseries import METRIC_MEASUREMENT, InfluxError, TimeSeries
from vision.models import Camera
from vocabulary.metrics import metric_label

log = logging.getLogger(__name__)
STALE_MS = int(water_now.STALE_AFTER.total_seconds() * 1000)


def _now() -> datetime:
    return datetime.now(UTC)


def _sites(request: HttpRequest):
    return access.scope(request.user, Site.objects.select_related("farm", "pond", "plot"), "farm")


# The wall's HTML compresses about tenfold; Django masks the CSRF token in every
# response, so compressing a page that holds one does not leak it (BREACH).
@gzip_page
@login_required
@require_GET
def wall_page(request: HttpRequest, farm_id: int | None = None) -> HttpResponse:
    """All readable farms' sites, or one farm's; ``?screen=1`` is the wall-screen mode."""
    farms = access.visible_farms(request.user)
    farm = None
    if farm_id is not None:
        farm = access.get_readable_or_404(request.user, Farm.objects.all(), "", pk=farm_id)
        farms = farms.filter(pk=farm.pk)
    sites = wall.sites_for(farms)
    tiles, readings_ok = wall.tiles(sites, _now())
    farm_ids = sorted({s.farm_id for s in sites} | ({farm.pk} if farm else set()))
    return render(
        request,
        "monitoring/wall.html",
        {
            "farm": farm,
            "tiles": tiles,
            "readings_ok": readings_ok,
            "screen": request.GET.get("screen") == "1",
            "farm_ids": ",".join(str(i) for i in farm_ids),
            "stale_ms": STALE_MS,
        },
    )


@gzip_page
@login_required
@require_GET
def tile(request: HttpRequest, site_id: int) -> HttpResponse:
    """One tile, for a wall that heard its site changed."""
    site = access.get_readable_or_404(
        request.user, Site.objects.select_related("farm", "pond", "plot"), "farm", pk=site_id
    )
    tiles, readings_ok = wall.tiles([site], _now())
    return render(request, "monitoring/_tile.html", {"t": tiles[0], "readings_ok": readings_ok})


def site_context(site: Site, now: datetime) -> dict:
    """What the site page's panel shows: every figure, the outlook, the incidents."""
    ts = TimeSeries.from_config()
    error = False
    outlook = None
    try:
        site_now = water_now.load([site], now, ts)[site.pk]
        if site.kind == "pond":
            f = site_now.figures.get("do")
            latest = {site.pk: (f.at, f.value)} if f and f.value is not None and f.at else {}
            outlook = dawn.load([site], latest, now, ts)[site.pk]
    except InfluxError as exc:
        log.warning("site readings unavailable for %s: %s", site.pk, exc)
        site_now = water_now.SiteNow(site.pk)
        error = True
    finally:
        ts.close()
    tiles, _ok = wall.tiles([site], now)
    lang = translation.get_language() or "zh-hans"
    figures = [(metric_label(m, lang), f) for m, f in site_now.figures.items()]
    return {
        "site": site,
        "figures": figures,
        "outlook": outlook,
        "readings_error": error,
        "stale_ms": STALE_MS,
        "t": tiles[0],
        "chart_metrics": [m for m, f in site_now.figures.items() if f.at is not None]
        or list(site_now.figures)[:2],
    }


@login_required
@require_GET
def site_panel(request: HttpRequest, site_id: int) -> HttpResponse:
    site = access.get_readable_or_404(
        request.user, Site.objects.select_related("farm", "pond", "plot"), "farm", pk=site_id
    )
    return render(request, "monitoring/_site_panel.html", site_context(site, _now()))


# --- charts ---------------------------------------------------------------------------------


def _chart_request(request: HttpRequest, limit: int, every_site: bool = False):
    """Sites, metrics (None: each site's main figure) and window of a chart or export.

    Without ``sites`` an export covers every site the person may see; a chart needs them.
    """
    ids = []
    for part in ",".join(request.GET.getlist("sites")).split(","):
        part = part.strip()
        if part:
            if not part.isdigit() or len(ids) >= limit:
                raise charts.ChartRequestError(gettext_lazy("Bad list of sites."))
            ids.append(int(part))
    if ids:
        found = {s.pk: s for s in _sites(request).filter(pk__in=ids)}
        if len(found) != len(set(ids)):
            raise Http404  # a site outside the person's farms is indistinguishable from none
        sites = [found[i] for i in dict.fromkeys(ids)]
    elif every_site:
        sites = list(_sites(request).order_by("farm__name", "name")[: limit + 1])
    else:
        raise charts.ChartRequestError(gettext_lazy("Choose at least one site."))
    wanted = request.GET.getlist("metric")
    metrics = charts.metrics_from(wanted) if wanted else None
    if metrics is None and not every_site:
        metrics = ["do"]
    w = charts.window(
        request.GET.get("range", "24h"), request.GET.get("start"), request.GET.get("end"), _now()
    )
    return sites, metrics, w


def _load_chart(request: HttpRequest, limit: int = charts.MAX_SERIES, every_site: bool = False):
    sites, metrics, w = _chart_request(request, limit, every_site)
    ts = TimeSeries.from_config()
    try:
        lang = translation.get_language() or "zh-hans"
        return charts.load(sites, metrics, w, ts, lang, limit, keep_going=every_site), w
    finally:
        ts.close()


@login_required
@require_GET
def chart_data(request: HttpRequest) -> JsonResponse:
    try:
        series, w = _load_chart(request)
    except charts.ChartRequestError as exc:
        return JsonResponse({"error": "bad_request", "message": str(exc)}, status=400)
    except InfluxError:
        return JsonResponse(
            {"error": "unavailable", "message": _("Readings are unavailable right now.")},
            status=503,
        )
    return JsonResponse(charts.as_json(series, w))


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def chart_csv(request: HttpRequest) -> HttpResponse:
    """The buckets the chart shows, as CSV (UTF-8 with BOM so Excel opens Chinese text)."""
    import csv

    try:
        series, w = _load_chart(request, charts.MAX_EXPORT_SERIES, every_site=True)
    except charts.ChartRequestError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    headers = [
        _("time"), _("farm"), _("site"), _("metric"), _("unit"), _("mean"), _("min"), _("max"),
        _("bucket (s)"), _("note"),
    ]  # fmt: skip
    writer = csv.writer(_Echo())
    rows = (
        writer.writerow([_safe_cell(v) for v in row]) for row in charts.csv_rows(series, headers)
    )
    response = StreamingHttpResponse(("\ufeff", *rows), content_type="text/csv; charset=utf-8")
    name = f"readings-{w.start:%Y%m%d%H%M}-{w.end:%Y%m%d%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def chart_page(request: HttpRequest) -> HttpResponse:
    """Several sites and metrics on one chart; the choices come from the query string."""
    sites = list(_sites(request).order_by("farm__name", "name"))
    chosen = [s for s in request.GET.getlist("sites") if s.isdigit()]
    metrics = [m for m in request.GET.getlist("metric") if m in METRIC_MEASUREMENT] or ["do"]
    lang = translation.get_language() or "zh-hans"
    return render(
        request,
        "monitoring/charts.html",
        {
            "sites": sites,
            "chosen": [int(c) for c in chosen] or [s.pk for s in sites[:1]],
            "metrics": [
                (m, metric_label(m, lang))
                for m in METRIC_MEASUREMENT
                if METRIC_MEASUREMENT[m] != "device"
            ],  # fmt: skip
            "chosen_metrics": metrics,
        },
    )


# --- cameras --------------------------------------------------------------------------------


def _camera(request: HttpRequest, camera_id: int) -> Camera:
    return access.get_readable_or_404(
        request.user, Camera.objects.select_related("site__farm"), "site__farm", pk=camera_id
    )


@login_required
@require_GET
def camera_frame(request: HttpRequest, camera_id: int) -> HttpResponse:
    """The camera's latest stored frame, with its time in ``X-Frame-Time``."""
    camera = _camera(request, camera_id)
    frame = frames.latest_frames([camera]).get(camera.pk)
    if frame is None:
        raise Http404
    stored = frames.frame_file(frame)
    try:
        with stored.open("rb") as handle:
            body = handle.read()
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = HttpResponse(body, content_type="image/jpeg")
    response["X-Frame-Time"] = frame.at.isoformat()
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def camera_snapshot(request: HttpRequest, camera_id: int) -> HttpResponse:
    """A fresh picture fetched by our server from an HTTP snapshot camera."""
    camera = _camera(request, camera_id)
    if camera.source_kind != Camera.Source.HTTP_SNAPSHOT:
        return HttpResponse(
            _("This camera gives no live snapshots; its latest picture is shown instead."),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    try:
        body = frames.fetch_snapshot(camera)
    except frames.SnapshotError as exc:
        log.info("snapshot refused: %s", exc)
        return HttpResponse(
            _("The camera did not send a picture."),
            status=502,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(body, content_type="image/jpeg")
    response["X-Frame-Time"] = _now().isoformat()
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def camera_page(request: HttpRequest, camera_id: int) -> HttpResponse:
    camera = _camera(request, camera_id)
    frame = frames.latest_frames([camera]).get(camera.pk)
    return render(
        request,
        "monitoring/camera.html",
        {
            "camera": camera,
            "frame": frame,
            "snapshot": camera.source_kind == Camera.Source.HTTP_SNAPSHOT,
        },
    )
