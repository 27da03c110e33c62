"""Automatic mode: DO floor and dawn forecast, hysteresis, motor times, manual override, and
failing safe towards oxygen when data is missing at night."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aeration import automation, bridge_hook, control
from aeration.automation import Situation, decide
from aeration.models import Aerator, Command
from alerts.models import AlertState, Rule
from vocabulary.events import ReadingEvent

NIGHT = datetime(2026, 7, 20, 18, 30, tzinfo=UTC)  # 02:30 in Asia/Shanghai
DAY = datetime(2026, 7, 20, 6, 0, tzinfo=UTC)  # 14:00


def situation(**kw) -> Situation:
    base = dict(
        now=DAY,
        state=False,
        changed_at=DAY - timedelta(hours=2),
        pending=None,
        override_until=None,
        min_on=timedelta(minutes=20),
        min_off=timedelta(minutes=10),
        do=6.0,
        do_at=DAY - timedelta(minutes=5),
        do_fault="",
        floor=3.0,
        hysteresis=1.0,
        forecast_breach=False,
    )
    base.update(kw)
    return Situation(**base)


def test_below_the_floor_switches_on():
    d = decide(situation(do=2.4))
    assert d.on is True and d.reason == "DO 2.4 mg/L below the floor of 3 mg/L"


def test_hysteresis_holds_between_floor_and_floor_plus_margin():
    assert decide(situation(state=True, do=3.5)).on is None
    assert decide(situation(state=True, do=4.0)).on is False


def test_the_dawn_forecast_switches_on_before_the_floor_is_reached():
    assert decide(situation(do=5.0, forecast_breach=True)).on is True
    assert decide(situation(state=True, do=6.0, forecast_breach=True)).on is None


def test_minimum_times_protect_the_motor():
    just_off = situation(do=2.0, changed_at=DAY - timedelta(minutes=3))
    assert decide(just_off) == automation.Decision(None, "min_off", {"minutes": 3})
    just_on = situation(state=True, do=8.0, changed_at=DAY - timedelta(minutes=5))
    assert decide(just_on) == automation.Decision(None, "min_on", {"minutes": 5})


def test_manual_override_wins_until_it_expires():
    s = situation(do=1.0, override_until=DAY + timedelta(minutes=30))
    assert decide(s) == automation.Decision(None, "override")
    assert decide(situation(do=1.0, override_until=DAY - timedelta(seconds=1))).on is True


def test_never_off_for_missing_data_and_on_at_night():
    stale_day = situation(state=True, do=9.0, do_at=DAY - timedelta(hours=2))
    assert decide(stale_day).on is None
    stale_night = situation(now=NIGHT, do=9.0, do_at=NIGHT - timedelta(hours=1))
    assert decide(stale_night).on is True and decide(stale_night).code == "night_stale"
    fouled = situation(now=NIGHT, do=None, do_fault="fouled")
    assert decide(fouled).on is True and "fouled" in decide(fouled).reason


def test_a_pending_command_is_awaited():
    assert decide(situation(do=1.0, pending=True)).on is None


@pytest.fixture
def auto_pond(pond):
    a = pond["aerator"]
    a.mode = "auto"
    a.save()
    Rule.objects.create(
        organisation=pond["org"],
        name="草鱼溶氧下限",
        metric="do",
        condition="below",
        threshold=3.0,
        match_kind="pond",
    )
    bridge_hook._auto_ponds = (float("-inf"), frozenset())
    return pond


def reading(p, metric: str, value, at: datetime, fault=None) -> ReadingEvent:
    return ReadingEvent(
        p["device"].pk,
        p["device"].dev_eui,
        p["pond"].pk,
        p["farm"].pk,
        metric,
        value,
        int(at.timestamp() * 1e9),
        fault,
    )


def test_low_do_from_the_bridge_sends_one_automatic_command(auto_pond):
    p = auto_pond
    now = datetime.now(UTC)
    bridge_hook.on_bridge_readings([reading(p, "do", 2.1, now)])
    bridge_hook.on_bridge_readings([reading(p, "do", 2.0, now + timedelta(minutes=1))])
    cmd = Command.objects.get(aerator=p["aerator"])
    assert cmd.source == "auto" and cmd.user is None and cmd.rule == "auto"
    assert cmd.desired_on and cmd.status == "pending"
    assert cmd.reason == "溶解氧2.1 mg/L，低于下限3 mg/L"


def test_a_manual_off_is_not_fought_by_automatic_mode(auto_pond):
    p = auto_pond
    control.request(p["aerator"].pk, False, user=p["op"], reason="检修")
    bridge_hook.on_bridge_readings([reading(p, "do", 1.5, datetime.now(UTC))])
    assert list(Command.objects.values_list("source", flat=True)) == ["manual"]
    a = Aerator.objects.get(pk=p["aerator"].pk)
    assert a.override_until is not None and a.last_do == 1.5


def test_the_dawn_forecast_alert_switches_on(auto_pond):
    p = auto_pond
    rule = Rule.objects.create(
        organisation=p["org"],
        name="黎明预测",
        metric="do",
        condition="dawn_forecast",
        threshold=3.0,
    )
    AlertState.objects.create(
        rule=rule,
        target_key=f"site:{p['pond'].pk}",
        farm=p["farm"],
        site=p["pond"],
        state="firing",
    )
    bridge_hook.on_bridge_readings([reading(p, "do", 5.5, datetime.now(UTC))])
    cmd = Command.objects.get(aerator=p["aerator"])
    assert cmd.desired_on and cmd.reason == "黎明溶解氧预测将低于下限"


def test_relay_reports_in_a_batch_are_applied_in_time_order(pond):
    p = pond
    t = datetime.now(UTC)
    batch = [
        reading(p, "relay1", 0.0, t + timedelta(seconds=30)),
        reading(p, "relay1", 1.0, t),
        reading(p, "aci1_ma", 12.0, t),
        reading(p, "relay1", None, t + timedelta(seconds=40), fault="out_of_range"),
    ]
    bridge_hook.on_bridge_readings(batch)
    a = Aerator.objects.get(pk=p["aerator"].pk)
    assert a.reported_on is False and a.reported_at == t + timedelta(seconds=30)
    assert a.changed_at == t + timedelta(seconds=30)
