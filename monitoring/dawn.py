"""Tonight's dawn-oxygen outlook of each pond, from its evening DO readings.

FA27 practice (domain.md §1.6, ``alerts.forecast``): the mean DO of 17:00–18:00 and
the latest reading from 20:00 on, projected to 07:00 local time. Before the second
reading there is no forecast yet, and the page says when there will be one.
The floor is the pond's dawn-forecast rule, else its lowest low-DO rule, else
3 mg/L (GB 11607-89: never below 3 mg/L).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from alerts.forecast import project_dawn_oxygen
from alerts.models import Rule
from monitoring.thresholds import site_rules
from sensors.timeseries import TimeSeries

DEFAULT_FLOOR = 3.0
FIRST = (time(17, 0), time(18, 0))
SECOND_FROM = time(20, 0)
DAWN = time(7, 0)


@dataclass(frozen=True)
class Outlook:
    state: str  # forecast | waiting | nodata
    floor: float
    minimum: float | None = None  # projected DO at its lowest (dawn), mg/L, never below 0
    minimum_at: datetime | None = None
    crosses_at: datetime | None = None  # when the line reaches the floor, if before dawn
    aerate: bool = False
    ready_at: datetime | None = None  # when a forecast can be made (waiting)


def evening_of(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, datetime]:
    """(17:00, 20:00 of the evening that leads to the next dawn, that dawn), local."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=1) if local.time() < DAWN else local.date()
    return (
        datetime.combine(day, FIRST[0], tz),
        datetime.combine(day, SECOND_FROM, tz),
        datetime.combine(day + timedelta(days=1), DAWN, tz),
    )


def outlook(
    first: tuple[datetime, float] | None,
    latest: tuple[datetime, float] | None,
    floor: float,
    now: datetime,
    tz: ZoneInfo,
) -> Outlook:
    start, second_from, dawn = evening_of(now, tz)
    if now < second_from:
        return Outlook("waiting", floor, ready_at=second_from)
    usable = latest is not None and second_from <= latest[0] <= dawn and math.isfinite(latest[1])
    if first is None or not usable or latest[1] < 0 or first[1] < 0:
        return Outlook("nodata", floor)
    f = project_dawn_oxygen(first[1], first[0], latest[1], latest[0], dawn, floor)
    falling = f.linear < latest[1]
    return Outlook(
        "forecast",
        floor,
        minimum=round(max(f.linear, 0.0), 2) if falling else round(latest[1], 2),
        minimum_at=dawn if falling else latest[0],
        crosses_at=f.floor_reached_at,
        aerate=f.aerate(dawn),
    )


def floors(ponds: list) -> dict[int, float]:
    """The DO floor of each pond (module doc)."""
    rules = site_rules(ponds, (Rule.Condition.DAWN_FORECAST, Rule.Condition.BELOW))
    out = {}
    for pond in ponds:
        dawn = [r.threshold for r in rules.get(pond.pk, ()) if r.condition == "dawn_forecast"]
        low = [
            r.threshold
            for r in rules.get(pond.pk, ())
            if r.condition == "below" and r.metric == "do" and r.threshold is not None
        ]
        candidates = [t for t in dawn if t is not None] or low
        out[pond.pk] = min(candidates) if candidates else DEFAULT_FLOOR
    return out


def load(
    ponds: list, latest_do: dict[int, tuple[datetime, float]], now: datetime, ts: TimeSeries
) -> dict[int, Outlook]:
    """Outlooks of ``ponds``; ``latest_do`` is each pond's last DO (from ``sites_now``)."""
    if not ponds:
        return {}
    tz = ZoneInfo(settings.TIME_ZONE)
    start, second_from, _ = evening_of(now, tz)
    firsts = {}
    if now >= second_from:
        end = datetime.combine(start.date(), FIRST[1], tz)
        firsts = ts.window_mean([p.pk for p in ponds], "do", start, end)
    floor_of = floors(ponds)
    return {
        p.pk: outlook(firsts.get(p.pk), latest_do.get(p.pk), floor_of[p.pk], now, tz) for p in ponds
    }
