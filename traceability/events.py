"""EPCIS 2.0 events of a lot, appended to its signed hash chain.

Each stored event carries its CBV 2.0 Event Hash ID (``eventID``), the link
``SHA-256(prev_link || event_hash || seq)`` and the organisation's Ed25519
signature of that link. ``verify`` recomputes all of it from the stored JSON
and reports the first event that does not match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from traceability import chain, keys, vocab
from traceability.epcis_hash import event_hash_id
from traceability.models import InputRecord, Inspection, Lot, TraceEvent

TZ_OFFSET = "+08:00"  # China Standard Time; EPCIS wants the offset of the event's place


def lot_epc_class(lot: Lot) -> str:
    """The lot as an EPC class: GS1 Digital Link for GTIN lots, a URN for trace codes."""
    if lot.gtin:
        from traceability.digital_link import build

        return build({"01": lot.gtin, "10": lot.lot_number}, "id.gs1.org")
    return f"urn:agrimon:lot:{lot.trace_code}"


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _base(lot: Lot, event_type: str, biz_step: str, when: datetime, **extra: Any) -> dict:
    doc: dict[str, Any] = {
        "type": event_type,
        "eventTime": _iso(when),
        "eventTimeZoneOffset": TZ_OFFSET,
        "bizStep": biz_step,
        "readPoint": {"id": vocab.site_uri(lot.origin_id)},
    }
    doc.update(extra)
    return doc


def _quantity(lot: Lot, amount: Decimal | None = None) -> list[dict]:
    """The lot as a quantityList entry: all of it, or ``amount`` in the lot's unit."""
    uom = {"kg": "KGM", "t": "TNE", "g": "GRM"}.get(lot.unit)
    amount = lot.quantity if amount is None else amount
    q: dict[str, Any] = {"epcClass": lot_epc_class(lot), "quantity": float(amount)}
    if uom:
        q["uom"] = uom
    return [q]


def _at(day) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


def input_event(lot: Lot, rec: InputRecord) -> dict:
    ilmd = {
        "agrimon:inputKind": rec.kind,
        "agrimon:product": rec.product,
        "agrimon:dose": f"{rec.dose} {rec.dose_unit}",
    }
    for name, value in (
        ("activeIngredient", rec.active_ingredient),
        ("registrationNo", rec.registration_no),
        ("phiDays", rec.phi_days),
        ("withdrawalDays", rec.withdrawal_days),
        ("withdrawalDegreeDays", rec.withdrawal_degree_days),
    ):
        if value not in (None, ""):
            ilmd[f"agrimon:{name}"] = value
    return _base(
        lot,
        "ObjectEvent",
        vocab.INPUT_STEPS[rec.kind],
        _at(rec.applied_on),
        action="OBSERVE",
        quantityList=_quantity(lot),
        disposition=vocab.IN_PROGRESS,
        **{"agrimon:input": ilmd},
    )


def harvest_event(lot: Lot, sensor_elements: list[dict] | None = None) -> dict:
    """Harvest or catch; ``sensor_elements`` is the growing period's environment summary."""
    extra: dict[str, Any] = {"sensorElementList": sensor_elements} if sensor_elements else {}
    return _base(
        lot,
        "ObjectEvent",
        vocab.COMMISSIONING,
        _at(lot.harvest_date),
        action="ADD",
        quantityList=_quantity(lot),
        disposition=vocab.ACTIVE,
        bizLocation={"id": vocab.site_uri(lot.origin_id)},
        **extra,
    )


def inspection_event(lot: Lot, insp: Inspection) -> dict:
    disp = vocab.CONFORMANT if insp.result == Inspection.Result.PASS else vocab.NON_CONFORMANT
    return _base(
        lot,
        "ObjectEvent",
        vocab.INSPECTING,
        _at(insp.tested_on),
        action="OBSERVE",
        quantityList=_quantity(lot),
        disposition=disp,
        **{
            "agrimon:inspection": {
                "items": list(insp.items),
                "lab": insp.lab,
                "report": insp.report_ref,
                "result": insp.result,
            }
        },
    )


def override_event(lot: Lot, result, reason: str) -> dict:
    """A manager let the lot through despite ``result``'s blocks; ``blockIds`` says which."""
    blocks = [b.reason for b in result.blocks]
    ids = [b.key for b in result.blocks]
    return _base(
        lot,
        "ObjectEvent",
        vocab.GATE_OVERRIDE,
        datetime.now(UTC),
        action="OBSERVE",
        quantityList=_quantity(lot),
        **{"agrimon:override": {"reason": reason, "blocks": blocks, "blockIds": ids}},
    )


def release_event(lot: Lot) -> dict:
    return _base(
        lot,
        "ObjectEvent",
        vocab.RELEASE,
        datetime.now(UTC),
        action="OBSERVE",
        quantityList=_quantity(lot),
        disposition=vocab.SELLABLE_ACCESSIBLE,
    )


def recall_event(lot: Lot, reason: str) -> dict:
    """The producer recalled the lot; its reason is kept in the event and shown to consumers."""
    return _base(
        lot,
        "ObjectEvent",
        vocab.RECALL,
        datetime.now(UTC),
        action="OBSERVE",
        quantityList=_quantity(lot),
        disposition=vocab.RECALLED,
        **{"agrimon:recall": {"reason": reason}},
    )


def shipping_event(lot: Lot, destination: str) -> dict:
    return _base(
        lot,
        "ObjectEvent",
        vocab.SHIPPING,
        datetime.now(UTC),
        action="OBSERVE",
        quantityList=_quantity(lot),
        disposition=vocab.IN_TRANSIT,
        **{"agrimon:destination": destination},
    )


