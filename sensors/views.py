"""Pages of the sensors app: device list, device detail with charts, dead letters.

Thin views: the farm scope comes from ``farm.access``, readings from
``sensors.timeseries``. Charts are drawn server-side as SVG polylines, so the
pages stay light on a cheap phone.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from farm import access
from sensors.models import DeadLetter, Device
from sensors.timeseries import METRIC_MEASUREMENT, InfluxError, Sample, TimeSeries
from vocabulary.metrics import CANONICAL_UNITS, metric_label

log = logging.getLogger(__name__)

RANGES_H = (6, 24, 168, 720)
CHART_W, CHART_H = 600, 120


def polyline(samples: list[Sample], start: datetime, end: datetime) -> dict:
    """SVG points for ``samples`` scaled into the chart box, with the value range."""
    if not samples:
        return {"points": "", "low": None, "high": None}
    low = min(s.value for s in samples)
    high = max(s.value for s in samples)
    span_v = (high - low) or 1.0
    span_t = (end - start).total_seconds()
    points = " ".join(
        f"{CHART_W * (s.time - start).total_seconds() / span_t:.1f},"
        f"{CHART_H - 4 - (CHART_H - 8) * (s.value - low) / span_v:.1f}"
        for s in samples
    )
    return {"points": points, "low": low, "high": high}


def _devices(request: HttpRequest):
    qs = Device.objects.select_related("farm", "site", "profile")
    return access.scope(request.user, qs, "farm")


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    devices = _devices(request).order_by("farm__name", "site__name", "dev_eui")
    return render(request, "sensors/device_list.html", {"devices": devices})


@login_required
def device_detail(request: HttpRequest, dev_eui: str) -> HttpResponse:
    device = access.get_readable_or_404(
        request.user,
        Device.objects.select_related("farm", "site", "profile"),
        "farm",
        dev_eui=dev_eui.lower(),
    )
    try:
        hours = int(request.GET.get("hours", 24))
    except ValueError:
        hours = 24
    hours = hours if hours in RANGES_H else 24
    end = datetime.now(UTC)
    start = end - timedelta(hours=hours)
    lang = translation.get_language() or "zh-hans"
    latest: dict = {}
    charts = []
    error = ""
    ts = TimeSeries.from_config()
    try:
        latest = ts.latest(device)
        for metric in sorted(latest, key=list(METRIC_MEASUREMENT).index):
            if metric in ("f_cnt", "gateways"):
                continue
            samples = ts.series(device, metric, start, end)
            charts.append(
                {
                    "metric": metric,
                    "label": metric_label(metric, lang),
                    "unit": CANONICAL_UNITS.get(metric, ""),
                    **polyline(samples, start, end),
                }
            )
    except InfluxError as exc:
        log.warning("time series unavailable for %s: %s", device.dev_eui, exc)
        error = str(exc)
    finally:
        ts.close()
    values = [
        {
            "metric": m,
            "label": metric_label(m, lang),
            "unit": CANONICAL_UNITS.get(m, ""),
            "time": t,
            "value": v,
        }
        for m, (t, v) in latest.items()
        if m not in ("f_cnt", "gateways")
    ]
    return render(
        request,
        "sensors/device_detail.html",
        {
            "device": device,
            "values": values,
            "charts": charts,
            "hours": hours,
            "ranges": RANGES_H,
            "chart_w": CHART_W,
            "chart_h": CHART_H,
            "influx_error": error,
        },
    )


@login_required
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    """Dead letters of the user's devices; those of unknown devices only for administrators."""
    letters = DeadLetter.objects.all()
    if not access.scope_for(request.user).everything:
        letters = letters.filter(dev_eui__in=_devices(request).values("dev_eui"))
    reason = request.GET.get("reason", "")
    counts = letters.order_by().values("reason").annotate(n=Count("id")).order_by("-n")
    if reason in DeadLetter.Reason.values:
        letters = letters.filter(reason=reason)
    page = Paginator(letters.order_by("-received_at", "-id"), 50).get_page(request.GET.get("page"))
    labels = dict(DeadLetter.Reason.choices)
    return render(
        request,
        "sensors/deadletter_list.html",
        {
            "page": page,
            "reason": reason,
            "counts": [(r["reason"], labels.get(r["reason"], r["reason"]), r["n"]) for r in counts],
        },
    )
