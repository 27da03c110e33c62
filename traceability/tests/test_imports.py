"""Importing partners' EPCIS documents: all or nothing, per-event reasons, idempotent."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from traceability import events, imports, lots
from traceability.epcis_document import Quantity, build_event, epcis_document
from traceability.models import EPCISImport, PartnerEvent

pytestmark = pytest.mark.django_db

CST = timezone(timedelta(hours=8))
GTIN = "06901234567892"
MARKET = "urn:epc:id:sgln:6901234.00001.0"


@pytest.fixture
def gtin_lot(pond):
    return lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="草鱼",
            lot_number="CY-7",
            quantity=Decimal("300"),
            gtin=GTIN,
            growing_started=date(2026, 3, 1),
        )
    )


def partner_document(fish_lot, gtin_lot) -> dict:
    """A wholesaler's account: it received both our lots, repacked one, sold some."""
    when = datetime(2026, 6, 21, 9, 0, tzinfo=CST)
    received = build_event(
        "ObjectEvent",
        event_time=when,
        event_id="urn:uuid:5a1b0c52-8f0e-4c47-9d1c-1f3e2b7d9a01",
        action="OBSERVE",
        quantities=[
            Quantity(f"https://wholesale.example.cn/01/{GTIN}/10/CY-7", 300, "KGM"),
            Quantity(events.lot_epc_class(fish_lot), 800, "KGM"),
        ],
        biz_step="receiving",
        disposition="in_progress",
        read_point=MARKET,
    )
    repacked = build_event(
        "AggregationEvent",
        event_time=when + timedelta(hours=3),
        event_id="urn:uuid:5a1b0c52-8f0e-4c47-9d1c-1f3e2b7d9a02",
        action="ADD",
        parent_id="urn:epc:id:sscc:6901234.0000000017",
        child_quantities=[Quantity("urn:epc:class:lgtin:6901234.056789.CY-7", 20, "KGM")],
        biz_step="packing",
        read_point=MARKET,
    )
    sold = build_event(  # no eventID: it is known by its CBV Event Hash ID
        "TransactionEvent",
        event_time=when + timedelta(days=1),
        action="ADD",
        quantities=[Quantity(events.lot_epc_class(fish_lot), 100, "KGM")],
        biz_step="retail_selling",
        disposition="retail_sold",
        read_point=MARKET,
        biz_transactions=[("inv", "urn:example:wholesale:invoice:88")],
    )
    return epcis_document([received, repacked, sold], created=when + timedelta(days=2))


def test_a_valid_partner_document_is_imported_and_linked(fish_lot, gtin_lot, epcis_schema):
    lots.harvest(fish_lot, date(2026, 6, 18))
    report = imports.import_document(partner_document(fish_lot, gtin_lot), fish_lot.organisation_id)
    assert report.accepted and (report.total, report.added, report.duplicates) == (3, 3, 0)
    assert report.linked == 3
    assert set(gtin_lot.partner_events.values_list("event_type", flat=True)) == {
        "ObjectEvent",
        "AggregationEvent",  # named through an lgtin EPC class URN
    }
    assert fish_lot.partner_events.count() == 2
    sold = PartnerEvent.objects.get(event_type="TransactionEvent")
    assert sold.event_id == sold.event_hash and sold.event_id.startswith("ni:///sha-256;")
    assert events.verify(fish_lot).ok  # partner events stay outside our chain


def test_reimporting_the_same_document_adds_nothing(fish_lot, gtin_lot, epcis_schema):
    doc = partner_document(fish_lot, gtin_lot)
    imports.import_document(doc, fish_lot.organisation_id)
    again = imports.import_document(copy.deepcopy(doc), fish_lot.organisation_id)
    assert again.accepted and (again.added, again.duplicates) == (0, 3)
    assert PartnerEvent.objects.count() == 3


def test_one_invalid_event_rejects_the_whole_document(fish_lot, gtin_lot, epcis_schema):
    doc = partner_document(fish_lot, gtin_lot)
    doc["epcisBody"]["eventList"][1]["bizStep"] = "repacking"  # not a CBV word, not a URI
    report = imports.import_document(doc, fish_lot.organisation_id)
    assert not report.accepted and report.added == 0
    assert {(p.index, p.event_id) for p in report.problems} == {
        (1, "urn:uuid:5a1b0c52-8f0e-4c47-9d1c-1f3e2b7d9a02")
    }
    assert "bizStep" in report.problems[0].path
    assert PartnerEvent.objects.count() == 0 and EPCISImport.objects.count() == 0


def test_an_event_id_reused_for_different_content_is_rejected(fish_lot, gtin_lot, epcis_schema):
    doc = partner_document(fish_lot, gtin_lot)
    imports.import_document(doc, fish_lot.organisation_id)
    changed = copy.deepcopy(doc)
    changed["epcisBody"]["eventList"][0]["quantityList"][1]["quantity"] = 900
    report = imports.import_document(changed, fish_lot.organisation_id)
    assert not report.accepted and [p.index for p in report.problems] == [0]
    assert "different content" in report.problems[0].message


