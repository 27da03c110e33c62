"""The gate and the certificate speak the reader's language and count days in Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from traceability import documents, gate, lots

pytestmark = pytest.mark.django_db

# 2026-06-29 07:30 in Beijing, still 2026-06-28 in UTC.
EARLY_MORNING = datetime(2026, 6, 28, 23, 30, tzinfo=UTC)


def tomato_lot(plot, number: str = "FQ-T1"):
    return lots.create_lot(
        lots.NewLot(
            origin=plot, product_name="番茄", lot_number=number, quantity=Decimal("500"),
            growing_started=date(2026, 4, 1),
        )
    )  # fmt: skip


def spray(plot, applied: date, phi: int):
    return lots.record_input(
        plot, kind="pesticide", product="吡虫啉可湿性粉剂", active_ingredient="吡虫啉",
        dose=Decimal("0.02"), dose_unit="kg", applied_on=applied, phi_days=phi,
    )  # fmt: skip


def test_a_block_reads_in_chinese_and_keeps_its_english_record(plot):
    lot = tomato_lot(plot)
    spray(plot, date(2026, 6, 25), phi=14)
    [block] = [b for b in gate.check(lot, now=EARLY_MORNING).blocks if b.kind == "phi"]
    with translation.override("zh-hans"):
        assert block.text == "吡虫啉可湿性粉剂的安全间隔期到 2026-07-09 结束"
    assert block.reason == "pre-harvest interval of 吡虫啉可湿性粉剂 runs until 2026-07-09"


def test_a_missing_inspection_reads_in_chinese(plot):
    lot = tomato_lot(plot)
    lots.harvest(lot, date(2026, 6, 20))
    blocks = gate.check(lot, now=EARLY_MORNING).blocks
    with translation.override("zh-hans"):
        assert "尚无检测记录" in [b.text for b in blocks]


def test_an_interval_ends_on_the_beijing_date_not_the_utc_one(plot):
    lot = tomato_lot(plot)
    spray(plot, date(2026, 6, 15), phi=14)  # safe from 2026-06-29
    assert not [b for b in gate.check(lot, now=EARLY_MORNING).blocks if b.kind == "phi"]


def test_the_certificate_is_dated_in_beijing_time(plot):
    lot = tomato_lot(plot)
    assert documents.certificate_fields(lot, now=EARLY_MORNING)["issued"] == "2026-06-29"


def test_a_refused_action_is_explained_in_chinese(plot, login):
    lot = tomato_lot(plot)
    client = login("manager_gongan")
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    page = client.post(f"/trace/lots/{lot.pk}/ship/", {"destination": "武汉"}, follow=True, **zh)
    assert "只有已放行的批次才能发货" in page.content.decode()
    page = client.post(f"/trace/lots/{lot.pk}/ship/", {}, follow=True, **zh)
    assert "目的地：该字段是必填项。" in page.content.decode()
