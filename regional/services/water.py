"""Water quality across a region, from InfluxDB's hourly roll-ups (never raw points).

GB 11607-89 渔业水质标准 (table 1, item 5): dissolved oxygen must be above 5 mg/L for more
than 16 h of any 24 h and never below 3 mg/L. Counted here on hourly roll-ups per calendar
day (site time): an hour whose mean DO was at or below 5 mg/L is an hour below the limit;
a pond breached the standard on a day with 8 such hours or more, or when any hourly minimum
fell below 3 mg/L. Un-ionised ammonia peaks are the highest hourly maximum of the derived
``nh3`` (0.02 mg/L is the widely quoted limit; the standard's row is unverified, see
domain notes). Hours without a roll-up are a gap and are reported as one, never as zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from farm.models import Farm, Region, Site
from regional.services.period import Period
from sensors.timeseries import InfluxError, TimeSeries

DO_LIMIT = 5.0
DO_FLOOR = 3.0
DAILY_HOURS = 8
NH3_LIMIT = 0.02


@dataclass
class PondWater:
    site_id: int
    name: str
    farm_id: int
    farm_name: str
    county: str
    hours_with_data: int = 0
    hours_below: int = 0
    worst_day_hours: int = 0
    min_do: float | None = None
    nh3_peak: float | None = None
    prev_hours_with_data: int = 0
    prev_hours_below: int = 0
    prev_breached: bool = False

    @property
    def has_data(self) -> bool:
        return self.hours_with_data > 0

    @property
    def breached(self) -> bool:
        return self.worst_day_hours >= DAILY_HOURS or (
            self.min_do is not None and self.min_do < DO_FLOOR
        )


@dataclass
class WaterRow:
    """A county's or farm's ponds summed; ponds without data are counted as gaps."""

    key: str
    name: str
    ponds: int = 0
    ponds_with_data: int = 0
    hours_below: int = 0
    ponds_breached: int = 0
    nh3_peak: float | None = None
    prev_ponds_with_data: int = 0
    prev_hours_below: int = 0
    prev_ponds_breached: int = 0
    hours_with_data: int = 0
    hours_expected: float = 0

    @property
    def gap_ponds(self) -> int:
        return self.ponds - self.ponds_with_data

    @property
    def data_pct(self) -> float | None:
        if not self.hours_expected:
            return None
        return round(100 * self.hours_with_data / self.hours_expected, 1)

    @property
    def hours_below_change(self) -> int | None:
        """Change from the previous period; None when either period has no data at all."""
        if not self.ponds_with_data or not self.prev_ponds_with_data:
            return None
        return self.hours_below - self.prev_hours_below


@dataclass
class WaterReport:
    period: Period
    by_county: list[WaterRow] = field(default_factory=list)
    by_farm: list[WaterRow] = field(default_factory=list)
    ponds: list[PondWater] = field(default_factory=list)
    total: WaterRow | None = None
    unavailable: str = ""


def _fill(ts: TimeSeries, region: Region, period: Period, ponds: dict[str, PondWater]) -> None:
    prefix = region.prefix
    do_now = ts.site_rollup_summary("do", prefix, period.start, period.end)
    days_now = ts.daily_hours_at_or_below("do", prefix, period.start, period.end, DO_LIMIT)
    nh3 = ts.site_rollup_summary("nh3", prefix, period.start, period.end)
    prev = period.previous()
    do_prev = ts.site_rollup_summary("do", prefix, prev.start, prev.end)
    days_prev = ts.daily_hours_at_or_below("do", prefix, prev.start, prev.end, DO_LIMIT)
    for site, p in ponds.items():
        s = do_now.get(site)
        if s:
            p.hours_with_data = s["hours"]
            p.min_do = s["min"]
        days = [n for _, n in days_now.get(site, [])]
        p.hours_below = sum(days)
        p.worst_day_hours = max(days, default=0)
        if site in nh3:
            p.nh3_peak = nh3[site]["max"]
        s = do_prev.get(site)
        days = [n for _, n in days_prev.get(site, [])]
        if s:
            p.prev_hours_with_data = s["hours"]
            p.prev_hours_below = sum(days)
            p.prev_breached = max(days, default=0) >= DAILY_HOURS or (
                s["min"] is not None and s["min"] < DO_FLOOR
            )


def _roll(key: str, name: str, ponds: list[PondWater], hours: float) -> WaterRow:
    row = WaterRow(key=key, name=name, ponds=len(ponds), hours_expected=hours * len(ponds))
    for p in ponds:
        row.hours_with_data += p.hours_with_data
        if p.has_data:
            row.ponds_with_data += 1
            row.hours_below += p.hours_below
            row.ponds_breached += p.breached
        if p.prev_hours_with_data:
            row.prev_ponds_with_data += 1
            row.prev_hours_below += p.prev_hours_below
            row.prev_ponds_breached += p.prev_breached
        if p.nh3_peak is not None:
            row.nh3_peak = max(row.nh3_peak or 0, p.nh3_peak)
    return row


def water_quality(
    region: Region, farms: QuerySet[Farm], period: Period, ts: TimeSeries | None = None
) -> WaterReport:
    """Per county, farm and pond: hours of DO below the limit, breaches, NH3 peaks."""
    report = WaterReport(period=period)
    sites = (
        Site.objects.filter(farm__in=farms.order_by().values("pk"), kind=Site.Kind.POND)
        .select_related("farm", "farm__region")
        .order_by("farm__region__code", "farm__name", "name")
    )
    ponds = {
        str(s.pk): PondWater(s.pk, s.name, s.farm_id, s.farm.name, s.farm.region_id) for s in sites
    }
    own = ts is None
    ts = ts or TimeSeries.from_config()
    try:
        _fill(ts, region, period, ponds)
    except InfluxError as exc:
        report.unavailable = str(exc)
    finally:
        if own:
            ts.close()
    report.ponds = list(ponds.values())
    counties = dict(
        Region.objects.filter(code__in={p.county for p in report.ponds}).values_list("code", "name")
    )
    by_county: dict[str, list[PondWater]] = {}
    by_farm: dict[int, list[PondWater]] = {}
    for p in report.ponds:
        by_county.setdefault(p.county, []).append(p)
        by_farm.setdefault(p.farm_id, []).append(p)
    report.by_county = [
        _roll(code, counties.get(code, code), ps, period.hours)
        for code, ps in sorted(by_county.items())
    ]
    report.by_farm = [
        _roll(str(fid), ps[0].farm_name, ps, period.hours) for fid, ps in by_farm.items()
    ]
    report.total = _roll(region.code, region.name, report.ponds, period.hours)
    return report
