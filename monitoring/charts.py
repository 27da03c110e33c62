"""Chart data for sites and metrics over a range: mean with a min–max band, and the limits.

Ranges are 24 h, 7 d, 30 d or a custom start and end (at most a year). Buckets of an
hour or more come from the hourly roll-ups (``TimeSeries.band``). The CSV export
writes exactly the buckets the chart shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from monitoring.thresholds import Limit, limits_by_metric, site_rules
from sensors.timeseries import METRIC_MEASUREMENT, BandSample, InfluxError, TimeSeries, bucket_for
from vocabulary.metrics import CANONICAL_UNITS, metric_label

RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
MAX_SPAN = timedelta(days=366)
MAX_SERIES = 12  # sites × metrics on one chart
MAX_EXPORT_SERIES = 500  # sites × metrics in one CSV export
DEFAULT_METRIC = {"pond": "do", "plot": "soil_vwc"}


class ChartRequestError(ValueError):
    """A chart request that cannot be answered; the message is shown to the person."""


@dataclass(frozen=True)
class Window:
    key: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Series:
    site_id: int
    site_name: str
    farm_name: str
    metric: str
    label: str
    unit: str
    bucket_s: int
    samples: list[BandSample]
    limits: list[Limit]
    unavailable: bool = False  # InfluxDB could not answer for this series


def window(key: str, start: str, end: str, now: datetime) -> Window:
    """The range asked for; a custom one is read in the site's time zone."""
    if key in RANGES:
        return Window(key, now - RANGES[key], now)
    if key != "custom":
        raise ChartRequestError(_("Unknown range."))
    tz = ZoneInfo(settings.TIME_ZONE)
    parsed = []
    for text in (start, end):
        when = parse_datetime(text or "") if text and len(text) <= 40 else None
        if when is None:
            raise ChartRequestError(_("Start and end must be dates and times."))
        parsed.append(when if when.tzinfo else when.replace(tzinfo=tz))
    if parsed[1] <= parsed[0]:
        raise ChartRequestError(_("The end must come after the start."))
    if parsed[1] - parsed[0] > MAX_SPAN:
        raise ChartRequestError(_("A chart covers at most a year."))
    return Window("custom", parsed[0], parsed[1])


def metrics_from(values: list[str]) -> list[str]:
    out = [m for m in dict.fromkeys(values) if m in METRIC_MEASUREMENT]
    if len(out) != len(set(values)) or not out:
        raise ChartRequestError(_("Unknown metric."))
    return out


def load(
    sites: list,
    metrics: list[str] | None,
    w: Window,
    ts: TimeSeries,
    lang: str,
    limit: int = MAX_SERIES,
    *,
    keep_going: bool = False,
) -> list[Series]:
    """Series per site and metric; without ``metrics``, each site's main figure.

    With ``keep_going`` a series InfluxDB cannot answer is returned empty and marked
    ``unavailable`` (an export then says so per pond) instead of failing the whole.
    """
    if len(sites) * (len(metrics) if metrics else 1) > limit:
        raise ChartRequestError(_("Too many lines for one chart."))
    rules = site_rules(sites)
    out = []
    for site in sites:
        limits = limits_by_metric(rules.get(site.pk, ()))
        for metric in metrics or [DEFAULT_METRIC.get(site.kind, "do")]:
            unavailable = False
            try:
                width, samples = ts.band(site.pk, metric, w.start, w.end)
            except InfluxError:
                if not keep_going:
                    raise
                width, samples, unavailable = bucket_for(w.start, w.end), [], True
            out.append(
                Series(
                    site.pk,
                    site.name,
                    site.farm.name,
                    metric,
                    metric_label(metric, lang),
                    CANONICAL_UNITS.get(metric, ""),
                    width,
                    samples,
                    limits.get(metric, []),
                    unavailable,
                )
            )
    return out


def as_json(series: list[Series], w: Window) -> dict:
    return {
        "start": int(w.start.timestamp() * 1000),
        "end": int(w.end.timestamp() * 1000),
        "series": [
            {
                "site": s.site_id,
                "site_name": s.site_name,
                "metric": s.metric,
                "label": s.label,
                "unit": s.unit,
                "bucket_s": s.bucket_s,
                "points": [
                    [int(p.time.timestamp() * 1000), p.mean, p.low, p.high] for p in s.samples
                ],
                "limits": [
                    {"name": lim.name, "severity": lim.severity, "low": lim.low, "high": lim.high}
                    for lim in s.limits
                ],
            }
            for s in series
        ],
    }


def csv_rows(series: list[Series], headers: list[str]):
    """One row per bucket and series, times in the site's time zone.

    A series without readings in the range, or one InfluxDB could not answer, gets one
    row without values and a note saying which, so an export never leaves a pond out
    silently.
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    yield headers
    for s in series:
        if not s.samples:
            note = _("readings unavailable right now") if s.unavailable else _("no readings")
            yield ["", s.farm_name, s.site_name, s.label, s.unit, "", "", "", s.bucket_s, note]
        for p in s.samples:
            yield (
                [
                    p.time.astimezone(tz).isoformat(),
                    s.farm_name,
                    s.site_name,
                    s.label,
                    s.unit,
                    f"{p.mean:.4g}",
                    f"{p.low:.4g}",
                    f"{p.high:.4g}",
                    s.bucket_s,
                    "",
                ]
            )
