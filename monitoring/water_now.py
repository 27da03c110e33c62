"""The water (or soil) of a site now: each figure with its age, status, trend, or why not.

One InfluxDB round trip for any number of sites (``TimeSeries.sites_now``) and one
query for the rules; the page and the wall tiles render what this returns.
A probe counts as faulted when its device reported a fault for the metric after the
metric's last good value; a value older than ``STALE_AFTER`` is not shown as current.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from monitoring.thresholds import WORDS, Limit, level_of, limits_by_metric, site_rules
from sensors.faults import fault_label
from sensors.timeseries import SitesNow, TimeSeries
from vocabulary.metrics import CANONICAL_UNITS

# Three reporting intervals of a node that reports every 10 minutes.
STALE_AFTER = timedelta(seconds=getattr(settings, "MONITORING_STALE_AFTER_S", 1800))

POND_METRICS = (
    "do", "do_sat", "water_temp", "ph", "tan", "nh3", "salinity", "water_level",
    "nitrite", "orp", "turbidity",
)  # fmt: skip
PLOT_METRICS = (
    "soil_vwc", "soil_temp", "soil_ec", "soil_ph", "soil_n", "soil_p", "soil_k",
    "air_temp", "air_rh",
)  # fmt: skip
# Always listed on a site page, even before a first reading (the list).
POND_EXPECTED = ("do", "do_sat", "water_temp", "ph", "tan", "nh3", "salinity", "water_level")
PLOT_EXPECTED = ("soil_vwc", "soil_temp", "soil_ec", "soil_ph")
# The few a wall tile has room for.
POND_TILE = ("do", "water_temp", "ph", "nh3")
PLOT_TILE = ("soil_vwc", "soil_temp", "soil_ec", "air_temp")

DECIMALS = {"ph": 2, "tan": 2, "nh3": 3, "nitrite": 2, "soil_ph": 1, "do_sat": 0, "soil_ec": 0}
# A change smaller than this over the trend window is "steady" (about a probe's noise).
STEADY = {
    "do": 0.2, "do_sat": 3.0, "water_temp": 0.3, "ph": 0.1, "tan": 0.05, "nh3": 0.005,
    "salinity": 0.2, "water_level": 2.0, "nitrite": 0.05, "orp": 10.0, "turbidity": 2.0,
    "soil_vwc": 1.0, "soil_temp": 0.3, "soil_ec": 20.0, "soil_ph": 0.1, "air_temp": 0.5,
    "air_rh": 3.0,
}  # fmt: skip
RANK = {"critical": 5, "warning": 4, "fault": 3, "stale": 2, "info": 1}


def metrics_of(kind: str) -> tuple[str, ...]:
    return POND_METRICS if kind == "pond" else PLOT_METRICS


@dataclass
class Figure:
    """One metric of one site as a person should read it."""

    metric: str
    unit: str
    value: float | None = None
    text: str = "—"
    at: datetime | None = None
    level: str = "nodata"  # ok | info | warning | critical | nolimit | stale | fault | nodata
    word: str = ""
    limit: Limit | None = None
    trend: str = ""  # up | down | steady | ""
    fault: str = ""

    @property
    def shows_value(self) -> bool:
        return self.level not in ("stale", "fault", "nodata")


@dataclass
class SiteNow:
    site_id: int
    figures: dict[str, Figure] = field(default_factory=dict)

    @property
    def worst(self) -> str:
        levels = [f.level for f in self.figures.values()]
        return max(levels, key=lambda lv: RANK.get(lv, 0), default="nodata")

    def rank(self) -> int:
        return RANK.get(self.worst, 0)


def value_text(metric: str, value: float) -> str:
    return f"{value:.{DECIMALS.get(metric, 1)}f}"


def trend_of(metric: str, now: tuple[datetime, float], before: tuple[datetime, float] | None):
    if before is None or before[0] >= now[0]:
        return ""
    delta = now[1] - before[1]
    step = STEADY.get(metric, abs(now[1]) * 0.02)
    if abs(delta) < step:
        return "steady"
    return "up" if delta > 0 else "down"


def faulted_metrics(fault: tuple[datetime, str] | None) -> dict[str, tuple[datetime, str]]:
    """``"do:fault,ph:no_response"`` → ``{"do": (t, "fault"), ...}``."""
    if fault is None:
        return {}
    at, text = fault
    out = {}
    for part in text.split(","):
        metric, _, code = part.partition(":")
        if metric:
            out[metric.strip()] = (at, code.strip() or "fault")
    return out


def figure(
    metric: str,
    latest: tuple[datetime, float] | None,
    earlier: tuple[datetime, float] | None,
    fault: tuple[datetime, str] | None,
    limits: list[Limit],
    now: datetime,
) -> Figure:
    unit = CANONICAL_UNITS.get(metric, "")
    f = Figure(metric, "" if unit == "pH" else unit)  # "pH 7.8 pH" says it twice
    if fault is not None and (latest is None or fault[0] >= latest[0]):
        f.at, f.level, f.fault = fault[0], "fault", fault_label(fault[1])
        f.word = str(WORDS["fault"])
        return f
    if latest is None or not math.isfinite(latest[1]):
        f.word = str(WORDS["nodata"])
        return f
    f.at, f.value = latest
    f.text = value_text(metric, latest[1])
    if now - latest[0] > STALE_AFTER:
        f.level, f.word = "stale", str(WORDS["stale"])
        return f
    f.level, f.limit = level_of(latest[1], limits)
    f.word = str(WORDS[f.level])
    f.trend = trend_of(metric, latest, earlier)
    return f


def build(
    sites: Iterable, data: SitesNow, rules: dict[int, list], now: datetime, *, tile: bool = False
) -> dict[int, SiteNow]:
    """A ``SiteNow`` per site from one ``sites_now`` answer and ``site_rules``."""
    out = {}
    for site in sites:
        latest = data.latest.get(site.pk, {})
        earlier = data.earlier.get(site.pk, {})
        faults = faulted_metrics(data.faults.get(site.pk))
        limits = limits_by_metric(rules.get(site.pk, ()))
        if tile:
            shown = POND_TILE if site.kind == "pond" else PLOT_TILE
        else:
            expected = POND_EXPECTED if site.kind == "pond" else PLOT_EXPECTED
            shown = [m for m in metrics_of(site.kind) if m in expected or m in latest]
        now_site = SiteNow(site.pk)
        for metric in shown:
            now_site.figures[metric] = figure(
                metric,
                latest.get(metric),
                earlier.get(metric),
                faults.get(metric),
                limits.get(metric, []),
                now,
            )
        # A breach or fault on a metric the tile has no room for still counts.
        for metric in set(latest) | set(faults):
            if metric not in now_site.figures:
                hidden = figure(
                    metric,
                    latest.get(metric),
                    None,
                    faults.get(metric),
                    limits.get(metric, []),
                    now,
                )
                if hidden.level in ("warning", "critical", "fault"):
                    now_site.figures[metric] = hidden
        out[site.pk] = now_site
    return out


def load(sites: list, now: datetime, ts: TimeSeries, *, tile: bool = False) -> dict[int, SiteNow]:
    """Read and judge the figures of ``sites`` (Site objects with ``farm`` loaded)."""
    metrics = {m for s in sites for m in metrics_of(s.kind)}
    data = ts.sites_now([s.pk for s in sites], sorted(metrics), now)
    return build(sites, data, site_rules(sites), now, tile=tile)
