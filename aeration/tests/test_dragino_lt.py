"""Dragino LT-22222-L: ``.raw`` equals the vendor decoder, readings and downlinks are right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sensors.codecs import DecodeError, decode
from sensors.codecs.dragino_lt import relay_command
from vocabulary.metrics import CANONICAL_UNITS

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "dragino_lt22222l_vectors.json").read_text("utf-8")
)


def same_json(a, b) -> bool:
    """Equal values and the same JSON types (a string stays a string)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("v", VECTORS["vectors"], ids=lambda v: v["description"][:40])
def test_raw_output_equals_the_vendor_decoder(v):
    payload = bytes.fromhex(v["hex"])
    expected = v["vendor_output"]
    if expected is None or "errors" in expected:
        with pytest.raises(DecodeError):
            decode("dragino-lt22222l", v["fport"], payload)
        return
    decoded = decode("dragino-lt22222l", v["fport"], payload)
    assert same_json(decoded.raw, expected["data"]), (decoded.raw, expected["data"])
    for r in decoded.readings:
        assert CANONICAL_UNITS[r.metric] == r.unit


def test_relay_states_become_relay_readings():
    decoded = decode("dragino-lt22222l", 2, bytes.fromhex("04B004B02EE00FA080FF41"))
    values = {r.metric: r.value for r in decoded.readings}
    assert values == {"relay1": 1.0, "relay2": 0.0, "aci1_ma": 12.0, "aci2_ma": 4.0}


def test_trigger_mode_reports_no_relay_state():
    decoded = decode("dragino-lt22222l", 2, bytes.fromhex("A5C30F000000000000FF46"))
    assert decoded.readings == []


def test_relay_downlink_switches_one_relay_and_leaves_the_other():
    # Vendor manual table: 03 01 11 closes RO1, 03 00 11 opens it; 11 = no action.
    assert relay_command(1, True) == bytes.fromhex("030111")
    assert relay_command(1, False) == bytes.fromhex("030011")
    assert relay_command(2, True) == bytes.fromhex("031101")
    assert relay_command(2, False) == bytes.fromhex("031100")
    with pytest.raises(ValueError):
        relay_command(3, True)
