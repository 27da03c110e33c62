"""Vendor profiles: ``.raw`` equals the official decoder on every published example."""

from __future__ import annotations

import math

import pytest

from sensors.codecs import DecodeError, decode
from sensors.codecs.sensecap import crc16_kermit
from vocabulary.metrics import CANONICAL_UNITS

VECTORS_FILE = "vendor_vectors_dev.json"


def _gate_vectors():
    """Examples marked consistent with the vendor decoder, loaded when pytest collects."""
    from tests.shared import shared_data_dir

    path = shared_data_dir() / VECTORS_FILE
    if not path.is_file():
        return []
    import json

    vectors = json.loads(path.read_text(encoding="utf-8"))
    return [
        pytest.param(v, id=f"{v['profile']}-{v['hex'][:16]}-{i}")
        for i, v in enumerate(vectors)
        if v.get("consistent_with_decoder") is True
    ]


def same_json_types(a, b) -> bool:
    """Equal values *and* the same JSON types: a string stays a string, a number a number."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json_types(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json_types(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def assert_canonical(decoded) -> None:
    for r in decoded.readings:
        assert CANONICAL_UNITS[r.metric] == r.unit
        if r.fault:
            assert r.value is None
        else:
            assert isinstance(r.value, float | int) and math.isfinite(r.value)


@pytest.mark.parametrize("vector", _gate_vectors())
def test_raw_output_equals_the_vendor_decoder(vector):
    payload = bytes.fromhex(vector["hex"])
    fport = vector["fport"] if vector["fport"] is not None else 85
    if vector.get("expected_errors") and vector.get("expected") is None:
        with pytest.raises(DecodeError):
            decode(vector["profile"], fport, payload)
        return
    decoded = decode(vector["profile"], fport, payload)
    assert decoded.raw == vector["expected"]
    assert same_json_types(decoded.raw, vector["expected"])
    assert_canonical(decoded)


def test_gate_vectors_are_present(load_shared_json):
    vectors = load_shared_json(VECTORS_FILE)
    assert sum(1 for v in vectors if v.get("consistent_with_decoder") is True) >= 10


def test_field_captures_agree_numerically_with_lse01_readings(load_shared_json):
    for v in load_shared_json(VECTORS_FILE):
        if v["profile"] != "dragino-lse01" or v["source_kind"] != "field_capture":
            continue
        decoded = decode("dragino-lse01", v["fport"], bytes.fromhex(v["hex"]))
        got = {r.metric: r.value for r in decoded.readings}
        assert got["soil_temp"] == pytest.approx(float(v["expected"]["temp_SOIL"].split()[0]))
        assert got["battery_v"] == pytest.approx(float(v["expected"]["Bat"].split()[0]))


# --- readings: canonical metrics and units -------------------------------------------------


def _readings(profile: str, fport: int, hexstr: str) -> dict[str, float | None]:
    decoded = decode(profile, fport, bytes.fromhex(hexstr))
    assert_canonical(decoded)
    return {r.metric: r.value for r in decoded.readings}


def test_lse01_readings_are_soil_metrics_in_canonical_units():
    got = _readings("dragino-lse01", 2, "CE2900F107A5099B6E2890")
    assert got == {"battery_v": 3.625, "soil_vwc": 19.57, "soil_temp": 24.59, "soil_ec": 28200}


def test_lse01_negative_soil_temperature_keeps_vendor_quirk_in_raw_only():
    payload = bytes.fromhex("CE2900F107A5FF9C6E2890")  # soil temperature word 0xFF9C = -1.00
    decoded = decode("dragino-lse01", 2, payload)
    assert decoded.raw["temp_SOIL"] == "-0.99"
    assert {r.metric: r.value for r in decoded.readings}["soil_temp"] == -1.0


def test_lsph01_temperature_is_tenths_of_a_degree():
    got = _readings("dragino-lsph01", 2, "0D230000025400F9000001")
    assert got["soil_temp"] == 24.9 and got["soil_ph"] == 5.96


def test_ldds75_five_byte_frame_keeps_vendor_swap_in_raw_and_fixes_readings():
    decoded = decode("dragino-ldds75", 2, bytes.fromhex("0E1C0B0500"))
    assert decoded.raw == {"value": 2821, "distance": 3612}
    got = {r.metric: r.value for r in decoded.readings}
    assert got == {"battery_v": 3.612, "water_level": 282.1}


def test_ldds75_zero_distance_is_a_no_sensor_fault():
    decoded = decode("dragino-ldds75", 2, bytes.fromhex("0E1C000000"))
    faults = {r.metric: r.fault for r in decoded.readings}
    assert faults == {"battery_v": None, "water_level": "no_sensor"}


def test_lht65_poll_reply_is_refused():
    with pytest.raises(DecodeError, match="poll"):
        decode("dragino-lht65", 2, bytes.fromhex("CBF60B0D0376410ADD7FFF"))


def test_em500_smtc_follows_the_official_decoder_keys():
    decoded = decode("milesight-em500-smtc", 85, bytes.fromhex("01755C03673401046865057FF000"))
    assert decoded.raw == {"battery": 92, "temperature": 30.8, "moisture": 50.5, "electricity": 240}
    got = {r.metric: r.value for r in decoded.readings}
    assert got == {"battery_pct": 92, "soil_temp": 30.8, "soil_vwc": 50.5, "soil_ec": 240}


def test_em500_smtc_temperature_error_marker_is_a_fault_not_minus_a_tenth():
    decoded = decode("milesight-em500-smtc", 85, bytes.fromhex("01755C0367FFFF"))
    assert decoded.raw["temperature"] == -0.1  # vendor bug kept in raw
    faults = {r.metric: r.fault for r in decoded.readings}
    assert faults["soil_temp"] == "collection_failed"


def test_em500_smtc_ec_error_marker_is_reported_like_the_official_decoder():
    decoded = decode("milesight-em500-smtc", 85, bytes.fromhex("01755C057FFDFF"))
    assert decoded.raw == {"battery": 92, "electricity_error": "out of range"}


def test_frame_with_only_faulted_readings_is_a_decode_error():
    with pytest.raises(DecodeError, match="no valid reading"):
        decode("milesight-em500-smtc", 85, bytes.fromhex("0367FFFF"))


def test_em500_swl_level_is_water_level_in_cm():
    assert _readings("milesight-em500-swl", 85, "01755C03775E01") == {
        "battery_pct": 92,
        "water_level": 350,
    }


def test_em300_th_history_record_has_no_live_reading():
    decoded = decode("milesight-em300-th", 85, bytes.fromhex("20CE9E74466310015D00"))
    assert decoded.readings == []


def test_s210x_telemetry_maps_to_canonical_metrics():
    got = _readings("sensecap-s210x", 1, "01011098530000010210A87A0000AF51")
    assert got == {"air_temp": 21.4, "air_rh": 31.4}


def test_s210x_ec_in_ds_per_m_becomes_us_per_cm():
    # channel 1, id 4108 (0x100C), value 1234 -> 1.234 dS/m
    frame = bytes([1, 0x0C, 0x10]) + (1234).to_bytes(4, "little")
    decoded = decode("sensecap-s210x", 1, frame + crc16_kermit(frame).to_bytes(2, "little"))
    assert decoded.raw["messages"][0]["measurementValue"] == 1.234
    assert [(r.metric, r.value) for r in decoded.readings] == [("soil_ec", 1234.0)]


def test_s210x_crc_matches_the_published_frames(load_shared_json):
    for v in load_shared_json(VECTORS_FILE):
        if v["profile"] == "sensecap-s210x" and v["consistent_with_decoder"] is True:
            payload = bytes.fromhex(v["hex"])
            assert crc16_kermit(payload[:-2]) == int.from_bytes(payload[-2:], "little")


def test_s210x_corrupted_frame_is_refused_by_its_crc():
    payload = bytearray.fromhex("01011098530000010210A87A0000AF51")
    payload[4] ^= 0x01
    with pytest.raises(DecodeError, match="CRC mismatch"):
        decode("sensecap-s210x", 1, bytes(payload))


def test_decentlab_optod_gives_do_saturation_and_water_temperature():
    got = _readings("decentlab-dl-optod", 1, "02186C000300008862A618836583650C60")
    assert got == {"water_temp": 21.46, "do": 8.69, "do_sat": 97.52, "battery_v": 3.168}


def test_decentlab_battery_only_frame_leaves_sensor_keys_out():
    decoded = decode("decentlab-dl-optod", 1, bytes.fromhex("02186C00020C60"))
    assert decoded.raw == {
        "protocol_version": 2,
        "device_id": 6252,
        "battery_voltage": {"displayName": "Battery voltage", "unit": "V", "value": 3.168},
    }


def test_decentlab_nonzero_probe_status_faults_the_block():
    decoded = decode("decentlab-dl-optod", 1, bytes.fromhex("02186C000300018862A618836583650C60"))
    faults = {r.metric: r.fault for r in decoded.readings}
    assert faults == {
        "water_temp": "status_1",
        "do": "status_1",
        "do_sat": "status_1",
        "battery_v": None,
    }


def test_decentlab_ctd10_depth_in_mm_becomes_centimetres():
    got = _readings("decentlab-dl-ctd10", 1, "0207D9000390888081006400000C60")
    assert got["water_level"] == 423.2 and got["water_temp"] == 12.9


def test_decentlab_smtp_unfitted_top_sensor_is_a_fault():
    payload = bytes.fromhex("020B500003" + "0000" * 16 + "0B3B")
    decoded = decode("decentlab-dl-smtp", 1, payload)
    assert decoded.raw["soil_temperature_at_depth_0"]["value"] == -327.68
    assert [(r.metric, r.fault) for r in decoded.readings][0] == ("soil_temp", "no_sensor")


def test_tektelic_readings_are_air_metrics():
    got = _readings("tektelic-agriculture", 10, "0104056E0202035C09650D570B6700AD0B68A5")
    assert got == {"air_temp": 17.3, "air_rh": 82.5}


def test_tektelic_battery_group_and_watermark_like_the_vendor():
    decoded = decode("tektelic-agriculture", 10, bytes.fromhex("00BA7F0302044C0504076C"))
    raw = decoded.raw
    assert raw["Battery Status"] == {"level": 3.77, "eos_alert": 0}
    assert raw["input3_voltage"] == 1100 and raw["input5_frequency"] == 1900
    temperature = -31.96 * math.log(1100) + 213.25
    assert raw["temperature1"] == temperature
    assert raw["adj_watermark1"] == (35 - (1900 - 1110) * 0.001170) * (
        1 - 0.019 * (temperature - 24)
    )


# --- refusals ------------------------------------------------------------------------------

REFUSED = [
    ("dragino-lse01", 2, "CE2900F107A5099B6E28", "10 bytes"),
    ("dragino-lse01", 5, "CE2900F107A5099B6E2890", "FPort"),
    ("dragino-lsnpk01", 2, "", "0 bytes"),
    ("dragino-ldds75", 2, "0E1C0B", "3 bytes"),
    ("dragino-lht65", 2, "CBF60B0D0376010ADD7F", "10 bytes"),
    ("dragino-lht65", 2, "CBF60B0D0376020ADD7FFF", "reserved external"),
    ("milesight-em500-smtc", 85, "0175", "needs 1 bytes"),
    ("milesight-em500-swl", 85, "017564037702", "needs 2 bytes"),
    ("milesight-em300-th", 85, "0175320999", "unknown record"),
    ("milesight-em300-th", 85, "", "empty"),
    ("sensecap-s210x", 1, "0000000101000100", "7-byte frames"),
    ("decentlab-dl-optod", 1, "03186C00020C60", "protocol version 3"),
    ("decentlab-dl-optod", 1, "02186C000300008862", "need"),
    ("decentlab-dl-pr26", 1, "02016700073E8060170C7F", "flags"),
    ("decentlab-dl-ctd10", 1, "0207D9000390888081006400000C6000", "need"),
    ("tektelic-agriculture", 10, "0104056E0B67", "needs 2 value bytes"),
    ("tektelic-agriculture", 10, "7F01", "unknown header"),
    ("tektelic-agriculture", 11, "0104056E", "fPort 11"),
]


@pytest.mark.parametrize(("profile", "fport", "hexstr", "reason"), REFUSED)
def test_malformed_payload_is_a_decode_error_with_a_reason(profile, fport, hexstr, reason):
    with pytest.raises(DecodeError, match=reason):
        decode(profile, fport, bytes.fromhex(hexstr))
