"""Partners' EPCIS XML through the import page and command; our lots exported as XML."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from lxml import etree

from traceability import epcis_xml, imports, lots
from traceability.epcis_hash import document_hash_ids, event_hash_id
from traceability.models import PartnerEvent
from traceability.tests.test_imports import GTIN, partner_document

pytestmark = pytest.mark.django_db


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


def _upload(client, org_id: int, content: bytes, name="partner.xml", kind="application/xml"):
    return client.post(
        "/trace/import/",
        {"organisation": org_id, "document": SimpleUploadedFile(name, content, kind)},
    )


@pytest.fixture
def partner_xml(fish_lot, gtin_lot) -> bytes:
    return epcis_xml.write(partner_document(fish_lot, gtin_lot))


def test_partner_xml_imports_through_the_page_with_the_hashes_of_its_json(
    login,
    fish_lot,
    gtin_lot,
    partner_xml,
    epcis_schema,
):
    lots.harvest(fish_lot, date(2026, 6, 18))
    document = partner_document(fish_lot, gtin_lot)
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, partner_xml)
    assert resp.status_code == 200, resp.content.decode()
    assert 'data-testid="import-accepted"' in resp.content.decode()
    stored = PartnerEvent.objects.order_by("event_time")
    assert [e.event_hash for e in stored] == [
        event_hash_id(e, document["@context"]) for e in document["epcisBody"]["eventList"]
    ]
    assert fish_lot.partner_events.count() == 2  # received and sold name our lot


def test_imported_xml_re_exports_equivalently(fish_lot, partner_xml, epcis_schema):
    report = imports.import_document(imports.parse(partner_xml), fish_lot.organisation_id)
    assert report.accepted and report.added == 3
    stored = list(PartnerEvent.objects.order_by("event_time"))
    document = {
        "@context": stored[0].context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-06-24T09:00:00+08:00",
        "epcisBody": {"eventList": [e.document for e in stored]},
    }
    again = epcis_xml.write(document)
    assert epcis_xml.schema().validate(etree.fromstring(again))
    assert document_hash_ids(epcis_xml.read(again).document) == [e.event_hash for e in stored]
    assert epcis_xml.read(again).document["epcisBody"] == imports.parse(partner_xml)["epcisBody"]


def test_a_generic_upload_type_is_read_by_its_suffix(login, fish_lot, partner_xml, epcis_schema):
    resp = _upload(
        login("manager_honghu"),
        fish_lot.organisation_id,
        partner_xml,
        name="PARTNER.XML",
        kind="application/octet-stream",
    )
    assert resp.status_code == 200 and PartnerEvent.objects.count() == 3


def test_schema_invalid_xml_is_refused_whole_with_lines_per_event(
    login, fish_lot, partner_xml, epcis_schema
):
    bad = partner_xml.replace(b"<action>ADD</action>", b"<action>MAYBE</action>", 1)
    line = next(i for i, t in enumerate(bad.splitlines(), 1) if b"MAYBE" in t)
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, bad)
    page = resp.content.decode()
    assert resp.status_code == 422 and 'data-testid="import-rejected"' in page
    assert f"line {line}" in page and "MAYBE" in page
    assert "不符合 EPCIS 2.0 XML 架构" in page
    assert PartnerEvent.objects.count() == 0
    report = imports.import_document(imports.parse(bad), fish_lot.organisation_id)
    assert {p.index for p in report.problems} == {None, 1}  # the reason, then event #1
    assert report.total == 3


def test_xml_that_breaks_the_json_rules_points_at_the_event_line(
    fish_lot, partner_xml, epcis_schema
):
    # Valid for the XSD, but the JSON Schema wants an absolute URI for a bizStep.
    bad = partner_xml.replace(
        b"urn:epcglobal:cbv:bizstep:packing", b"urn:epcglobal:cbv:bizstep:Packing Now"
    )
    report = imports.import_document(imports.parse(bad), fish_lot.organisation_id)
    assert not report.accepted and PartnerEvent.objects.count() == 0
    lines = imports.parse(partner_xml).event_lines
    assert any(p.index == 1 and p.path.startswith(f"line {lines[1]}") for p in report.problems)


def test_xml_that_is_not_well_formed_is_refused_with_its_line(login, fish_lot, partner_xml):
    broken = partner_xml.replace(b"</bizStep>", b"</bizstep>", 1)
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if b"</bizstep>" in t)
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, broken)
    page = resp.content.decode()
    assert resp.status_code == 422 and f"line {line}" in page and "XML 格式不正确" in page
    assert PartnerEvent.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>',
        b'<?xml version="1.0"?>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"',
        b'<?xml version="1.0"?><html><script>alert(1)</script></html>',
        b'<?xml version="1.0" encoding="UTF-16"?><a/>',
    ],
    ids=["xxe", "entities", "truncated", "html", "wrong-encoding"],
)
def test_hostile_xml_uploads_are_refused_not_500(login, fish_lot, epcis_schema, content):
    resp = _upload(login("manager_honghu"), fish_lot.organisation_id, content)
    assert resp.status_code in (400, 422)
    assert "root:" not in resp.content.decode()
    assert PartnerEvent.objects.count() == 0


def test_import_command_reads_xml_too(fish_lot, partner_xml, epcis_schema, tmp_path, capsys):
    good = tmp_path / "partner.xml"
    good.write_bytes(partner_xml)
    call_command("import_epcis", str(good), organisation=fish_lot.organisation_id)
    assert "imported 3 of 3 events" in capsys.readouterr().out
    bad = tmp_path / "bad.xml"
    bad.write_bytes(partner_xml.replace(b"<eventTimeZoneOffset>", b"<eventTimeZone>", 1))
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_epcis", str(bad), organisation=fish_lot.organisation_id)
    assert "event 0" in capsys.readouterr().err


def test_a_partner_digital_link_with_escapes_on_its_own_domain_finds_our_lot(
    fish_lot, gtin_lot, epcis_schema
):
    document = partner_document(fish_lot, gtin_lot)
    received = document["epcisBody"]["eventList"][0]
    received["quantityList"][0]["epcClass"] = f"https://wholesale.example.cn/01/{GTIN}/10/CY%2D7"
    report = imports.import_document(
        imports.parse(epcis_xml.write(document)), fish_lot.organisation_id
    )
    assert report.accepted
    received_row = PartnerEvent.objects.get(event_id=received["eventID"])
    assert gtin_lot in received_row.lots.all()


# --- export --------------------------------------------------------------------------------


def test_the_lot_exports_as_schema_valid_xml_with_the_json_ld_hashes(login, fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    client = login("manager_honghu")
    as_json = json.loads(client.get(f"/trace/lots/{fish_lot.pk}/epcis.jsonld").content)
    resp = client.get(f"/trace/lots/{fish_lot.pk}/epcis.xml")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/xml"
    assert epcis_xml.schema().validate(etree.fromstring(resp.content))
    read = epcis_xml.read(resp.content).document
    ids = [e["eventID"] for e in as_json["epcisBody"]["eventList"]]
    assert ids
    assert document_hash_ids(read) == document_hash_ids(as_json)
    assert [e["eventID"] for e in read["epcisBody"]["eventList"]] == ids


def test_the_xml_export_is_only_for_those_who_may_read_the_lot(login, fish_lot):
    url = f"/trace/lots/{fish_lot.pk}/epcis.xml"
    assert login(None).get(url).status_code == 302
    from farm.models import Membership

    outsider = (
        Membership.objects.exclude(organisation_id=fish_lot.organisation_id)
        .exclude(organisation__isnull=True)
        .select_related("user")
        .first()
    )
    client = login(None)
    client.force_login(outsider.user)
    assert client.get(url).status_code == 404
    assert login("bureau_honghu").get(url).status_code == 200


def test_the_export_link_name_is_stable():
    from django.urls import reverse

    assert re.fullmatch(r"/trace/lots/7/epcis\.xml", reverse("epcis_xml:lot-epcis-xml", args=[7]))
