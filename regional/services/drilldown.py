"""Region drill-down: counts per region node and per child, and the farms needing attention.

Everything is a grouped PostgreSQL aggregate over the already scoped farm queryset
(``farm.access.farms_in_region``): one query per family of figures, grouped by the
child's key (the code prefix of a city or county, or the farm id), so a province's page
costs the same handful of queries as a county's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    Q,
    QuerySet,
)
from django.db.models.functions import Substr

from alerts.models import Incident, Severity
from farm.models import Farm, Region, Site
from regional.services.period import Period
from sensors.models import Device


def offline_after() -> timedelta:
    """A device that has not reported for this long counts as offline."""
    return timedelta(minutes=getattr(settings, "REGIONAL_OFFLINE_AFTER_MINUTES", 120))


def low_battery_v() -> float:
    """Same level as the alert template ``device.battery`` (2.7 V)."""
    return float(getattr(settings, "REGIONAL_LOW_BATTERY_V", 2.7))


class Percentile(Aggregate):
    """PostgreSQL ``percentile_cont`` over a duration, in seconds (an ordered-set aggregate)."""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    template = (
        "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    )

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass
class Figures:
    """The figures of one region node, child or farm."""

    key: str
    name: str
    url: str = ""
    farms: int = 0
    farms_by_kind: dict[str, int] = field(default_factory=dict)
    plots: int = 0
    ponds: int = 0
    devices: int = 0
    online: int = 0
    offline: int = 0
    never_reported: int = 0
    low_battery: int = 0
    open_by_severity: dict[str, int] = field(default_factory=dict)
    open_over_24h: int = 0
    oldest_open_hours: float | None = None
    opened_in_period: int = 0
    acknowledged_in_period: int = 0
    ack_median_min: float | None = None
    ack_p90_min: float | None = None
    has_coordinates: bool = True

    @property
    def coverage_pct(self) -> float | None:
        """Devices online over devices registered; None (no devices) is not 0 %."""
        return round(100 * self.online / self.devices, 1) if self.devices else None

    @property
    def open_total(self) -> int:
        return sum(self.open_by_severity.values())

    @property
    def open_critical(self) -> int:
        return self.open_by_severity.get(Severity.CRITICAL, 0)

    @property
    def open_warning(self) -> int:
        return self.open_by_severity.get(Severity.WARNING, 0)

    @property
    def open_info(self) -> int:
        return self.open_by_severity.get(Severity.INFO, 0)

    @property
    def status(self) -> str:
        """critical / warning / offline / ok / empty — the map's colour and word."""
        if self.open_critical:
            return "critical"
        if self.open_warning:
            return "warning"
        if self.offline or (self.devices and not self.online):
            return "offline"
        if not self.devices:
            return "empty"
        return "ok"


@dataclass
class Attention:
    farm: Farm
    score: float
    reasons: list[tuple[str, int | float]]
    status: str


@dataclass
class Drilldown:
    region: Region
    level: str  # the children's level: city, county or farm
    total: Figures
    children: list[Figures]
    attention: list[Attention]
    period: Period
    now: datetime


def child_level(region: Region) -> tuple[str, int]:
    """(level of the children, length of their code prefix); farms under a county."""
    if region.level == Region.Level.PROVINCE:
        return "city", 4
    if region.level == Region.Level.CITY:
        return "county", 6
    return "farm", 0


