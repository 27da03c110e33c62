"""Withdrawal periods counted in degree-days (度日) from the pond's own temperature.

Many fish-drug withdrawal periods are set in degree-days: the sum over days of
the mean water temperature in °C (a 500 degree-day period is 25 days at 20 °C,
50 days at 10 °C). We integrate the pond's ``water_temp`` series in
half-hour buckets; hours without any reading add nothing, so a dead probe can
only delay a release, never bring it forward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

BUCKET_S = 1800


@dataclass(frozen=True)
class DegreeDays:
    accumulated: float
    covered_fraction: float  # share of the elapsed time with temperature data
    recent_daily_mean: float | None  # °C over the last three days with data

    def projected_release(self, required: float, today: date) -> date | None:
        """When the remaining degree-days will be reached at the recent temperature."""
        remaining = required - self.accumulated
        if remaining <= 0:
            return today
        if not self.recent_daily_mean or self.recent_daily_mean <= 0:
            return None
        return today + timedelta(days=math.ceil(remaining / self.recent_daily_mean))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def accumulate(timeseries: Any, site: Any, since: date, until: datetime) -> DegreeDays:
    """Degree-days of ``site`` from the start of ``since`` to ``until``."""
    start = _start_of(since)
    if until <= start:
        return DegreeDays(0.0, 1.0, None)
    span = (until - start).total_seconds()
    # Ask for enough points that the bucket stays at half an hour (raw data, not roll-ups).
    samples = timeseries.series(
        site, "water_temp", start, until, max_points=math.ceil(span / BUCKET_S) + 2
    )
    width_days = BUCKET_S / 86400
    total = sum(max(s.value, 0.0) * width_days for s in samples)
    covered = min(1.0, len(samples) * BUCKET_S / span)
    recent_cut = until - timedelta(days=3)
    recent = [s.value for s in samples if s.time >= recent_cut]
    return DegreeDays(total, covered, sum(recent) / len(recent) if recent else None)
