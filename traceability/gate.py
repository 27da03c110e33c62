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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from traceability import withdrawal
from traceability.models import InputRecord, Inspection, Lot

log = logging.getLogger(__name__)

# Inputs older than this before the growing period began cannot affect the lot.
LOOKBACK_DAYS = 365


@dataclass(frozen=True)
class Block:
    """One reason the lot may not leave.

    ``message`` is an English template with ``%(name)s`` parameters: ``reason`` fills it in
    English, as the record chain keeps it (override events list the reasons they
    overrode); ``text`` fills its translation, for people.
    """

    kind: str  # "phi" | "withdrawal" | "inspection"
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    record_id: int | None = None
    until: date | None = None  # None: waiting does not cure it
    accumulated_dd: float | None = None
    required_dd: float | None = None
    unknown: bool = False  # could not be judged (time series unavailable), blocks anyway
    via: tuple[str, ...] = ()  # source lots it was inherited through, nearest first
    # What a consumer is told (``traceability.public``): "running" (an interval has not
    # ended), "harvested_inside", "unknown", "failed" or "missing" (inspection).
    cause: str = ""

    @property
    def key(self) -> str:
        """Which record blocks, stable while the reason's figures change (degree-days)."""
        return f"{self.kind}:{self.record_id}"

    @property
    def reason(self) -> str:
        text = self.message % self.params
        for lot_number in self.via:
            text = SOURCE_LOT % {"lot": lot_number, "reason": text}
        return text

    @property
    def text(self) -> str:
        text = gettext(self.message) % self.params
        for lot_number in self.via:
            text = gettext(SOURCE_LOT) % {"lot": lot_number, "reason": text}
        return text


SOURCE_LOT = gettext_noop("source lot %(lot)s: %(reason)s")


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
    today = timezone.localdate(now)  # the site's date: a UTC date is yesterday before 08:00
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
            out.append(replace(b, via=(*b.via, source.lot_number)))
    return out


def _interval_block(
    rec: InputRecord, kind: str, safe_on: date, harvest: date | None, today: date
) -> list[Block]:
    params = {
        "product": rec.product,
        "applied": rec.applied_on.isoformat(),
        "ends": safe_on.isoformat(),
    }
    if harvest is not None and harvest < safe_on:
        message = (
            gettext_noop(
                "harvested %(harvest)s inside the pre-harvest interval of %(product)s "
                "(applied %(applied)s, ends %(ends)s)"
            )
            if kind == "phi"
            else gettext_noop(
                "harvested %(harvest)s inside the withdrawal period of %(product)s "
                "(applied %(applied)s, ends %(ends)s)"
            )
        )
        params = {**params, "harvest": harvest.isoformat()}
        return [Block(kind, message, params, rec.pk, None, cause="harvested_inside")]
    if harvest is None and today < safe_on:
        message = (
            gettext_noop("pre-harvest interval of %(product)s runs until %(ends)s")
            if kind == "phi"
            else gettext_noop("withdrawal period of %(product)s runs until %(ends)s")
        )
        return [Block(kind, message, params, rec.pk, safe_on, cause="running")]
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
        message = gettext_noop(
            "withdrawal period of %(product)s: %(required)s degree-days, "
            "temperature data unavailable"
        )
        params = {"product": rec.product, "required": f"{required:.0f}"}
        return [
            Block(
                "withdrawal", message, params, rec.pk, None, None, required, unknown=True,
                cause="unknown",
            )
        ]  # fmt: skip
    finally:
        if own:
            timeseries.close()
    if dd.accumulated >= required:
        return []
    params = {
        "product": rec.product,
        "accumulated": f"{dd.accumulated:.0f}",
        "required": f"{required:.0f}",
    }
    if harvest is not None:
        message = gettext_noop(
            "harvested after %(accumulated)s of %(required)s degree-days of the "
            "withdrawal period of %(product)s"
        )
        return [
            Block(
                "withdrawal", message, params, rec.pk, None, dd.accumulated, required,
                cause="harvested_inside",
            )
        ]  # fmt: skip
    until_day = dd.projected_release(required, timezone.localdate(now))
    message = gettext_noop(
        "withdrawal period of %(product)s: %(accumulated)s of %(required)s degree-days"
    )
    return [
        Block(
            "withdrawal", message, params, rec.pk, until_day, dd.accumulated, required,
            cause="running",
        )
    ]  # fmt: skip


def _inspection_blocks(lot: Lot) -> list[Block]:
    latest = lot.inspections.order_by("-tested_on", "-created").first()
    if latest is not None and latest.result == Inspection.Result.FAIL:
        message = gettext_noop("latest inspection (%(tested_on)s) failed")
        params = {"tested_on": latest.tested_on.isoformat()}
        return [Block("inspection", message, params, latest.pk, None, cause="failed")]
    if lot.requires_inspection and latest is None:
        message = gettext_noop("no inspection recorded")
        return [Block("inspection", message, {}, None, None, cause="missing")]
    return []
