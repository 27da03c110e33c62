"""After harvest: receiving, packing into cases, processing into a new lot, selling.

Every event these steps record must pass GS1's schema, and the lot's exported
document must validate as a whole once it holds every event type.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from traceability import documents, events, gate, lots, vocab
from traceability.epcis_hash import document_hash_ids
from traceability.models import Lot, TraceEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 25, 10, 0, tzinfo=UTC)


def _released(lot: Lot) -> Lot:
    lots.harvest(lot, date(2026, 6, 18))
    lots.inspect(lot, tested_on=date(2026, 6, 19), result="pass", items=["孔雀石绿"])
    lots.release(lot, now=NOW)
    lot.refresh_from_db()
    return lot


def _valid(validator, lot: Lot) -> list:
    return validator.problems(documents.epcis_document(lot))


def _fillets(pond, number: str = "CYP-1") -> lots.NewLot:
    return lots.NewLot(
        origin=pond,
        product_name="草鱼片",
        product_name_en="Grass carp fillet",
        lot_number=number,
        quantity=Decimal("90"),
    )


def test_receiving_puts_a_shipped_lot_back_in_stock(fish_lot, epcis_validator):
    lot = _released(fish_lot)
    lots.ship(lot, destination="武汉冷库", now=NOW)
    lots.receive(lot, "顺丰冷运")
    lot.refresh_from_db()
    assert lot.status == Lot.Status.RELEASED
    doc = lot.events.order_by("-seq").first().document
    assert (doc["type"], doc["bizStep"], doc["disposition"]) == (
        "ObjectEvent",
        "receiving",
        "in_progress",
    )
    assert doc["sourceList"] == [
        {"type": "owning_party", "source": "urn:agrimon:party:%E9%A1%BA%E4%B8%B0%E5%86%B7%E8%BF%90"}
    ]
    assert _valid(epcis_validator, lot) == []


def test_only_a_shipped_lot_can_be_received(fish_lot):
    with pytest.raises(ValueError, match="shipped"):
        lots.receive(_released(fish_lot), "顺丰冷运")


def test_packing_records_one_aggregation_per_case(fish_lot, epcis_validator):
    lot = _released(fish_lot)
    lots.pack(lot, 3, Decimal("20"))
    lots.pack(lot, 2, Decimal("10"))
    packs = list(lot.events.filter(event_type="AggregationEvent").order_by("seq"))
    parents = [e.document["parentID"] for e in packs]
    assert parents == [vocab.case_uri(lot.trace_code, n) for n in range(1, 6)]
    child = packs[0].document["childQuantityList"]
    assert child == [{"epcClass": events.lot_epc_class(lot), "quantity": 20.0, "uom": "KGM"}]
    assert packs[0].document["action"] == "ADD" and packs[0].biz_step == "packing"
    assert lots.remaining(lot) == Decimal("800") - 80
    assert events.verify(lot).ok and _valid(epcis_validator, lot) == []


def test_packing_more_than_is_left_is_refused(fish_lot):
    lot = _released(fish_lot)
    with pytest.raises(ValueError, match="left to pack"):
        lots.pack(lot, 41, Decimal("20"))
    assert not lot.events.filter(event_type="AggregationEvent").exists()


def test_processing_links_both_lots_in_both_chains(fish_lot, pond, epcis_validator):
    source = _released(fish_lot)
    fillets = lots.process(source, _fillets(pond), Decimal("200"))
    assert fillets.status == Lot.Status.HARVESTED
    assert list(fillets.parents.all()) == [source]
    in_source = source.events.get(event_type="TransformationEvent")
    in_new = fillets.events.get(event_type="TransformationEvent")
    assert in_source.event_hash == in_new.event_hash
    doc = in_new.document
    assert doc["inputQuantityList"] == [
        {"epcClass": events.lot_epc_class(source), "quantity": 200.0, "uom": "KGM"}
    ]
    assert doc["outputQuantityList"][0]["epcClass"] == events.lot_epc_class(fillets)
    assert lots.remaining(source) == Decimal("600")
    assert events.verify(source).ok and events.verify(fillets).ok
    assert _valid(epcis_validator, source) == [] and _valid(epcis_validator, fillets) == []


def test_processing_cannot_use_more_than_is_left(fish_lot, pond):
    source = _released(fish_lot)
    lots.process(source, _fillets(pond), Decimal("700"))
    with pytest.raises(ValueError, match="left to process"):
        lots.process(source, _fillets(pond, "CYP-2"), Decimal("200"))
    assert not Lot.objects.filter(lot_number="CYP-2").exists()


def test_a_processed_lot_inherits_its_sources_interval_blocks(plot):
    paddy = lots.create_lot(
        lots.NewLot(
            origin=plot,
            product_name="番茄",
            lot_number="FQ-9",
            quantity=Decimal("500"),
            growing_started=date(2026, 4, 1),
        )
    )
    lots.record_input(
        plot,
        kind="pesticide",
        product="吡虫啉可湿性粉剂",
        dose=Decimal("0.02"),
        applied_on=date(2026, 6, 10),
        phi_days=14,
    )
    lots.harvest(paddy, date(2026, 6, 18))  # inside the interval
    sauce = lots.process(
        paddy,
        lots.NewLot(origin=plot, product_name="番茄酱", lot_number="FQJ-1", quantity=Decimal("50")),
        Decimal("100"),
    )
    lots.inspect(sauce, tested_on=date(2026, 6, 20), result="pass", items=["吡虫啉"])
    blocks = gate.check(sauce, now=NOW).blocks
    assert [b.kind for b in blocks] == ["phi"] and "source lot FQ-9" in blocks[0].reason


def test_sale_is_a_transaction_event_with_an_invoice(fish_lot, epcis_validator):
    lot = _released(fish_lot)
    ev = lots.sell(lot, "武汉白沙洲农副产品大市场", "INV-2026/0042", quantity=Decimal("300"))
    doc = ev.document
    assert (doc["type"], doc["action"], doc["bizStep"]) == ("TransactionEvent", "ADD", vocab.SALE)
    assert doc["bizTransactionList"] == [
        {
            "type": "inv",
            "bizTransaction": f"urn:agrimon:invoice:{lot.organisation_id}:INV-2026%2F0042",
        }
    ]
    assert doc["quantityList"][0]["quantity"] == 300.0
    assert _valid(epcis_validator, lot) == []


def test_sale_is_gated_and_a_new_block_needs_a_managers_override(fish_lot, demo):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    lot = _released(fish_lot)
    lots.inspect(lot, tested_on=date(2026, 6, 24), result="fail", items=["孔雀石绿"])
    with pytest.raises(lots.GateBlocked, match="failed"):
        lots.sell(lot, "某超市", "INV-1", now=NOW)
    with pytest.raises(lots.NotAllowed):
        lots.sell(
            lot,
            "某超市",
            "INV-1",
            now=NOW,
            user=users.get(username="farmer_wang"),
            override_reason="复检合格，报告待录入",
        )
    assert not lot.events.filter(event_type="TransactionEvent").exists()
    lots.sell(
        lot,
        "某超市",
        "INV-1",
        now=NOW,
        user=users.get(username="manager_honghu"),
        override_reason="复检合格，报告待录入",
    )
    steps = list(lot.events.order_by("seq").values_list("biz_step", flat=True))
    assert steps[-2:] == [vocab.GATE_OVERRIDE, vocab.SALE]


def test_sale_needs_a_released_lot(fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    with pytest.raises(ValueError, match="released"):
        lots.sell(fish_lot, "某超市", "INV-1")


def test_export_with_every_event_type_validates(login, fish_lot, pond, demo, epcis_validator):
    """Input, harvest, override, release, inspection, packing, processing, shipping,
    receiving and sale, exported through the staff URL, pass GS1's schema with formats."""
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="manager_honghu")
    lots.record_input(
        pond,
        kind="feed",
        product="草鱼配合饲料",
        dose=Decimal("50"),
        applied_on=date(2026, 5, 1),
    )
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.release(fish_lot, manager, override_reason="检测报告已到，系统未录入", now=NOW)
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="pass", items=["孔雀石绿"])
    lots.pack(fish_lot, 2, Decimal("20"))
    fillets = lots.process(fish_lot, _fillets(pond), Decimal("100"))
    lots.ship(fish_lot, destination="武汉冷库", now=NOW)
    lots.receive(fish_lot, "顺丰冷运")
    lots.sell(fish_lot, "武汉白沙洲农副产品大市场", "INV-7", now=NOW)

    client = login("farmer_wang")
    doc = client.get(f"/trace/lots/{fish_lot.pk}/epcis.jsonld").json()
    kinds = {e["type"] for e in doc["epcisBody"]["eventList"]}
    assert kinds == {"ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent"}
    assert epcis_validator.problems(doc) == []
    child = client.get(f"/trace/lots/{fillets.pk}/epcis.jsonld").json()
    assert epcis_validator.problems(child) == []
    assert events.verify(fish_lot).ok
    # A partner recomputing each Event Hash ID from the export gets our eventIDs,
    # extension fields included (they are hashed under the document's @context).
    assert document_hash_ids(doc) == [e["eventID"] for e in doc["epcisBody"]["eventList"]]


