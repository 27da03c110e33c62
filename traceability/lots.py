"""Lot life-cycle services: create, harvest, inspect, release (through the gate), ship,
receive, pack into cases, process into a new lot, and sell.

Views call these; each state change is recorded as an EPCIS event in the
lot's chain by ``traceability.events``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from farm.models import Role, Site
from traceability import environment, events, gate, vocab
from traceability.models import InputRecord, Inspection, Lot, TraceEvent

MAX_CASES = 500  # per packing run: one AggregationEvent per case goes into the chain


class GateBlocked(Exception):
    """The lot may not leave yet; ``result.blocks`` says which records block it."""

    def __init__(self, result: gate.GateResult):
        self.result = result
        super().__init__("; ".join(b.reason for b in result.blocks))

    @property
    def text(self) -> str:
        """The blocks in the reader's language."""
        return "; ".join(b.text for b in self.result.blocks)


class LotError(ValueError):
    """An action the lot's state or the input does not allow.

    ``str()`` is the English message (logs, tests); ``text`` is it in the reader's language,
    with the lot's status named as people say it.
    """

    def __init__(self, message: str, **params: Any):
        self.message, self.params = message, params
        super().__init__(message % params if params else message)

    @property
    def text(self) -> str:
        params = dict(self.params)
        if "status" in params:
            params["status"] = Lot.Status(params["status"]).label
        return gettext(self.message) % params if params else gettext(self.message)


class NotAllowed(Exception):
    """The action needs a role the user does not have (e.g. a gate override)."""

    @property
    def text(self) -> str:
        return gettext(str(self))


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


def harvest(
    lot: Lot, on: date, quantity: Decimal | None = None, user=None, *, timeseries: Any = None
) -> Lot:
    """Mark the lot harvested; the caller's instance is updated too, so it is never stale.

    The growing period's sensor summary is read before the row is locked (InfluxDB may
    be slow or down; then the event simply carries no sensor data).
    """
    sensors = environment.sensor_element_list(lot, timeseries, harvest_date=on)
    return _harvest(lot, on, quantity, user, sensors)


@transaction.atomic
def _harvest(lot: Lot, on: date, quantity: Decimal | None, user, sensors: list[dict]) -> Lot:
    locked = Lot.objects.select_for_update().get(pk=lot.pk)
    if locked.status != Lot.Status.GROWING:
        raise LotError(gettext_noop("the lot is %(status)s, not growing"), status=locked.status)
    locked.harvest_date = on
    if quantity is not None:
        locked.quantity = quantity
    locked.status = Lot.Status.HARVESTED
    locked.save(update_fields=["harvest_date", "quantity", "status"])
    events.record(locked, events.harvest_event(locked, sensors), user=user)
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


def _overridden(lot: Lot) -> set[str]:
    """Blocks a manager already overrode on this lot: their keys (reasons, for old events)."""
    covered: set[str] = set()
    for doc in lot.events.filter(biz_step=vocab.GATE_OVERRIDE).values_list("document", flat=True):
        override = doc.get("agrimon:override") or {}
        covered.update(override.get("blockIds") or [])
        covered.update(override.get("blocks") or [])
    return covered


def _pass_gate(
    lot: Lot,
    user,
    override_reason: str,
    *,
    now: datetime | None,
    timeseries: Any,
    earlier_override_counts: bool,
) -> gate.GateResult:
    """Check the gate; a block needs a manager's override with a reason, recorded as an event.

    ``earlier_override_counts``: blocks a manager already overrode (at release) do not
    stop the lot again; a block that appeared since (a failed test, a late drug record)
    does.
    """
    result = gate.check(lot, now=now, timeseries=timeseries)
    if result.ok:
        return result
    pending = result
    if earlier_override_counts:
        covered = _overridden(lot)
        pending = gate.GateResult(
            [b for b in result.blocks if b.key not in covered and b.reason not in covered]
        )
        if pending.ok:
            return result
    if not override_reason.strip():
        raise GateBlocked(pending)
    if user is None or not _is_manager(user, lot):
        raise NotAllowed(gettext_noop("only a manager may override the compliance gate"))
    events.record(
        lot,
        events.override_event(lot, pending, override_reason),
        user=user,
        reason=override_reason.strip(),
    )
    return result


