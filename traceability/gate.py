"""The compliance gate: may this lot be released or shipped now?

A lot is blocked while a pesticide pre-harvest interval (安全间隔期) or a
veterinary-drug withdrawal period (休药期) applied on its origin is still
running, when it was harvested inside such an interval, or while a required
inspection is missing or failed. Each block names the record and, when
waiting cures it, the date it ends.

A withdrawal period counted in degree-days needs the pond's temperatures from
InfluxDB. When they cannot be read the gate fails safe: the drug record blocks
the lot (kind ``withdrawal``, no end date) and the result says the environment
data was unavailable, so no page shows the lot as compliant on a guess.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from traceability import withdrawal
from traceability.models import InputRecord, Inspection, Lot

log = logging.getLogger(__name__)

# Inputs older than this before the growing period began cannot affect the lot.
LOOKBACK_DAYS = 365


@dataclass(frozen=True)
class Block:
    kind: str  # "phi" | "withdrawal" | "inspection"
    reason: str
    record_id: int | None = None
    until: date | None = None  # None: waiting does not cure it
    accumulated_dd: float | None = None
    required_dd: float | None = None
    unknown: bool = False  # could not be judged (time series unavailable), blocks anyway

    @property
    def key(self) -> str:
        """Which record blocks, stable while the reason's figures change (degree-days)."""
        return f"{self.kind}:{self.record_id}"


@dataclass
class GateResult:
    blocks: list[Block] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blocks

    @property
    def environment_unavailable(self) -> bool:
        """Some block is there only because the temperature series could not be read."""
        return any(b.unknown for b in self.blocks)


def relevant_inputs(lot: Lot, upto: date):
    begin = lot.growing_started or (upto - timedelta(days=LOOKBACK_DAYS))
    return InputRecord.objects.filter(
        site_id=lot.origin_id,
        applied_on__gte=begin,
        applied_on__lte=upto,
        kind__in=[InputRecord.Kind.PESTICIDE, InputRecord.Kind.VET_DRUG],
    ).order_by("applied_on")


def check(lot: Lot, now: datetime | None = None, timeseries: Any = None) -> GateResult:
    """Every reason ``lot`` may not leave yet, judged at ``now``."""
    now = now or datetime.now(UTC)
    today = now.date()
    harvest = lot.harvest_date
    cut = harvest or today
    result = GateResult()
    for rec in relevant_inputs(lot, cut):
        if rec.kind == InputRecord.Kind.PESTICIDE and rec.phi_days is not None:
            safe_on = rec.applied_on + timedelta(days=rec.phi_days)
            result.blocks.extend(_interval_block(rec, "phi", safe_on, harvest, today))
        elif rec.kind == InputRecord.Kind.VET_DRUG:
            if rec.withdrawal_days is not None:
                safe_on = rec.applied_on + timedelta(days=rec.withdrawal_days)
                result.blocks.extend(_interval_block(rec, "withdrawal", safe_on, harvest, today))
            if rec.withdrawal_degree_days is not None:
                result.blocks.extend(_degree_day_block(lot, rec, harvest, now, timeseries))
    result.blocks.extend(_inspection_blocks(lot))
    result.blocks.extend(_source_blocks(lot, now, timeseries, seen={lot.pk}))
    return result


def _source_blocks(lot: Lot, now: datetime, timeseries: Any, seen: set[int]) -> list[Block]:
    """A processed lot inherits its sources' interval blocks and failed inspections.

    Otherwise processing would launder a lot harvested inside a withdrawal period.
    A source's missing inspection is not inherited: the processed lot's own
    inspection can cover it.
    """
    out = []
    for source in lot.parents.all():
        if source.pk in seen:
            continue
        seen.add(source.pk)
        inherited = check(source, now=now, timeseries=timeseries).blocks
        for b in inherited:
            if b.kind == "inspection" and b.record_id is None:
                continue
            out.append(
                Block(
                    b.kind,
                    f"source lot {source.lot_number}: {b.reason}",
                    b.record_id,
                    b.until,
                    b.accumulated_dd,
                    b.required_dd,
                    b.unknown,
                )
            )
    return out


def _interval_block(
    rec: InputRecord, kind: str, safe_on: date, harvest: date | None, today: date
) -> list[Block]:
    what = "pre-harvest interval" if kind == "phi" else "withdrawal period"
    if harvest is not None and harvest < safe_on:
        return [
            Block(
                kind,
                f"harvested {harvest} inside the {what} of {rec.product} "
                f"(applied {rec.applied_on}, ends {safe_on})",
                rec.pk,
                None,
            )
        ]
    if harvest is None and today < safe_on:
        return [Block(kind, f"{what} of {rec.product} runs until {safe_on}", rec.pk, safe_on)]
    return []


def _degree_day_block(
    lot: Lot, rec: InputRecord, harvest: date | None, now: datetime, timeseries: Any
) -> list[Block]:
    from sensors.timeseries import InfluxError, TimeSeries

    required = float(rec.withdrawal_degree_days)
    own = timeseries is None
    if own:
        timeseries = TimeSeries.from_config()
    until = datetime.combine(harvest, datetime.min.time(), tzinfo=UTC) if harvest else now
    try:
        dd = withdrawal.accumulate(timeseries, lot.origin, rec.applied_on, until)
    except InfluxError as exc:
        log.warning("degree-days of lot %s unavailable: %s", lot.pk, exc)
        reason = (
            f"withdrawal period of {rec.product}: {required:.0f} degree-days, "
            "temperature data unavailable"
        )
        return [Block("withdrawal", reason, rec.pk, None, None, required, unknown=True)]
    finally:
        if own:
            timeseries.close()
    if dd.accumulated >= required:
        return []
    if harvest is not None:
        reason = (
            f"harvested after {dd.accumulated:.0f} of {required:.0f} degree-days of the "
            f"withdrawal period of {rec.product}"
        )
        return [Block("withdrawal", reason, rec.pk, None, dd.accumulated, required)]
    until_day = dd.projected_release(required, now.date())
    reason = (
        f"withdrawal period of {rec.product}: {dd.accumulated:.0f} of {required:.0f} degree-days"
    )
    return [Block("withdrawal", reason, rec.pk, until_day, dd.accumulated, required)]


def _inspection_blocks(lot: Lot) -> list[Block]:
    latest = lot.inspections.order_by("-tested_on", "-created").first()
    if latest is not None and latest.result == Inspection.Result.FAIL:
        return [
            Block("inspection", f"latest inspection ({latest.tested_on}) failed", latest.pk, None)
        ]
    if lot.requires_inspection and latest is None:
        return [Block("inspection", "no inspection recorded", None, None)]
    return []
