"""Traceability across a region: lots released, held (and why) and shipped, per county.

Read-only over ``traceability``: lot states from the lots, releases and shipments from
their EPCIS events in the period, hold reasons from the compliance gate (``gate.check``)
for every harvested lot still waiting. A 承诺达标合格证 counts as issued when its producer
printed it (``printing.certificate(record=True)`` keeps a ``PrintJob`` of kind certificate),
so the certificates counted are those print records in the period, by the lot's county.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Substr

from farm.models import Farm, Region
from regional.services.period import Period
from traceability import gate, vocab
from traceability.models import Lot, PrintJob, TraceEvent


@dataclass
class HeldLot:
    lot: Lot
    reasons: list[str]
    kinds: list[str]


@dataclass
class CountyLots:
    code: str
    name: str
    released: int = 0  # release events in the period
    shipped: int = 0  # shipping events in the period
    held: int = 0  # harvested lots the gate blocks now
    waiting: int = 0  # harvested lots the gate would pass
    certificates: int = 0  # 合格证 issued (printed and recorded by the producer) in the period
    hold_kinds: Counter = field(default_factory=Counter)

    @property
    def hold_reasons(self) -> list[tuple[str, int]]:
        """(kind, lots) — a list: templates cannot iterate a Counter (``.items`` is a key)."""
        return sorted(self.hold_kinds.items())


@dataclass
class TraceReport:
    period: Period
    counties: list[CountyLots]
    held: list[HeldLot]
    total: CountyLots


def traceability_overview(
    farms: QuerySet[Farm], period: Period, now: datetime, timeseries: Any = None
) -> TraceReport:
    farm_ids = farms.order_by().values("pk")
    names = dict(
        Region.objects.filter(code__in=farms.values("region_id")).values_list("code", "name")
    )
    counties = {code: CountyLots(code, name) for code, name in sorted(names.items())}
    events = (
        TraceEvent.objects.filter(
            lot__origin__farm__in=farm_ids,
            event_time__gte=period.start,
            event_time__lt=period.end,
            biz_step__in=[vocab.RELEASE, vocab.SHIPPING],
            corrects__isnull=True,
        )
        .annotate(c=Substr("lot__origin__farm__region__code", 1, 6))
        .values("c", "biz_step")
        .annotate(n=Count("lot", distinct=True))
        .order_by()
    )
    for r in events:
        c = counties[r["c"]]
        if r["biz_step"] == vocab.RELEASE:
            c.released += r["n"]
        else:
            c.shipped += r["n"]
    issued = (
        PrintJob.objects.filter(
            lot__origin__farm__in=farm_ids,
            kind=PrintJob.Kind.CERTIFICATE,
            printed_at__gte=period.start,
            printed_at__lt=period.end,
        )
        .values(c=Substr("lot__origin__farm__region__code", 1, 6))
        .annotate(n=Sum("copies"))
        .order_by()
    )
    for r in issued:
        counties[r["c"]].certificates += r["n"]
    held: list[HeldLot] = []
    waiting = Lot.objects.filter(
        origin__farm__in=farm_ids, status=Lot.Status.HARVESTED
    ).select_related("origin", "origin__farm")
    for lot in waiting.order_by("origin__farm__region_id", "lot_number"):
        c = counties[lot.origin.farm.region_id]
        result = gate.check(lot, now, timeseries)
        if result.ok:
            c.waiting += 1
            continue
        c.held += 1
        kinds = sorted({b.kind for b in result.blocks})
        c.hold_kinds.update(kinds)
        held.append(HeldLot(lot, [b.text for b in result.blocks], kinds))
    total = CountyLots("", "")
    for c in counties.values():
        total.released += c.released
        total.shipped += c.shipped
        total.held += c.held
        total.waiting += c.waiting
        total.certificates += c.certificates
        total.hold_kinds.update(c.hold_kinds)
    return TraceReport(period, list(counties.values()), held, total)
