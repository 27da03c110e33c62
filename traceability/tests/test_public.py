"""The public scan page, the GS1 resolver and copied-label detection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache

from traceability import lots
from traceability.models import Lot

pytestmark = pytest.mark.django_db

GTIN = "06901234567892"  # valid check digit


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def gtin_lot(pond):
    return lots.create_lot(
        lots.NewLot(
            origin=pond,
            product_name="草鱼",
            lot_number="CY-7",
            quantity=Decimal("3"),
            gtin=GTIN,
            growing_started=date(2026, 3, 1),
        )
    )


def test_scan_page_shows_public_fields_and_no_private_data(client, fish_lot, demo):
    lots.harvest(fish_lot, date(2026, 6, 18))
    page = client.get(f"/t/{fish_lot.trace_code}").content.decode()
    assert "草鱼" in page and "洪湖市" in page and "大沙湖草鱼养殖场" in page
    assert "王德明" not in page and "farmer_wang" not in page  # the farmer's own data
    assert 'data-testid="verified"' in page


def test_fields_not_marked_public_stay_hidden(client, fish_lot):
    Lot.objects.filter(pk=fish_lot.pk).update(public_fields=["product"])
    page = client.get(f"/t/{fish_lot.trace_code}").content.decode()
    assert "草鱼" in page and "洪湖市" not in page


def test_scan_page_is_light(client, fish_lot):
    body = client.get(f"/t/{fish_lot.trace_code}").content
    assert len(body) < 16_000 and b"<script" not in body


def test_malformed_trace_code_is_400_and_unknown_is_404(client, demo):
    assert client.get("/t/not*a*code").status_code == 400
    from traceability.trace_code import new_trace_code

    assert client.get(f"/t/{new_trace_code()}").status_code == 404


def test_repeated_misses_from_one_network_are_rate_limited(client, demo):
    from traceability.trace_code import new_trace_code

    statuses = [client.get(f"/t/{new_trace_code()}").status_code for _ in range(35)]
    assert statuses[0] == 404 and statuses[-1] == 429


def test_digital_link_redirects_a_browser_to_the_scan_page(client, gtin_lot):
    resp = client.get(f"/01/{GTIN}/10/CY-7", HTTP_ACCEPT="text/html")
    assert resp.status_code == 307 and resp["Location"].endswith(f"/t/{gtin_lot.trace_code}")


def test_digital_link_linkset_for_link_type_all(client, gtin_lot):
    resp = client.get(f"/01/{GTIN}/10/CY-7?linkType=all")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/linkset+json"
    assert resp.json()["linkset"][0]["https://gs1.org/voc/pip"]


def test_wrong_gtin_check_digit_is_400(client, demo):
    assert client.get("/01/06901234567893/10/CY-7").status_code == 400


def test_well_formed_unknown_lot_is_404(client, gtin_lot):
    assert client.get(f"/01/{GTIN}/10/NOPE").status_code == 404


def test_resolver_describes_itself(client, demo):
    assert client.get("/.well-known/gs1resolver").json()["supportedPrimaryKeys"] == ["01"]


def test_scan_records_no_raw_ip(client, fish_lot):
    client.get(f"/t/{fish_lot.trace_code}", REMOTE_ADDR="203.0.113.9")
    scan = fish_lot.scans.get()
    assert "203.0.113" not in scan.client and len(scan.client) == 16


def test_staff_pages_are_scoped(login, fish_lot):
    assert login("farmer_zhang").get(f"/trace/lots/{fish_lot.pk}/").status_code == 404
    assert login("bureau_honghu").get(f"/trace/lots/{fish_lot.pk}/").status_code == 200
    resp = login("bureau_honghu").post(
        f"/trace/lots/{fish_lot.pk}/harvest/", {"harvest_date": "2026-06-18"}
    )
    assert resp.status_code == 403


def test_operator_records_a_harvest_from_the_lot_page(login, fish_lot):
    client = login("farmer_wang")
    client.post(f"/trace/lots/{fish_lot.pk}/harvest/", {"harvest_date": "2026-06-18"})
    fish_lot.refresh_from_db()
    assert fish_lot.status == Lot.Status.HARVESTED


def test_epcis_export_is_a_document_of_the_lots_events(login, fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    doc = login("farmer_wang").get(f"/trace/lots/{fish_lot.pk}/epcis.jsonld").json()
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["epcisBody"]["eventList"][0]["bizStep"] == "commissioning"
