"""Lot life-cycle services: create, harvest, inspect, release (through the gate), ship.

Views call these; each state change is recorded as an EPCIS event in the
lot's chain by ``traceability.events``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from farm.models import Role, Site
from traceability import events, gate, vocab
from traceability.models import InputRecord, Inspection, Lot


class GateBlocked(Exception):
    """The lot may not leave yet; ``result.blocks`` says which records block it."""

    def __init__(self, result: gate.GateResult):
        self.result = result
        super().__init__("; ".join(b.reason for b in result.blocks))


class NotAllowed(Exception):
    """The action needs a role the user does not have (e.g. a gate override)."""


@dataclass(frozen=True)
class NewLot:
    origin: Site
    product_name: str
    lot_number: str
    quantity: Decimal
    unit: str = "kg"
    gtin: str = ""
    product_name_en: str = ""
    growing_started: date | None = None
    public_fields: tuple[str, ...] = (
        "product",
        "origin",
        "period",
        "environment",
        "inputs",
        "inspections",
        "custody",
    )


@transaction.atomic
def create_lot(spec: NewLot, user=None) -> Lot:
    from traceability.trace_code import new_trace_code

    lot = Lot(
        organisation_id=spec.origin.farm.organisation_id,
        origin=spec.origin,
        product_name=spec.product_name,
        product_name_en=spec.product_name_en,
        gtin=spec.gtin,
        lot_number=spec.lot_number,
        quantity=spec.quantity,
        unit=spec.unit,
        growing_started=spec.growing_started,
        public_fields=list(spec.public_fields),
        trace_code=new_trace_code(),
    )
    lot.full_clean()
    lot.save()
    return lot


@transaction.atomic
def record_input(site: Site, user=None, **fields: Any) -> InputRecord:
    """Store an input application and add it to the chain of every open lot on the site."""
    rec = InputRecord(site=site, recorded_by=user, **fields)
    rec.full_clean()
    rec.save()
    for lot in Lot.objects.filter(origin=site, status=Lot.Status.GROWING):
        events.record(lot, events.input_event(lot, rec), user=user, input_record=rec)
    return rec


@transaction.atomic
def harvest(lot: Lot, on: date, quantity: Decimal | None = None, user=None) -> Lot:
    """Mark the lot harvested; the caller's instance is updated too, so it is never stale."""
    locked = Lot.objects.select_for_update().get(pk=lot.pk)
    if locked.status != Lot.Status.GROWING:
        raise ValueError(f"lot is {locked.status}, not growing")
    locked.harvest_date = on
    if quantity is not None:
        locked.quantity = quantity
    locked.status = Lot.Status.HARVESTED
    locked.save(update_fields=["harvest_date", "quantity", "status"])
    events.record(locked, events.harvest_event(locked), user=user)
    lot.harvest_date, lot.quantity, lot.status = on, locked.quantity, locked.status
    return locked


@transaction.atomic
def inspect(
    lot: Lot,
    *,
    tested_on: date,
    result: str,
    items: list[str],
    lab: str = "",
    report_ref: str = "",
    user=None,
) -> Inspection:
    insp = Inspection.objects.create(
        lot=lot, tested_on=tested_on, result=result, items=items, lab=lab, report_ref=report_ref
    )
    events.record(lot, events.inspection_event(lot, insp), user=user)
    return insp


def _is_manager(user, lot: Lot) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return (
        user.memberships.filter(
            role__in=[Role.MANAGER, Role.ADMIN], organisation_id=lot.organisation_id
        ).exists()
        or user.memberships.filter(role=Role.ADMIN).exists()
    )


@transaction.atomic
def release(
    lot: Lot,
    user=None,
    *,
    override_reason: str = "",
    now: datetime | None = None,
    timeseries: Any = None,
) -> gate.GateResult:
    """Release a harvested lot; a blocked gate needs a manager's override with a reason."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != Lot.Status.HARVESTED:
        raise ValueError(f"only a harvested lot can be released (this one is {lot.status})")
    result = gate.check(lot, now=now, timeseries=timeseries)
    if not result.ok:
        if not override_reason.strip():
            raise GateBlocked(result)
        if user is None or not _is_manager(user, lot):
            raise NotAllowed("only a manager may override the compliance gate")
        events.record(
            lot,
            events.override_event(lot, result, override_reason),
            user=user,
            reason=override_reason.strip(),
        )
    lot.status = Lot.Status.RELEASED
    lot.save(update_fields=["status"])
    events.record(lot, events.release_event(lot), user=user)
    return result


@transaction.atomic
def ship(
    lot: Lot, *, destination: str, user=None, now: datetime | None = None, timeseries: Any = None
) -> Lot:
    """Ship a released lot; the gate is checked again in case a record arrived since."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != Lot.Status.RELEASED:
        raise ValueError("only a released lot can be shipped")
    overridden = lot.events.filter(biz_step=vocab.GATE_OVERRIDE).exists()
    result = gate.check(lot, now=now or datetime.now(UTC), timeseries=timeseries)
    if not result.ok and not overridden:
        raise GateBlocked(result)
    lot.status = Lot.Status.SHIPPED
    lot.save(update_fields=["status"])
    events.record(lot, events.shipping_event(lot, destination), user=user)
    return lot