def test_lot_page_actions_for_the_new_steps(login, fish_lot):
    lot = _released(fish_lot)
    client = login("farmer_wang")
    page = client.get(f"/trace/lots/{lot.pk}/").content.decode()
    assert f"/trace/lots/{lot.pk}/pack/" in page and f"/trace/lots/{lot.pk}/sell/" in page
    client.post(f"/trace/lots/{lot.pk}/pack/", {"case_count": "2", "per_case": "25"})
    assert lot.events.filter(event_type="AggregationEvent").count() == 2
    resp = client.post(
        f"/trace/lots/{lot.pk}/process/",
        {
            "product_name": "草鱼片",
            "lot_number": "CYP-9",
            "quantity": "40",
            "unit": "kg",
            "consumed_quantity": "100",
        },
    )
    fillets = Lot.objects.get(lot_number="CYP-9")
    assert resp.status_code == 302 and resp["Location"] == f"/trace/lots/{fillets.pk}/"
    assert "CY-2026-01" in client.get(resp["Location"]).content.decode()  # genealogy
    client.post(f"/trace/lots/{lot.pk}/ship/", {"destination": "武汉冷库"})
    client.post(f"/trace/lots/{lot.pk}/receive/", {"from_party": "顺丰冷运"})
    client.post(f"/trace/lots/{lot.pk}/sell/", {"buyer": "某超市", "invoice_ref": "INV-3"})
    steps = list(lot.events.order_by("seq").values_list("event_type", "biz_step"))
    assert steps[-3:] == [
        ("ObjectEvent", "shipping"),
        ("ObjectEvent", "receiving"),
        ("TransactionEvent", vocab.SALE),
    ]


