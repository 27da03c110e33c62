"""The pest situation a plant-protection station reports: trap catches per species.

Counts come from the trap photos' per-species counts in PostgreSQL: a reviewed count
(``reviewed_new``) takes precedence over the model's (``raw_new``), photo by photo.
A county is above the economic threshold when its catch per trap in the week exceeds
the configured ``PestThreshold`` for the species (county's own, else its city's, else
the default). Weeks with no trap photo are gaps, not zero catches.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr, TruncDate

from farm.models import Farm, Region
from regional.models import PestThreshold
from regional.services.period import Period, site_zone
from vision.models import TrapCount, TrapPhoto
from vocabulary.detector_classes import class_label


@dataclass
class CountyPests:
    code: str
    name: str
    traps: int = 0  # traps (cameras) with at least one photo in the week
    prev_traps: int = 0
    pending_review: int = 0
    week: dict[str, int] = field(default_factory=dict)  # species -> catch
    prev_week: dict[str, int] = field(default_factory=dict)
    reviewed_photos: int = 0
    photos: int = 0

    def per_trap(self, species: str) -> float | None:
        return round(self.week.get(species, 0) / self.traps, 1) if self.traps else None

    def change_pct(self, species: str) -> float | None:
        """Week-over-week change; None when last week had no photo or no catch."""
        before = self.prev_week.get(species, 0)
        if not self.prev_traps or not before:
            return None
        return round(100 * (self.week.get(species, 0) - before) / before, 1)


@dataclass
class PestRow:
    county: CountyPests
    species: str
    label: str
    catch: int
    prev_catch: int | None
    change_pct: float | None
    per_trap: float | None
    threshold: float | None
    above: bool


@dataclass
class PestReport:
    period: Period
    counties: list[CountyPests]
    rows: list[PestRow]
    species: list[str]
    daily: dict[str, list[int | None]]  # species -> catch per day of the period (None: no photo)
    days: list[date]
    weekly: dict[str, list[int | None]]  # species -> catch per week, oldest first
    weeks: list[date]


def thresholds_for(region_codes: list[str]) -> dict[tuple[str, str], float]:
    """(species, county code) -> threshold, the most specific configured one winning."""
    rows = list(PestThreshold.objects.all())
    out: dict[tuple[str, str], float] = {}
    for code in region_codes:
        for species in {r.species for r in rows}:
            best, best_len = None, -1
            for r in rows:
                if r.species != species:
                    continue
                rc = r.region_id or ""
                prefix = Region(code=rc, level=_level(rc)).prefix if rc else ""
                if code.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = r.per_trap_week, len(prefix)
            if best is not None:
                out[(species, code)] = best
    return out


def _level(code: str) -> str:
    if code.endswith("0000"):
        return Region.Level.PROVINCE
    if code.endswith("00"):
        return Region.Level.CITY
    return Region.Level.COUNTY


def _counts(farms: QuerySet[Farm], start, end):
    return TrapCount.objects.filter(
        photo__camera__site__farm__in=farms.order_by().values("pk"),
        photo__taken_at__gte=start,
        photo__taken_at__lt=end,
    )


def _photos(farms: QuerySet[Farm], start, end):
    return TrapPhoto.objects.filter(
        camera__site__farm__in=farms.order_by().values("pk"),
        taken_at__gte=start,
        taken_at__lt=end,
    )


def pest_situation(
    region: Region, farms: QuerySet[Farm], period: Period, weeks: int = 8
) -> PestReport:
    counties: dict[str, CountyPests] = {}
    names = dict(
        Region.objects.filter(code__in=farms.values("region_id")).values_list("code", "name")
    )
    for code, name in sorted(names.items()):
        counties[code] = CountyPests(code, name)
    county = Substr("photo__camera__site__farm__region__code", 1, 6)
    catch = Coalesce("reviewed_new", "raw_new")
    prev = period.previous()
    for p, attr in ((period, "week"), (prev, "prev_week")):
        rows = (
            _counts(farms, p.start, p.end)
            .annotate(c=county)
            .values("c", "species")
            .annotate(n=Sum(catch))
            .order_by()
        )
        for r in rows:
            getattr(counties[r["c"]], attr)[r["species"]] = r["n"] or 0
        traps = (
            _photos(farms, p.start, p.end)
            .annotate(c=Substr("camera__site__farm__region__code", 1, 6))
            .values("c")
            .annotate(
                traps=Count("camera", distinct=True),
                photos=Count("id"),
                pending=Count("id", filter=Q(status=TrapPhoto.Status.PENDING)),
                reviewed=Count("id", filter=Q(status=TrapPhoto.Status.REVIEWED)),
            )
            .order_by()
        )
        for r in traps:
            c = counties[r["c"]]
            if attr == "week":
                c.traps, c.photos = r["traps"], r["photos"]
                c.pending_review, c.reviewed_photos = r["pending"], r["reviewed"]
            else:
                c.prev_traps = r["traps"]
    species = sorted({s for c in counties.values() for s in (*c.week, *c.prev_week)})
    limits = thresholds_for(list(counties))
    rows: list[PestRow] = []
    for c in counties.values():
        for s in species:
            if not c.traps and not c.prev_traps:
                continue
            per = c.per_trap(s)
            limit = limits.get((s, c.code))
            rows.append(
                PestRow(
                    county=c,
                    species=s,
                    label=class_label(s),
                    catch=c.week.get(s, 0),
                    prev_catch=c.prev_week.get(s, 0) if c.prev_traps else None,
                    change_pct=c.change_pct(s),
                    per_trap=per,
                    threshold=limit,
                    above=limit is not None and per is not None and per > limit,
                )
            )
    days = period.days()
    daily: dict[str, list[int | None]] = defaultdict(lambda: [0] * len(days))
    day_rows = (
        _counts(farms, period.start, period.end)
        .annotate(d=TruncDate("photo__taken_at", tzinfo=site_zone()))
        .values("d", "species")
        .annotate(n=Sum(catch))
        .order_by()
    )
    for r in day_rows:
        daily[r["species"]][(r["d"] - days[0]).days] = r["n"] or 0
    photo_days = set(
        _photos(farms, period.start, period.end)
        .annotate(d=TruncDate("taken_at", tzinfo=site_zone()))
        .values_list("d", flat=True)
    )
    for s in species:
        daily[s]  # noqa: B018 — every species gets a series
    for series in daily.values():
        for i, d in enumerate(days):
            if d not in photo_days:
                series[i] = None
    week_starts = [period.monday - timedelta(days=7 * i) for i in range(weeks - 1, -1, -1)]
    start = period.start - timedelta(days=7 * (weeks - 1))
    weekly: dict[str, list[int | None]] = defaultdict(lambda: [0] * weeks)
    wk_rows = (
        _counts(farms, start, period.end)
        .annotate(d=TruncDate("photo__taken_at", tzinfo=site_zone()))
        .values("d", "species")
        .annotate(n=Sum(catch))
        .order_by()
    )
    for r in wk_rows:
        i = (r["d"] - week_starts[0]).days // 7
        if 0 <= i < weeks:
            weekly[r["species"]][i] += r["n"] or 0
    weeks_with_photos = {
        (d - week_starts[0]).days // 7
        for d in _photos(farms, start, period.end)
        .annotate(d=TruncDate("taken_at", tzinfo=site_zone()))
        .values_list("d", flat=True)
    }
    for s in species:
        weekly[s]  # noqa: B018
    for series in weekly.values():
        for i in range(weeks):
            if i not in weeks_with_photos:
                series[i] = None
    return PestReport(
        period=period,
        counties=list(counties.values()),
        rows=rows,
        species=species,
        daily=dict(daily),
        days=days,
        weekly=dict(weekly),
        weeks=week_starts,
    )