def test_a_bare_event_is_not_a_document(fish_lot, gtin_lot, epcis_schema):
    event = partner_document(fish_lot, gtin_lot)["epcisBody"]["eventList"][0]
    report = imports.import_document(event, fish_lot.organisation_id)
    assert not report.accepted and report.problems[0].index is None


# --- the page ------------------------------------------------------------------------------


def _upload(client, org_id: int, content: bytes, name="partner.jsonld", kind="application/json"):
    return client.post(
        "/trace/import/",
        {"organisation": org_id, "document": SimpleUploadedFile(name, content, kind)},
    )


def test_manager_imports_through_the_page(login, fish_lot, gtin_lot, epcis_schema):
    client = login("manager_honghu")
    assert client.get("/trace/import/").status_code == 200
    raw = json.dumps(partner_document(fish_lot, gtin_lot)).encode()
    resp = _upload(client, fish_lot.organisation_id, raw)
    assert resp.status_code == 200 and 'data-testid="import-accepted"' in resp.content.decode()
    assert PartnerEvent.objects.count() == 3
    page = client.get(f"/trace/lots/{fish_lot.pk}/").content.decode()
    assert 'data-testid="partner-events"' in page


def test_rejected_upload_names_the_event(login, fish_lot, gtin_lot, epcis_schema):
    doc = partner_document(fish_lot, gtin_lot)
    del doc["epcisBody"]["eventList"][0]["action"]
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, json.dumps(doc).encode())
    page = resp.content.decode()
    assert resp.status_code == 422 and 'data-testid="import-rejected"' in page
    assert "urn:uuid:5a1b0c52-8f0e-4c47-9d1c-1f3e2b7d9a01" in page and "action" in page
    assert PartnerEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "name", "kind", "why"),
    [
        (b"\x89PNG\r\n\x1a\n....", "photo.png", "image/png", "只能导入 EPCIS JSON 文件"),
        (b"<EPCISDocument/>", "partner.json", "application/json", "不是有效的 JSON"),
        (b'{"type": "EPCISDocument",', "partner.json", "application/json", "不是有效的 JSON"),
        (b"\xff\xfe\x00\x01", "partner.json", "application/json", "不是 UTF-8 文本"),
        (b"[1, 2, 3]", "partner.json", "application/json", "必须是 JSON 对象"),
        (b"{}", "partner.json", "image/png", "文件不是 EPCIS JSON"),
        (b"", "partner.json", "application/json", "空文件"),  # Django: "is empty"
    ],
)
def test_unreadable_uploads_are_a_clear_400(
    login, fish_lot, epcis_schema, content, name, kind, why
):
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, content, name, kind)
    assert resp.status_code == 400 and why in resp.content.decode()
    assert PartnerEvent.objects.count() == 0


def test_oversized_upload_is_a_clear_400(login, fish_lot, epcis_schema, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 1000)
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, b" " * 1001 + b"{}")
    assert resp.status_code == 400 and "上限为 1,000 字节" in resp.content.decode()


def test_only_managers_import_and_only_for_their_organisation(login, fish_lot, epcis_schema):
    from farm.models import Organisation

    assert login("farmer_wang").get("/trace/import/").status_code == 403
    assert login("bureau_honghu").get("/trace/import/").status_code == 403
    other = Organisation.objects.exclude(pk=fish_lot.organisation_id).first()
    resp = _upload(login("manager_honghu"), other.pk, b"{}")
    assert resp.status_code == 400 and PartnerEvent.objects.count() == 0


def test_missing_schema_is_a_503_not_a_crash(login, fish_lot, settings, tmp_path):
    settings.EPCIS_SCHEMA = str(tmp_path / "absent.json")
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, b'{"type": "EPCISDocument"}')
    assert resp.status_code == 503


# --- the command ---------------------------------------------------------------------------


def test_import_command_is_all_or_nothing_too(fish_lot, gtin_lot, epcis_schema, tmp_path, capsys):
    good = tmp_path / "partner.jsonld"
    good.write_text(json.dumps(partner_document(fish_lot, gtin_lot)), encoding="utf-8")
    call_command("import_epcis", str(good), organisation=fish_lot.organisation_id)
    assert "imported 3 of 3 events" in capsys.readouterr().out
    bad_doc = partner_document(fish_lot, gtin_lot)
    bad_doc["epcisBody"]["eventList"][2]["eventTime"] = "yesterday"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc), encoding="utf-8")
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_epcis", str(bad), organisation=fish_lot.organisation_id)
    assert "event 2" in capsys.readouterr().err
    assert PartnerEvent.objects.count() == 3
