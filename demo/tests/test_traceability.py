"""The demo lots: every stage present, chains intact, gate explaining the growing lot."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from demo.traceability import RICE_GTIN
from traceability import events, gate
from traceability.models import Lot

pytestmark = pytest.mark.django_db


def test_seeding_twice_gives_four_lots_with_intact_chains(demo, client):
    call_command("seed_trace_demo")
    call_command("seed_trace_demo")
    assert Lot.objects.count() == 4
    statuses = dict(Lot.objects.values_list("lot_number", "status"))
    assert statuses["DSH-CY-01"] == Lot.Status.SHIPPED
    assert statuses["DSH-LY-01"] == Lot.Status.GROWING
    assert statuses["CJ-LX-01"] == Lot.Status.HARVESTED  # held by its failed test
    for lot in Lot.objects.all():
        assert events.verify(lot).ok
    rice = Lot.objects.get(lot_number="CJ-DM-01")
    assert rice.gtin == RICE_GTIN == "09506000134352"
    assert rice.events.filter(event_type="AggregationEvent").count() == 40
    assert rice.events.filter(event_type="TransactionEvent").count() == 1
    page = client.get(f"/t/{Lot.objects.get(lot_number='DSH-CY-01').trace_code}")
    assert page.status_code == 200 and "草鱼" in page.content.decode()


def test_the_growing_lot_is_held_by_its_degree_day_withdrawal(demo, timeseries):
    call_command("seed_trace_demo")
    lot = Lot.objects.get(lot_number="DSH-LY-01")
    blocks = {b.kind: b for b in gate.check(lot, timeseries=timeseries).blocks}
    assert "氟苯尼考粉" in blocks["withdrawal"].reason
    assert "inspection" in blocks  # fish need a residue test before release
