"""The public page says plainly when a lot may not be sold, and why, in consumer words."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from traceability import lots

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _page(client, lot) -> str:
    html = client.get(f"/t/{lot.trace_code}", **ZH).content.decode()
    return re.sub(r"\s+", " ", html)


def _state(html: str) -> str:
    found = re.search(r'data-testid="release-state"(.*?)</section>', html)
    return found.group(1) if found else ""


@pytest.fixture
def manager(demo):
    return get_user_model().objects.get(username="manager_honghu")


def test_a_lot_whose_test_failed_is_stated_held_without_a_tick(client, fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="fail", items=["孔雀石绿"])
    html = _page(client, fish_lot)
    state = _state(html)
    assert 'data-kind="held"' in state and "此批次未获放行，不应上市销售" in state
    assert "最近一次农药或兽药残留检测不合格" in state
    assert "✔" not in html.split('data-testid="verified"')[1][:120]
    assert "完整" not in html


def test_a_withdrawal_period_still_running_is_said_in_plain_words(client, fish_lot, pond):
    today = date.today()
    lots.record_input(
        pond, kind="vet_drug", product="恩诺沙星粉", dose=Decimal("1"), dose_unit="kg",
        applied_on=today - timedelta(days=2), withdrawal_days=25,
    )  # fmt: skip
    state = _state(_page(client, fish_lot))
    assert "此批次尚未收获" in state
    assert "休药期" in state and "还没有过" in state
    assert "恩诺沙星" not in state  # consumer words: no product names or record numbers


def test_a_missing_test_is_said_too(client, fish_lot):
    lots.harvest(fish_lot, date(2026, 6, 18))
    assert "还没有做农药或兽药残留检测" in _state(_page(client, fish_lot))


def test_a_recalled_lot_says_so_with_the_producers_reason(client, fish_lot, manager):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="pass", items=["孔雀石绿"])
    lots.release(fish_lot, manager)
    lots.recall(fish_lot, "市场抽检孔雀石绿超标", user=manager)
    state = _state(_page(client, fish_lot))
    assert 'data-kind="recalled"' in state and "此批次已被召回" in state
    assert "市场抽检孔雀石绿超标" in state


def test_a_released_lot_shows_no_statement_and_its_tick(client, fish_lot, manager):
    lots.harvest(fish_lot, date(2026, 6, 18))
    lots.inspect(fish_lot, tested_on=date(2026, 6, 19), result="pass", items=["孔雀石绿"])
    lots.release(fish_lot, manager)
    html = _page(client, fish_lot)
    assert _state(html) == ""
    assert "✔ 记录自形成后未被改动" in html


def test_the_hold_is_stated_even_when_inputs_are_not_public(client, fish_lot):
    from traceability.models import Lot

    Lot.objects.filter(pk=fish_lot.pk).update(public_fields=["product"])
    lots.harvest(fish_lot, date(2026, 6, 18))
    assert "此批次未获放行" in _state(_page(client, fish_lot))


def test_recall_needs_a_manager_and_a_reason(fish_lot, manager):
    from traceability.lots import LotError, NotAllowed

    lots.harvest(fish_lot, date(2026, 6, 18))
    farmer = get_user_model().objects.get(username="farmer_wang")
    with pytest.raises(NotAllowed):
        lots.recall(fish_lot, "原因", user=farmer)
    with pytest.raises(LotError):
        lots.recall(fish_lot, "  ", user=manager)


def test_the_recall_command_recalls_and_refuses_non_managers(client, fish_lot, manager):
    from django.core.management import CommandError, call_command

    lots.harvest(fish_lot, date(2026, 6, 18))
    with pytest.raises(CommandError, match="only a manager"):
        call_command("recall_lot", fish_lot.trace_code, reason="复检超标", by="farmer_wang")
    call_command("recall_lot", fish_lot.trace_code, reason="复检超标", by="manager_honghu")
    assert "此批次已被召回" in _state(_page(client, fish_lot))
    with pytest.raises(CommandError, match="no lot"):
        call_command("recall_lot", "NOPE", reason="x", by="manager_honghu")