def outstanding(
    lot: Lot,
    *,
    now: datetime | None = None,
    timeseries: Any = None,
    result: gate.GateResult | None = None,
) -> gate.GateResult:
    """The gate's blocks that still hold the lot: those no manager overrode at release.

    Labels and the certificate are printed only when this is empty; the public page
    states a hold from it. ``result``: a gate check already made for the lot.
    """
    if result is None:
        result = gate.check(lot, now=now, timeseries=timeseries)
    if result.ok:
        return result
    covered = _overridden(lot)
    return gate.GateResult(
        [b for b in result.blocks if b.key not in covered and b.reason not in covered]
    )


@transaction.atomic
def recall(lot: Lot, reason: str, *, user=None) -> Lot:
    """A manager takes the lot back from the market; the reason is shown to consumers."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status == Lot.Status.RECALLED:
        raise LotError(gettext_noop("the lot is already recalled"))
    if lot.status == Lot.Status.GROWING:
        raise LotError(gettext_noop("a growing lot has not left the farm; nothing to recall"))
    if not reason.strip():
        raise LotError(gettext_noop("say why the lot is recalled"))
    if user is None or not _is_manager(user, lot):
        raise NotAllowed(gettext_noop("only a manager may recall a lot"))
    lot.status = Lot.Status.RECALLED
    lot.save(update_fields=["status"])
    events.record(lot, events.recall_event(lot, reason.strip()), user=user, reason=reason.strip())
    return lot


def recall_reason(lot: Lot) -> str:
    """The reason given when the lot was recalled ("" if it never was)."""
    event = lot.events.filter(biz_step=vocab.RECALL).order_by("-seq").first()
    return event.reason if event else ""


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
        raise LotError(
            gettext_noop("only a harvested lot can be released (this one is %(status)s)"),
            status=lot.status,
        )
    result = _pass_gate(
        lot,
        user,
        override_reason,
        now=now,
        timeseries=timeseries,
        earlier_override_counts=False,
    )
    lot.status = Lot.Status.RELEASED
    lot.save(update_fields=["status"])
    events.record(lot, events.release_event(lot), user=user)
    return result


@transaction.atomic
def ship(
    lot: Lot, *, destination: str, user=None, now: datetime | None = None, timeseries: Any = None
) -> Lot:
    """Ship a released lot; the gate is checked again in case a record arrived since.

    Blocks overridden at release stay overridden; a new one stops the shipment.
    """
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != Lot.Status.RELEASED:
        raise LotError(gettext_noop("only a released lot can be shipped"))
    _pass_gate(
        lot,
        user,
        "",
        now=now or datetime.now(UTC),
        timeseries=timeseries,
        earlier_override_counts=True,
    )
    lot.status = Lot.Status.SHIPPED
    lot.save(update_fields=["status"])
    events.record(lot, events.shipping_event(lot, destination), user=user)
    return lot


@transaction.atomic
def receive(lot: Lot, from_party: str, *, user=None, when: datetime | None = None) -> Lot:
    """A shipped lot arrives at a place we run (cold store, packhouse): back in stock."""
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != Lot.Status.SHIPPED:
        raise LotError(
            gettext_noop("only a shipped lot can be received (this one is %(status)s)"),
            status=lot.status,
        )
    if not from_party.strip():
        raise LotError(gettext_noop("say whom the lot was received from"))
    lot.status = Lot.Status.RELEASED
    lot.save(update_fields=["status"])
    events.record(lot, events.receiving_event(lot, from_party, when), user=user)
    return lot


def _event_amounts(lot: Lot, event_type: str, key: str) -> Decimal:
    """Sum of the lot's own quantities in ``key`` of its ``event_type`` events."""
    mine = events.lot_epc_class(lot)
    total = Decimal(0)
    for doc in lot.events.filter(event_type=event_type).values_list("document", flat=True):
        for q in doc.get(key) or []:
            if q.get("epcClass") == mine:
                total += Decimal(str(q.get("quantity", 0)))
    return total


def remaining(lot: Lot) -> Decimal:
    """What is left of the lot to pack or process: its quantity less cases and inputs."""
    packed = _event_amounts(lot, "AggregationEvent", "childQuantityList")
    consumed = _event_amounts(lot, "TransformationEvent", "inputQuantityList")
    return lot.quantity - packed - consumed