def collect(
    farms: QuerySet[Farm], length: int, period: Period, now: datetime, *, status_only: bool = False
) -> dict[str, Figures]:
    """Figures per child key (code prefix of ``length`` digits, or farm id when 0).

    ``status_only``: devices and open incidents only — what a farm's status, the map and the
    attention list need; a province's 2,000 farms then cost two grouped queries, not five.
    """
    out: dict[str, Figures] = defaultdict(lambda: Figures(key="", name=""))
    farm_ids = farms.order_by().values("pk")

    def key_of(path: str):
        return (
            Substr(f"{path}region__code", 1, length) if length else F(f"{path}id" if path else "id")
        )

    rows = (
        Farm.objects.none()
        if status_only
        else Farm.objects.filter(pk__in=farm_ids)
        .annotate(k=key_of(""))
        .values("k", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in rows:
        f = out[str(r["k"])]
        f.farms += r["n"]
        f.farms_by_kind[r["kind"]] = f.farms_by_kind.get(r["kind"], 0) + r["n"]

    rows = (
        Site.objects.none()
        if status_only
        else Site.objects.filter(farm__in=farm_ids)
        .annotate(k=key_of("farm__"))
        .values("k", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in rows:
        f = out[str(r["k"])]
        if r["kind"] == Site.Kind.POND:
            f.ponds += r["n"]
        else:
            f.plots += r["n"]

    stale = now - offline_after()
    rows = (
        Device.objects.filter(farm__in=farm_ids, enabled=True)
        .annotate(k=key_of("farm__"))
        .values("k")
        .annotate(
            total=Count("id"),
            online=Count("id", filter=Q(last_seen__gte=stale)),
            never=Count("id", filter=Q(last_seen__isnull=True)),
            low=Count("id", filter=Q(battery_v__lt=low_battery_v())),
        )
        .order_by()
    )
    for r in rows:
        f = out[str(r["k"])]
        f.devices += r["total"]
        f.online += r["online"]
        f.never_reported += r["never"]
        f.offline += r["total"] - r["online"] - r["never"]
        f.low_battery += r["low"]

    open_incidents = Incident.objects.filter(farm__in=farm_ids, resolved_at__isnull=True)
    rows = (
        open_incidents.annotate(k=key_of("farm__"))
        .values("k", "severity")
        .annotate(
            n=Count("id"),
            old=Count("id", filter=Q(opened_at__lt=now - timedelta(hours=24))),
            first=Min("opened_at"),
        )
        .order_by()
    )
    for r in rows:
        f = out[str(r["k"])]
        f.open_by_severity[r["severity"]] = f.open_by_severity.get(r["severity"], 0) + r["n"]
        f.open_over_24h += r["old"]
        hours = (now - r["first"]).total_seconds() / 3600
        f.oldest_open_hours = max(f.oldest_open_hours or 0, hours)

    if status_only:
        return out
    waited = ExpressionWrapper(F("acknowledged_at") - F("opened_at"), output_field=DurationField())
    rows = (
        Incident.objects.filter(
            farm__in=farm_ids, opened_at__gte=period.start, opened_at__lt=period.end
        )
        .annotate(k=key_of("farm__"))
        .values("k")
        .annotate(
            n=Count("id"),
            acked=Count("id", filter=Q(acknowledged_at__isnull=False)),
            p50=Percentile(waited, 0.5),
            p90=Percentile(waited, 0.9),
        )
        .order_by()
    )
    for r in rows:
        f = out[str(r["k"])]
        f.opened_in_period += r["n"]
        f.acknowledged_in_period += r["acked"]
        f.ack_median_min = round(r["p50"] / 60, 1) if r["p50"] is not None else None
        f.ack_p90_min = round(r["p90"] / 60, 1) if r["p90"] is not None else None
    return out


def _sum(key: str, name: str, parts: list[Figures]) -> Figures:
    total = Figures(key=key, name=name)
    for p in parts:
        total.farms += p.farms
        for k, v in p.farms_by_kind.items():
            total.farms_by_kind[k] = total.farms_by_kind.get(k, 0) + v
        total.plots += p.plots
        total.ponds += p.ponds
        total.devices += p.devices
        total.online += p.online
        total.offline += p.offline
        total.never_reported += p.never_reported
        total.low_battery += p.low_battery
        for k, v in p.open_by_severity.items():
            total.open_by_severity[k] = total.open_by_severity.get(k, 0) + v
        total.open_over_24h += p.open_over_24h
        if p.oldest_open_hours is not None:
            total.oldest_open_hours = max(total.oldest_open_hours or 0, p.oldest_open_hours)
        total.opened_in_period += p.opened_in_period
        total.acknowledged_in_period += p.acknowledged_in_period
    return total


def acknowledgement_percentiles(
    farms: QuerySet[Farm], period: Period
) -> tuple[float | None, float | None]:
    """Median and 90th percentile (minutes) over the whole node: percentiles do not add up."""
    waited = ExpressionWrapper(F("acknowledged_at") - F("opened_at"), output_field=DurationField())
    r = Incident.objects.filter(
        farm__in=farms.order_by().values("pk"),
        opened_at__gte=period.start,
        opened_at__lt=period.end,
    ).aggregate(p50=Percentile(waited, 0.5), p90=Percentile(waited, 0.9))
    return (
        round(r["p50"] / 60, 1) if r["p50"] is not None else None,
        round(r["p90"] / 60, 1) if r["p90"] is not None else None,
    )


def attention_list(
    farms: QuerySet[Farm], by_farm: dict[str, Figures], limit: int = 10
) -> list[Attention]:
    """Farms with something wrong, worst first: critical incidents, then warnings, devices
    offline or never reported, low batteries, and how long the oldest incident has waited."""
    scored = []
    for key, f in by_farm.items():
        reasons: list[tuple[str, int | float]] = []
        for name, n in (
            ("critical", f.open_critical),
            ("warning", f.open_warning),
            ("offline", f.offline),
            ("never", f.never_reported),
            ("battery", f.low_battery),
        ):
            if n:
                reasons.append((name, n))
        if not reasons:
            continue
        score = (
            1000 * f.open_critical
            + 100 * f.open_warning
            + 10 * (f.offline + f.never_reported)
            + f.low_battery
            + min(f.oldest_open_hours or 0, 999) / 1000
        )
        scored.append((score, key, reasons, f.status))
    scored.sort(key=lambda t: (-t[0], t[1]))
    top = scored[:limit]
    names = Farm.objects.select_related("region").in_bulk([int(k) for _, k, _, _ in top])
    return [Attention(names[int(k)], s, reasons, status) for s, k, reasons, status in top]


def drilldown(region: Region, farms: QuerySet[Farm], period: Period, now: datetime) -> Drilldown:
    """Everything the region page shows, for farms already scoped to the user and region."""
    level, length = child_level(region)
    per_child = collect(farms, length, period, now)
    per_farm = per_child if length == 0 else collect(farms, 0, period, now, status_only=True)
    children: list[Figures] = []
    if length:
        names = dict(
            Region.objects.filter(code__startswith=region.prefix, level=level).values_list(
                "code", "name"
            )
        )
        for code, name in sorted(names.items()):
            f = per_child.get(code[:length]) or Figures(key=code, name=name)
            f.key, f.name = code, name
            children.append(f)
    else:
        for farm in farms.order_by("name").only("pk", "name", "latitude", "longitude"):
            f = per_child.get(str(farm.pk)) or Figures(key=str(farm.pk), name=farm.name)
            f.key, f.name = str(farm.pk), farm.name
            f.has_coordinates = farm.latitude is not None and farm.longitude is not None
            children.append(f)
    total = _sum(region.code, region.name, children)
    total.ack_median_min, total.ack_p90_min = acknowledgement_percentiles(farms, period)
    return Drilldown(
        region=region,
        level=level,
        total=total,
        children=children,
        attention=attention_list(farms, per_farm),
        period=period,
        now=now,
    )
