"""Dawn dissolved-oxygen forecast from two evening readings.

Method (domain.md §1.6): DO falls all night and is lowest just before daybreak
(UF/IFAS FA27, S11). Measure at 17:00–18:00 and again at 20:00–22:00, extend the
line to dawn, and aerate if it crosses the floor before 07:00 (FA27 practice;
Boyd–Romaire–Johnston projection, S47). The linear line lies at or below the
log-linear curve of Madenjian et al. 1987 (S47), so it is the cautious one to alert
on; the log-linear value is given beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class DawnForecast:
    linear: float  # mg/L at dawn, may be negative: the line does not know DO stops at 0
    log_linear: float | None  # None when DO did not fall
    floor_reached_at: datetime | None  # when the linear line crosses the floor, if before dawn


def project_dawn_oxygen(
    do1: float, t1: datetime, do2: float, t2: datetime, dawn: datetime, floor: float
) -> DawnForecast:
    """Project DO at ``dawn`` from DO₁ at t₁ and DO₂ at t₂ (t₁ < t₂ ≤ dawn)."""
    hours = (t2 - t1).total_seconds() / 3600
    if hours <= 0:
        raise ValueError("the second reading must come after the first")
    ahead = (dawn - t2).total_seconds() / 3600
    slope = (do2 - do1) / hours  # mg/L per hour, negative at night
    linear = do2 + slope * ahead
    log_linear = None
    if do1 > 0 and do2 > 0 and do2 < do1:
        k = math.log(do2 / do1) / hours
        log_linear = do2 * math.exp(k * ahead)
    reached = None
    if slope < 0 and do2 > floor:
        at = t2 + timedelta(hours=(do2 - floor) / -slope)
        reached = at if at <= dawn else None
    elif do2 <= floor:
        reached = t2
    return DawnForecast(linear, log_linear, reached)
