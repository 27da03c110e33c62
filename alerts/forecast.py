"""Dawn dissolved-oxygen forecast from two evening readings — the project's one copy.

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
    k_per_h: float | None = None  # log-linear decay rate (negative), None when DO did not fall
    linear_crosses_floor_at: datetime | None = None  # any time after t₂, dawn or not
    log_linear_crosses_floor_at: datetime | None = None

    def aerate(self, deadline: datetime) -> bool:
        """FA27: aerate if the linear projection is below the floor at or before ``deadline``."""
        at = self.linear_crosses_floor_at
        return at is not None and at <= deadline


def project_dawn_oxygen(
    do1: float, t1: datetime, do2: float, t2: datetime, dawn: datetime, floor: float
) -> DawnForecast:
    """Project DO at ``dawn`` from DO₁ at t₁ and DO₂ at t₂ (t₁ < t₂ ≤ dawn), in mg/L."""
    for name, value in (("first DO reading", do1), ("second DO reading", do2), ("floor", floor)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number ≥ 0 mg/L, got {value!r}")
    hours = (t2 - t1).total_seconds() / 3600
    if hours <= 0:
        raise ValueError("the second reading must come after the first")
    ahead = (dawn - t2).total_seconds() / 3600
    if ahead < 0:
        raise ValueError("dawn must not come before the second reading")
    slope = (do2 - do1) / hours  # mg/L per hour, negative at night
    linear = do2 + slope * ahead
    log_linear = k = log_cross = None
    if do1 > 0 and do2 > 0 and do2 < do1:
        k = math.log(do2 / do1) / hours
        log_linear = do2 * math.exp(k * ahead)
        if floor > 0:
            log_cross = t2 + timedelta(hours=max(math.log(floor / do2) / k, 0.0))
    linear_cross = None
    if do2 <= floor:
        linear_cross = t2
    elif slope < 0:
        linear_cross = t2 + timedelta(hours=(do2 - floor) / -slope)
    reached = linear_cross if linear_cross is not None and linear_cross <= dawn else None
    return DawnForecast(linear, log_linear, reached, k, linear_cross, log_cross)
