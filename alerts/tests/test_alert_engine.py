"""Stream evaluation: state machine, hysteresis, inhibition, templates, forecasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts import rule_templates
from alerts.engine import evaluate, evaluate_detections, on_bridge_readings
from alerts.forecast import project_dawn_oxygen
from alerts.models import AlertState, Incident, IncidentEvent, Rule
from alerts.tests import alert_fixtures
from alerts.tests.alert_fixtures import World, at
from vocabulary.events import DetectionEvent

world = alert_fixtures.world

C = Rule.Condition


def states(rule: Rule) -> list[str]:
    return list(rule.states.values_list("state", flat=True))


def test_breach_waits_for_the_for_duration_before_firing(world: World):
    rule = world.rule(threshold=3.0, clear_threshold=3.5, for_duration=timedelta(minutes=5))
    first = evaluate([world.reading(0, 2.8)], now=at(0))
    assert [(t.old, t.new) for t in first] == [("ok", "pending")]
    assert not Incident.objects.exists()
    second = evaluate([world.reading(6, 2.7)], now=at(6))
    assert [(t.old, t.new) for t in second] == [("pending", "firing")]
    incident = Incident.objects.get()
    assert incident.title == "1号塘 溶解氧低于3 mg/L"
    assert incident.value == 2.7 and incident.rule == rule


def test_flapping_around_the_threshold_opens_one_incident(world: World):
    rule = world.rule(threshold=3.0, clear_threshold=3.5)
    values = [2.9, 3.1, 2.95, 3.2, 2.9, 3.4, 2.8]
    evaluate([world.reading(i, v) for i, v in enumerate(values)], now=at(10))
    assert Incident.objects.filter(rule=rule).count() == 1
    assert states(rule) == ["firing"]


def test_short_dip_inside_the_for_duration_returns_to_ok_without_incident(world: World):
    world.rule(threshold=3.0, for_duration=timedelta(minutes=10))
    evaluate([world.reading(0, 2.9), world.reading(3, 3.3), world.reading(6, 2.9)], now=at(6))
    assert not Incident.objects.exists()
    kinds = list(IncidentEvent.objects.values_list("kind", flat=True))
    assert kinds == ["pending", "ok", "pending"]


def test_reading_above_the_clear_level_resolves_the_incident(world: World):
    rule = world.rule(threshold=3.0, clear_threshold=3.5)
    evaluate([world.reading(0, 2.5)], now=at(0))
    evaluate([world.reading(5, 3.6)], now=at(5))
    incident = Incident.objects.get(rule=rule)
    assert incident.resolved_at == at(5)
    assert states(rule) == ["resolved"]
    evaluate([world.reading(10, 2.0)], now=at(10))
    assert Incident.objects.filter(rule=rule).count() == 2  # a new episode, a new incident


def test_consecutive_readings_rule_needs_two_breaches(world: World):
    world.rule(threshold=2.0, for_readings=2)
    evaluate([world.reading(0, 1.8)], now=at(0))
    assert not Incident.objects.exists()
    evaluate([world.reading(1, 1.7)], now=at(1))
    assert Incident.objects.count() == 1


def test_fouled_probe_opens_one_incident_naming_it_and_never_a_low_oxygen_alarm(world: World):
    low_do = world.rule(threshold=3.0)
    batch = [world.reading(i, 0.4, fault="fouled") for i in range(5)]
    evaluate(batch, now=at(5))
    incident = Incident.objects.get()
    assert incident.rule.condition == C.PROBE_FAULT
    assert incident.title == "1号塘 溶解氧探头故障：fouled"
    assert not Incident.objects.filter(rule=low_do).exists()
    state = AlertState.objects.get(rule=low_do)
    assert state.inhibited_by.startswith("1号塘 溶解氧探头故障")
    assert state.state == "ok"


def test_good_reading_after_a_fault_resolves_it_and_judges_again(world: World):
    low_do = world.rule(threshold=3.0)
    evaluate([world.reading(0, None, fault="fouled")], now=at(0))
    evaluate([world.reading(5, 2.1)], now=at(5))
    fault = Incident.objects.get(rule__condition=C.PROBE_FAULT)
    assert fault.resolved_at == at(5)
    assert Incident.objects.filter(rule=low_do, resolved_at__isnull=True).count() == 1
    assert AlertState.objects.get(rule=low_do).inhibited_by == ""


def test_fault_on_one_device_does_not_hold_back_another_probe_in_the_pond(world: World):
    low_do = world.rule(threshold=3.0)
    evaluate(
        [
            world.reading(0, None, fault="fouled", eui="a000000000000001"),
            world.reading(1, 2.0, eui="a000000000000002"),
        ],
        now=at(1),
    )
    assert Incident.objects.filter(rule=low_do).count() == 1


def test_template_rules_apply_to_sites_whose_species_matches(world: World):
    rule_templates.seed()
    rule_templates.adopt(world.org.pk, ["grass_carp_pond", "white_shrimp_pond"])
    evaluate(
        [world.reading(0, 2.5), world.reading(0, 2.5, site=world.shrimp, eui="b0000000000000b1")],
        now=at(0),
    )
    grass = set(
        AlertState.objects.filter(site=world.pond1).values_list("rule__template_key", flat=True)
    )
    shrimp = set(
        AlertState.objects.filter(site=world.shrimp).values_list("rule__template_key", flat=True)
    )
    assert {"gc.do.floor", "gc.do.aerate", "gc.do.piping"} <= grass
    assert not any(k.startswith("ws.") for k in grass)
    assert {"ws.do.floor", "ws.do.stress"} <= shrimp
    assert not any(k.startswith("gc.") for k in shrimp)


def test_rules_of_another_organisation_never_see_our_readings(world: World):
    Rule.objects.create(
        organisation=world.other_org, name="x", metric="do", condition=C.BELOW, threshold=3.0
    )
    assert evaluate([world.reading(0, 1.0)], now=at(0)) == []


def test_rate_rule_fires_on_a_fast_fall_within_the_window(world: World):
    world.rule(condition=C.RATE, threshold=-1.5, window=timedelta(minutes=30))
    evaluate([world.reading(0, 7.0), world.reading(10, 6.5)], now=at(10))
    assert not Incident.objects.exists()
    evaluate([world.reading(20, 5.3)], now=at(20))
    assert Incident.objects.count() == 1


def test_late_reading_older_than_the_state_is_ignored(world: World):
    rule = world.rule(threshold=3.0, clear_threshold=3.5)
    evaluate([world.reading(10, 2.0)], now=at(10))
    evaluate([world.reading(5, 5.0)], now=at(11))
    assert states(rule) == ["firing"]


def test_detection_counts_fire_detection_rules(world: World):
    world.rule(
        source=Rule.Source.DETECTION, metric="brown_planthopper", condition=C.ABOVE, threshold=999
    )
    event = DetectionEvent(at(0), world.farm.pk, world.plot.pk, "cam-1", "brown_planthopper", 1200)
    [t] = evaluate_detections([event], now=at(0))
    assert t.new == "firing"
    assert Incident.objects.get().title.startswith("大棚 褐飞虱高于")  # the class as people say it


def test_linear_and_log_linear_dawn_projection_match_the_worked_example():
    tz = datetime.fromisoformat("2026-07-20T18:00:00+08:00").tzinfo
    f = project_dawn_oxygen(
        9.0,
        datetime(2026, 7, 20, 18, tzinfo=tz),
        7.2,
        datetime(2026, 7, 20, 21, tzinfo=tz),
        datetime(2026, 7, 21, 6, tzinfo=tz),
        3.0,
    )
    assert f.linear == pytest.approx(1.80)
    assert f.log_linear == pytest.approx(3.69, abs=0.01)
    assert f.floor_reached_at == datetime(2026, 7, 21, 4, tzinfo=tz)


def test_dawn_forecast_warns_at_the_evening_reading_and_clears_next_morning(world: World):
    world.rule(
        condition=C.DAWN_FORECAST,
        threshold=4.0,
        params={"critical_below": 2.0, "deadline": "07:00"},
    )
    local = datetime.fromisoformat("2026-07-20T18:00:00+08:00")

    def reading(when: datetime, value: float):
        r = world.reading(0, value)
        return type(r).at(when.astimezone(UTC), r.farm_id, r.site_id, r.dev_eui, "do", value)

    evaluate([reading(local, 9.0)], now=local)
    assert not Incident.objects.exists()
    [t] = evaluate([reading(local + timedelta(hours=3), 7.2)], now=local + timedelta(hours=3))
    assert t.new == "firing"
    incident = Incident.objects.get()
    # projected to 07:00: 7.2 − 0.6 × 10 = 1.2 mg/L, below the critical floor of 2.0
    assert incident.severity == "critical"
    assert "预计07:00降至1.2 mg/L" in incident.title
    morning = local + timedelta(hours=14)  # 08:00 next day
    [t] = evaluate([reading(morning, 5.0)], now=morning)
    assert t.new == "resolved"


def test_bridge_batches_are_accepted_as_the_bridge_builds_them(world: World):
    from vocabulary.events import ReadingEvent as BridgeReading

    world.rule(threshold=3.0)
    ns = int(datetime.now(UTC).timestamp() * 1e9)
    batch = [
        BridgeReading(1, "a000000000000001", world.pond1.pk, world.farm.pk, "do", 2.0, ns),
        BridgeReading(
            1, "a000000000000001", world.pond1.pk, world.farm.pk, "ph", None, ns, "fouled"
        ),
    ]
    transitions = on_bridge_readings(batch)
    assert {(t.target_key, t.new) for t in transitions} == {
        (f"site:{world.pond1.pk}", "firing"),
        ("probe:a000000000000001:ph", "firing"),
    }
    assert (
        Incident.objects.filter(rule__condition=C.PROBE_FAULT).get().title
        == "1号塘 pH探头故障：fouled"
    )


def test_gb11607_daily_rule_fires_after_eight_hours_at_or_below_five(world: World):
    rule_templates.seed()
    rule_templates.adopt(world.org.pk, ["grass_carp_pond"])
    Rule.objects.filter(organisation=world.org).exclude(template_key="gc.do.daily").delete()
    hourly = [world.reading(60 * h, 4.8 if h < 9 else 6.0) for h in range(12)]
    transitions = evaluate(hourly[:8], now=at(60 * 7))
    assert not Incident.objects.exists() and not transitions
    [t] = evaluate(hourly[8:9], now=at(60 * 8))
    assert t.new == "firing" and t.value == 8.0
    assert Incident.objects.get().title == "1号塘 溶解氧不高于5 mg/L累计8小时"
