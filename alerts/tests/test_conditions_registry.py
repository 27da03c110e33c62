"""Every alert condition is one registered class that says where it is evaluated."""

from __future__ import annotations

from alerts import conditions
from alerts.models import Rule

C = Rule.Condition


def test_every_rule_condition_has_a_registered_class():
    assert set(conditions.registered()) == set(C.values)


def test_each_condition_is_evaluated_on_the_stream_or_by_beat():
    for key, condition in conditions.registered().items():
        assert condition.on_stream or condition.on_beat, key


def test_beat_conditions_are_no_data_gateways_and_the_battery_register():
    beat = {k for k, c in conditions.registered().items() if c.on_beat}
    assert beat == {C.NO_DATA, C.GATEWAY_SILENT, C.BATTERY_BELOW}
    assert C.GATEWAY_SILENT not in conditions.on_stream()


def test_only_the_probe_fault_condition_is_made_by_the_engine():
    assert conditions.engine_owned() == {C.PROBE_FAULT}


def test_a_clear_level_is_taken_by_the_threshold_and_band_conditions_only():
    takes = {k for k, c in conditions.registered().items() if c.takes_clear}
    assert takes == {C.ABOVE, C.BELOW, C.BATTERY_BELOW, C.OUTSIDE, C.RATE}