def test_bad_process_form_input_is_a_message_not_an_error(login, fish_lot):
    lot = _released(fish_lot)
    client = login("farmer_wang")
    for number in ("CYP-1", "CYP-1"):  # the second one clashes with the first
        resp = client.post(
            f"/trace/lots/{lot.pk}/process/",
            {
                "product_name": "草鱼片",
                "lot_number": number,
                "quantity": "40",
                "unit": "kg",
                "consumed_quantity": "10",
            },
        )
    assert resp.status_code == 302 and resp["Location"] == f"/trace/lots/{lot.pk}/"
    assert Lot.objects.filter(lot_number="CYP-1").count() == 1


def test_bureau_cannot_pack(login, fish_lot):
    lot = _released(fish_lot)
    resp = login("bureau_honghu").post(
        f"/trace/lots/{lot.pk}/pack/", {"case_count": "1", "per_case": "1"}
    )
    assert resp.status_code == 403
    assert not TraceEvent.objects.filter(lot=lot, event_type="AggregationEvent").exists()


def test_an_override_at_release_does_not_cover_a_block_that_came_later(fish_lot, demo):
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="manager_honghu")
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.release(fish_lot, manager, override_reason="检测报告已到，系统未录入", now=NOW)
    lots.sell(fish_lot, "某超市", "INV-1", now=NOW)  # the overridden block alone: fine
    lots.inspect(fish_lot, tested_on=date(2026, 6, 24), result="fail", items=["孔雀石绿"])
    with pytest.raises(lots.GateBlocked, match="failed") as blocked:
        lots.ship(fish_lot, destination="武汉冷库", now=NOW)
    assert [b.kind for b in blocked.value.result.blocks] == ["inspection"]
    with pytest.raises(lots.GateBlocked):
        lots.sell(fish_lot, "某超市", "INV-2", now=NOW)
    lots.sell(fish_lot, "某超市", "INV-2", now=NOW, user=manager, override_reason="复检合格")
    override = fish_lot.events.filter(biz_step=vocab.GATE_OVERRIDE).order_by("-seq").first()
    assert override.document["agrimon:override"]["blocks"] == [
        "latest inspection (2026-06-24) failed"
    ]
