"""The native-soil / native-water decoders against the firmware's shared vectors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.codecs.base import DecodeError
from sensors.codecs.native import decode_soil, decode_water

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "lora_nodes"
VECTORS = json.loads((FIRMWARE / "vectors.json").read_text(encoding="utf-8"))
DECODERS = {"soil": decode_soil, "water": decode_water}


def _firmware_payload():
    sys.path.insert(0, str(FIRMWARE / "lib"))
    try:
        import payload
    finally:
        sys.path.remove(str(FIRMWARE / "lib"))
    return payload


payload = _firmware_payload()


def _as_expected(decoded) -> dict:
    return {r.metric: {"fault": r.fault} if r.fault else r.value for r in decoded.readings}


def _close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for metric, value in want.items():
        if isinstance(value, dict):
            assert got[metric] == value, metric
        else:
            assert got[metric] == pytest.approx(value, abs=1e-9), metric


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vector_decodes_to_its_stated_readings(vector: dict) -> None:
    decoded = DECODERS[vector["node_type"]](VECTORS["fport"], bytes.fromhex(vector["hex"]))
    _close(_as_expected(decoded), vector["decoded"])
    assert decoded.raw["event"] is vector["event"]
    assert decoded.raw.get("age_min") == vector["age_min"]


@pytest.mark.parametrize("vector", VECTORS["frames"], ids=lambda v: v["name"])
def test_split_frames_together_decode_to_the_measurement(vector: dict) -> None:
    merged: dict = {}
    for frame in vector["hex"]:
        decoded = DECODERS[vector["node_type"]](VECTORS["fport"], bytes.fromhex(frame))
        assert decoded.raw.get("age_min") == vector["age_min"]
        merged.update(_as_expected(decoded))
    _close(merged, vector["decoded"])


def test_faulted_probe_becomes_reading_with_no_value_and_a_reason() -> None:
    decoded = decode_soil(1, bytes.fromhex("10620001FC18000200"))
    by_metric = {r.metric: r for r in decoded.readings}
    assert by_metric["soil_vwc"].value is None
    assert by_metric["soil_vwc"].fault == "fault"
    assert by_metric["soil_ec"].fault == "no_response"
    assert by_metric["soil_temp"].value == -10.0
    assert "battery_v" not in by_metric
    assert decoded.raw["faults"] == {"soil_vwc": "fault", "soil_ec": "no_response"}


@pytest.mark.parametrize(
    ("fport", "hexstr", "reason"),
    [
        (2, "100000EA072104E2B5", "fport 2"),
        (1, "", "empty"),
        (1, "100000EA0721", "core record needs"),
        (1, "200000EA072104E2B5", "unknown payload version 2"),
        (1, "000000EA072104E2B5", "unknown payload version 0"),
        (1, "180002AD0AAA030EB2", "water frame on the native-soil profile"),
        (1, "10C000EA072104E2B5", "reserved status"),
        (1, "104000EA072104E2B5", "battery_v not measured but"),
        (1, "100000EA072104E2B510", "unknown extension id 0x10"),
        (1, "100000EA072104E2B541", "reserved bit 6"),
        (1, "100000EA072104E2B50102", "cut short"),
        (1, "100000EA072104E2B5010200010203", "repeated"),
        (1, "100007D0072104E2B5", "soil_vwc 200.0 outside its field range"),
        (1, "100200070721000000", "reserved fault code 7"),
        (1, "120000EA072104E2B5", "backlog frame without an age record"),
        (1, "100000EA072104E2B53F0001", "not flagged as backlog"),
        (1, "11", "continuation frame without extension records"),
        (1, "123F0001", "core record needs"),
    ],
)
def test_malformed_frame_raises_decode_error_with_reason(
    fport: int, hexstr: str, reason: str
) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_soil(fport, bytes.fromhex(hexstr))


_finite = st.floats(allow_nan=False, allow_infinity=False)
_soil_readings = st.fixed_dictionaries(
    {},
    optional={
        "soil_vwc": st.floats(0, 100),
        "soil_temp": st.floats(-40, 85),
        "soil_ec": st.integers(0, 65535),
        "battery_v": st.one_of(st.floats(0, 5.1), st.none(), st.just("no_response")),
        "soil_ph": st.floats(0, 14),
        "soil_n": st.integers(0, 65535),
        "air_rh": st.one_of(st.floats(0, 100), _finite),
        "water_level": st.floats(-1000, 3000),
    },
)


@settings(max_examples=300, deadline=None)
@given(readings=_soil_readings, age=st.one_of(st.none(), st.integers(0, 65535)))
def test_firmware_encoding_decodes_back_within_resolution(readings: dict, age) -> None:
    decoded = decode_soil(1, payload.encode("soil", readings, age_min=age))
    got = _as_expected(decoded)
    assert got.keys() == readings.keys()
    for metric, value in readings.items():
        if value is None or isinstance(value, str):
            assert got[metric] == {"fault": value or "fault"}
        elif metric == "air_rh" and not 0 <= value <= 100:
            assert got[metric] == {"fault": "out_of_range"}
        else:
            resolution = {"soil_vwc": 0.1, "air_rh": 0.1, "water_level": 0.1, "battery_v": 0.02}
            assert got[metric] == pytest.approx(value, abs=resolution.get(metric, 0.01) / 2 + 1e-9)
    assert decoded.raw.get("age_min") == age


@settings(max_examples=3000, deadline=None)
@given(fport=st.sampled_from([0, 1, 1, 1, 2, 224]), data=st.binary(max_size=40))
def test_random_bytes_only_ever_raise_decode_error(fport: int, data: bytes) -> None:
    for decoder in (decode_soil, decode_water):
        try:
            decoder(fport, data)
        except DecodeError:
            pass


@settings(max_examples=1000, deadline=None)
@given(data=st.binary(min_size=0, max_size=30))
def test_random_bodies_behind_a_valid_header_only_ever_raise_decode_error(data: bytes) -> None:
    for header, decoder in ((0x10, decode_soil), (0x18, decode_water), (0x11, decode_soil)):
        try:
            decoder(1, bytes([header]) + data)
        except DecodeError:
            pass