def _unplaced(doc: dict) -> dict:
    """Without ``readPoint``: the lot is no longer at its origin, and we record no other place."""
    doc.pop("readPoint", None)
    return doc


def receiving_event(lot: Lot, from_party: str, when: datetime | None = None) -> dict:
    """Goods arriving back in our hands from a carrier or another party."""
    doc = _base(
        lot,
        "ObjectEvent",
        vocab.RECEIVING,
        when or datetime.now(UTC),
        action="OBSERVE",
        quantityList=_quantity(lot),
        disposition=vocab.IN_PROGRESS,
        sourceList=[{"type": vocab.OWNING_PARTY, "source": vocab.party_uri(from_party)}],
        destinationList=[
            {"type": vocab.OWNING_PARTY, "destination": vocab.org_uri(lot.organisation_id)}
        ],
        **{"agrimon:fromParty": from_party.strip()},
    )
    return _unplaced(doc)


def packing_event(lot: Lot, case: str, per_case: Decimal, when: datetime | None = None) -> dict:
    """One case filled from the lot: AggregationEvent ADD, the case as parent."""
    return _base(
        lot,
        "AggregationEvent",
        vocab.PACKING,
        when or datetime.now(UTC),
        action="ADD",
        parentID=case,
        childQuantityList=_quantity(lot, per_case),
        disposition=vocab.IN_PROGRESS,
    )


def transformation_event(
    source: Lot, consumed: Decimal, output: Lot, when: datetime | None = None
) -> dict:
    """Processing part of ``source`` into the new lot ``output``.

    ``commissioning`` because the output comes into existence, as in GS1's own
    TransformationEvent example (CBV deprecated ``transforming``).
    """
    return _base(
        source,
        "TransformationEvent",
        vocab.COMMISSIONING,
        when or datetime.now(UTC),
        inputQuantityList=_quantity(source, consumed),
        outputQuantityList=_quantity(output),
        disposition=vocab.ACTIVE,
        bizLocation={"id": vocab.site_uri(output.origin_id)},
    )


def transaction_event(
    lot: Lot,
    buyer: str,
    invoice_ref: str,
    quantity: Decimal | None = None,
    when: datetime | None = None,
) -> dict:
    """A sale: TransactionEvent ADD tying the goods to our invoice (CBV type ``inv``)."""
    doc = _base(
        lot,
        "TransactionEvent",
        vocab.SALE,
        when or datetime.now(UTC),
        action="ADD",
        quantityList=_quantity(lot, quantity),
        bizTransactionList=[
            {
                "type": vocab.INVOICE,
                "bizTransaction": vocab.invoice_uri(lot.organisation_id, invoice_ref),
            }
        ],
        sourceList=[{"type": vocab.OWNING_PARTY, "source": vocab.org_uri(lot.organisation_id)}],
        destinationList=[{"type": vocab.OWNING_PARTY, "destination": vocab.party_uri(buyer)}],
        **{"agrimon:buyer": buyer.strip()},
    )
    return _unplaced(doc)


@transaction.atomic
def record(
    lot: Lot,
    doc: dict,
    *,
    user=None,
    input_record: InputRecord | None = None,
    corrects: TraceEvent | None = None,
    reason: str = "",
) -> TraceEvent:
    """Append ``doc`` to the lot's chain: hash it, link it, sign it, store it."""
    Lot.objects.select_for_update().filter(pk=lot.pk).first()
    last = lot.events.order_by("-seq").first()
    seq = (last.seq + 1) if last else 1
    prev = last.link if last else chain.genesis(lot.pk)
    if corrects is not None:
        doc = {**doc, "agrimon:corrects": corrects.event_hash}
    event_hash = event_hash_id(doc, vocab.DOCUMENT_CONTEXT)
    doc = {**doc, "eventID": event_hash}
    link = chain.next_link(prev, event_hash, seq)
    key = keys.for_organisation(lot.organisation_id)
    return TraceEvent.objects.create(
        lot=lot,
        seq=seq,
        event_type=doc["type"],
        biz_step=doc["bizStep"],
        event_time=datetime.fromisoformat(doc["eventTime"].replace("Z", "+00:00")),
        document=doc,
        event_hash=event_hash,
        prev_link=prev,
        link=link,
        signature=keys.sign(key, link),
        key_id=key.key_id,
        corrects=corrects,
        input_record=input_record,
        reason=reason,
        recorded_by=user,
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    first_broken_seq: int | None = None
    problem: str = ""


def verify(lot: Lot) -> Verification:
    """Recompute every hash, link and signature of the lot's chain from stored rows."""
    prev = chain.genesis(lot.pk)
    expected_seq = 1
    rows = list(lot.events.order_by("seq"))
    for ev in rows:
        if ev.seq != expected_seq:
            return Verification(False, len(rows), expected_seq, f"event {expected_seq} missing")
        doc = {k: v for k, v in ev.document.items() if k != "eventID"}
        recomputed = event_hash_id(doc, vocab.DOCUMENT_CONTEXT)
        if recomputed != ev.event_hash or ev.document.get("eventID") != ev.event_hash:
            return Verification(False, len(rows), ev.seq, "event content changed")
        if ev.prev_link != prev or chain.next_link(prev, ev.event_hash, ev.seq) != ev.link:
            return Verification(False, len(rows), ev.seq, "chain link broken")
        if not keys.verify(ev.key_id, ev.link, ev.signature):
            return Verification(False, len(rows), ev.seq, "signature invalid")
        prev = ev.link
        expected_seq += 1
    return Verification(True, len(rows))
