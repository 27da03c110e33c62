"""The lots API: read-only, scoped through the lot's origin farm, events in chain order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from demo.farm import DEMO_PASSWORD
from traceability import lots
from traceability.models import Lot

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(demo):
    def as_user(username: str) -> APIClient:
        client = APIClient()
        assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return as_user


@pytest.fixture
def tomato_lot(plot) -> Lot:
    """A lot of another organisation (公安县, farmer_zhang's co-op)."""
    return lots.create_lot(
        lots.NewLot(origin=plot, product_name="番茄", lot_number="FQ-1", quantity=Decimal("500"))
    )


@pytest.fixture
def harvested(fish_lot, pond) -> Lot:
    lots.record_input(
        pond,
        kind="feed",
        product="草鱼配合饲料",
        dose=Decimal("40"),
        dose_unit="kg",
        applied_on=date(2026, 5, 1),
    )
    lots.harvest(fish_lot, date(2026, 6, 1))
    return fish_lot


def test_farmer_lists_only_lots_grown_on_their_farms(api, fish_lot, tomato_lot):
    rows = api("farmer_wang").get("/api/lots/").json()["results"]
    assert [r["id"] for r in rows] == [fish_lot.pk]
    assert rows[0]["trace_code"] == fish_lot.trace_code
    assert rows[0]["farm_name"] == "大沙湖草鱼养殖场"


def test_lot_of_another_organisation_is_not_found(api, tomato_lot):
    client = api("farmer_wang")
    assert client.get(f"/api/lots/{tomato_lot.pk}/").status_code == 404
    assert client.get(f"/api/lots/{tomato_lot.pk}/events/").status_code == 404


def test_lot_events_are_its_epcis_events_in_chain_order(api, harvested):
    body = api("farmer_wang").get(f"/api/lots/{harvested.pk}/events/").json()
    events = body["results"]
    assert body["count"] == 2
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert [e["document"]["type"] for e in events] == ["ObjectEvent", "ObjectEvent"]
    assert [e["biz_step"] for e in events] == [e["document"]["bizStep"] for e in events]
    assert events[1]["prev_link"] == events[0]["link"]  # the hash chain, as stored
    assert events[0]["document"]["eventID"]


def test_lot_detail_counts_its_events(api, harvested):
    body = api("bureau_honghu").get(f"/api/lots/{harvested.pk}/").json()
    assert body["event_count"] == 2 and body["status"] == "harvested"


def test_lots_filter_by_status_and_farm(api, harvested, fish_lot, pond):
    growing = lots.create_lot(
        lots.NewLot(origin=pond, product_name="鲢鱼", lot_number="LY-1", quantity=Decimal("100"))
    )
    client = api("manager_honghu")
    rows = client.get("/api/lots/?status=growing").json()["results"]
    assert [r["id"] for r in rows] == [growing.pk]
    rows = client.get(f"/api/lots/?farm={pond.farm_id}").json()["results"]
    assert {r["id"] for r in rows} == {growing.pk, harvested.pk}


def test_lot_list_is_paginated(api, pond):
    for n in range(52):
        lots.create_lot(
            lots.NewLot(origin=pond, product_name="草鱼", lot_number=f"CY-{n}", quantity=Decimal(1))
        )
    first = api("farmer_wang").get("/api/lots/").json()
    assert first["count"] == 52 and len(first["results"]) == 50 and first["next"]


def test_bureau_reviewer_cannot_change_lots_through_the_api(api, fish_lot):
    client = api("bureau_honghu")
    assert client.get(f"/api/lots/{fish_lot.pk}/").status_code == 200
    assert client.delete(f"/api/lots/{fish_lot.pk}/").status_code == 405
    assert client.post("/api/lots/", {"product_name": "x"}).status_code == 405