@transaction.atomic
def pack(lot: Lot, case_count: int, per_case: Decimal, *, user=None) -> list[TraceEvent]:
    """Pack ``case_count`` cases of ``per_case`` each: one AggregationEvent per case.

    EPCIS gives an AggregationEvent a single parent, so each case is its own event;
    cases are numbered on from the lot's earlier packing runs.
    """
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status not in (Lot.Status.HARVESTED, Lot.Status.RELEASED):
        raise LotError(
            gettext_noop("only a harvested or released lot can be packed (this one is %(status)s)"),
            status=lot.status,
        )
    if not 1 <= case_count <= MAX_CASES:
        raise LotError(gettext_noop("between 1 and %(max)s cases per packing run"), max=MAX_CASES)
    if per_case <= 0:
        raise LotError(gettext_noop("each case must hold something"))
    left = remaining(lot)
    if case_count * per_case > left:
        raise LotError(
            gettext_noop("only %(left)s %(unit)s of the lot are left to pack"),
            left=left,
            unit=lot.unit,
        )
    first = lot.events.filter(event_type="AggregationEvent").count() + 1
    now = datetime.now(UTC)
    return [
        events.record(
            lot,
            events.packing_event(lot, vocab.case_uri(lot.trace_code, n), per_case, now),
            user=user,
        )
        for n in range(first, first + case_count)
    ]


@transaction.atomic
def process(
    source_lot: Lot,
    new_lot_spec: NewLot,
    consumed_quantity: Decimal,
    *,
    user=None,
    when: datetime | None = None,
) -> Lot:
    """Process part of a lot into a new lot (fillets from fish, milled rice from paddy).

    The TransformationEvent goes into both chains, so either lot's history shows the
    link; the new lot remembers its source in ``parents`` and is itself harvested
    (it exists) but must pass the gate, which also looks at its sources.
    """
    source = Lot.objects.select_for_update().get(pk=source_lot.pk)
    if source.status not in (Lot.Status.HARVESTED, Lot.Status.RELEASED):
        raise LotError(
            gettext_noop(
                "only a harvested or released lot can be processed (this one is %(status)s)"
            ),
            status=source.status,
        )
    if new_lot_spec.origin.farm.organisation_id != source.organisation_id:
        raise LotError(gettext_noop("the new lot must belong to the same organisation"))
    if consumed_quantity <= 0:
        raise LotError(gettext_noop("processing must consume some of the lot"))
    left = remaining(source)
    if consumed_quantity > left:
        raise LotError(
            gettext_noop("only %(left)s %(unit)s of the lot are left to process"),
            left=left,
            unit=source.unit,
        )
    when = when or datetime.now(UTC)
    spec = new_lot_spec
    if spec.growing_started is None:
        spec = replace(spec, growing_started=source.growing_started)
    new = create_lot(spec, user)
    new.parents.add(source)
    new.harvest_date = timezone.localdate(when)  # the site's date, not UTC's
    new.status = Lot.Status.HARVESTED
    new.save(update_fields=["harvest_date", "status"])
    doc = events.transformation_event(source, consumed_quantity, new, when)
    events.record(source, doc, user=user)
    events.record(new, doc, user=user)
    return new


@transaction.atomic
def sell(
    lot: Lot,
    buyer: str,
    invoice_ref: str,
    *,
    quantity: Decimal | None = None,
    user=None,
    override_reason: str = "",
    now: datetime | None = None,
    timeseries: Any = None,
) -> TraceEvent:
    """Sell a released (or shipped) lot against an invoice, through the gate like shipping.

    Blocks a manager already overrode do not stop the sale; a new block does, unless
    a manager overrides it here with a reason (recorded as its own event).
    """
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status not in (Lot.Status.RELEASED, Lot.Status.SHIPPED):
        raise LotError(
            gettext_noop("only a released or shipped lot can be sold (this one is %(status)s)"),
            status=lot.status,
        )
    if not buyer.strip() or not invoice_ref.strip():
        raise LotError(gettext_noop("a sale needs the buyer and the invoice number"))
    if quantity is not None and not 0 < quantity <= lot.quantity:
        raise LotError(
            gettext_noop("sell between 0 and %(quantity)s %(unit)s"),
            quantity=lot.quantity,
            unit=lot.unit,
        )
    _pass_gate(
        lot,
        user,
        override_reason,
        now=now or datetime.now(UTC),
        timeseries=timeseries,
        earlier_override_counts=True,
    )
    return events.record(
        lot, events.transaction_event(lot, buyer, invoice_ref, quantity), user=user
    )
