"""Lots through their life: inputs, harvest, the compliance gate, release, shipping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from traceability import events, gate, lots, vocab
from traceability.models import Lot, TraceEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 20, 10, 0, tzinfo=UTC)


def pesticide(site, applied: date, phi: int):
    return lots.record_input(
        site,
        kind="pesticide",
        product="吡虫啉可湿性粉剂",
        active_ingredient="吡虫啉",
        dose=Decimal("0.02"),
        dose_unit="kg",
        applied_on=applied,
        phi_days=phi,
    )


def test_pesticide_interval_blocks_release_until_it_ends(plot):
    lot = lots.create_lot(
        lots.NewLot(
            origin=plot,
            product_name="番茄",
            lot_number="FQ-1",
            quantity=Decimal("500"),
            growing_started=date(2026, 4, 1),
        )
    )
    rec = pesticide(plot, date(2026, 6, 15), phi=14)
    result = gate.check(lot, now=NOW)
    phi = [b for b in result.blocks if b.kind == "phi"]
    assert phi and phi[0].record_id == rec.pk and phi[0].until == date(2026, 6, 29)


def test_harvest_inside_the_interval_cannot_be_waited_out(plot):
    lot = lots.create_lot(
        lots.NewLot(
            origin=plot,
            product_name="番茄",
            lot_number="FQ-2",
            quantity=Decimal("500"),
            growing_started=date(2026, 4, 1),
        )
    )
    pesticide(plot, date(2026, 6, 10), phi=14)
    lots.harvest(lot, date(2026, 6, 18))
    blocks = [b for b in gate.check(lot, now=NOW).blocks if b.kind == "phi"]
    assert blocks and blocks[0].until is None and "inside" in blocks[0].reason


def test_missing_inspection_blocks_and_a_pass_clears_it(fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    assert [b.kind for b in gate.check(fish_lot, now=NOW).blocks] == ["inspection"]
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="pass", items=["孔雀石绿"])
    assert gate.check(fish_lot, now=NOW).ok


def test_release_is_refused_while_blocked_and_names_the_record(plot):
    lot = lots.create_lot(
        lots.NewLot(
            origin=plot,
            product_name="番茄",
            lot_number="FQ-3",
            quantity=Decimal("500"),
            growing_started=date(2026, 4, 1),
        )
    )
    pesticide(plot, date(2026, 6, 1), phi=30)
    lots.harvest(lot, date(2026, 6, 18))
    with pytest.raises(lots.GateBlocked, match="吡虫啉"):
        lots.release(lot, now=NOW)
    assert Lot.objects.get(pk=lot.pk).status == Lot.Status.HARVESTED


def test_only_a_manager_may_override_and_the_override_is_an_event(fish_lot, demo):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    lots.harvest(fish_lot, date(2026, 6, 18))
    with pytest.raises(lots.NotAllowed):
        lots.release(fish_lot, users.get(username="farmer_wang"), override_reason="急需", now=NOW)
    lots.release(
        fish_lot,
        users.get(username="manager_honghu"),
        override_reason="检测报告已到，系统未录入",
        now=NOW,
    )
    steps = list(fish_lot.events.order_by("seq").values_list("biz_step", "reason"))
    assert (vocab.GATE_OVERRIDE, "检测报告已到，系统未录入") in steps
    assert steps[-1][0] == vocab.RELEASE


def test_degree_day_withdrawal_uses_the_ponds_temperature(fish_lot, pond, timeseries):
    from sensors.timeseries import Point, to_ns

    # Recent dates: the series sits in a raw retention policy of finite length.
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=12
    )
    applied = start.date()
    lots.record_input(
        pond,
        kind="vet_drug",
        product="恩诺沙星粉",
        dose=Decimal("1"),
        dose_unit="kg",
        applied_on=applied,
        withdrawal_degree_days=500,
    )
    points = [
        Point(
            "water",
            {"site": str(pond.pk)},
            {"water_temp": 25.0},
            to_ns(start + timedelta(minutes=30 * i)),
        )
        for i in range(48 * 10)  # ten days at 25 °C = 250 degree-days
    ]
    timeseries.write(points)
    now = start + timedelta(days=10)
    block = [
        b
        for b in gate.check(fish_lot, now=now, timeseries=timeseries).blocks
        if b.kind == "withdrawal"
    ][0]
    assert block.accumulated_dd == pytest.approx(250, rel=0.01)
    assert block.until == now.date() + timedelta(days=10)  # 250 more at 25 °C/day


def test_degree_days_without_temperature_data_never_release_early(fish_lot, pond, timeseries):
    lots.record_input(
        pond,
        kind="vet_drug",
        product="氟苯尼考粉",
        dose=Decimal("1"),
        dose_unit="kg",
        applied_on=date(2026, 6, 1),
        withdrawal_degree_days=100,
    )
    now = datetime(2026, 7, 1, tzinfo=UTC)
    block = [
        b
        for b in gate.check(fish_lot, now=now, timeseries=timeseries).blocks
        if b.kind == "withdrawal"
    ][0]
    assert block.accumulated_dd == 0 and block.until is None


def test_every_event_is_chained_and_verifies(fish_lot, pond):
    pesticide(pond, date(2026, 5, 1), phi=7)
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="pass", items=["氯霉素"])
    result = events.verify(fish_lot)
    assert result.ok and result.events == 3
    first = fish_lot.events.get(seq=1)
    assert first.event_hash.startswith("ni:///sha-256;") and first.document["eventID"] == (
        first.event_hash
    )


def test_an_edited_event_row_is_detected(fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="fail", items=["孔雀石绿"])
    ev = fish_lot.events.get(seq=2)
    doc = dict(ev.document)
    doc["disposition"] = "conformant"  # someone hides the failed test
    with connection.cursor() as cur:
        import json

        cur.execute(
            "UPDATE traceability_traceevent SET document = %s WHERE id = %s",
            [json.dumps(doc), ev.pk],
        )
    result = events.verify(fish_lot)
    assert not result.ok and result.first_broken_seq == 2


def test_a_deleted_event_row_is_detected(fish_lot, pond):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="pass", items=[])
    lots.inspect(fish_lot, tested_on=date(2026, 6, 20), result="pass", items=[])
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM traceability_traceevent WHERE lot_id = %s AND seq = 2", [fish_lot.pk]
        )
    result = events.verify(fish_lot)
    assert not result.ok and result.first_broken_seq == 2


def test_stored_events_cannot_be_updated_through_the_orm(fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    ev = TraceEvent.objects.get(lot=fish_lot, seq=1)
    ev.reason = "changed"
    with pytest.raises(Exception, match="append-only"):
        ev.save()


def test_shipping_requires_release(fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    with pytest.raises(ValueError, match="released"):
        lots.ship(fish_lot, destination="武汉白沙洲市场")
