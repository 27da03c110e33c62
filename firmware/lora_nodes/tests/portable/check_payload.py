"""Codec checks run under CPython (pytest) and the MicroPython unix port alike."""

import payload
from fixtures import load_vectors, raises, unhex


def check_every_vector_encodes_to_its_hex():
    for v in load_vectors()["vectors"]:
        got = payload.encode(v["node_type"], v["readings"], v["event"], v["age_min"])
        assert got == unhex(v["hex"]), v["name"]


def check_split_vectors_encode_to_their_frames():
    for v in load_vectors()["frames"]:
        frames = payload.encode_frames(
            v["node_type"], v["readings"], v["limit"], v["event"], v["age_min"]
        )
        assert [f.hex().upper() for f in frames] == v["hex"], v["name"]
        for f in frames:
            assert len(f) <= v["limit"]


def check_core_records_fit_in_eleven_bytes():
    soil = {"soil_vwc": 1.0, "soil_temp": 1.0, "soil_ec": 1, "battery_v": 3.0}
    water = {"do": 1.0, "water_temp": 1.0, "ph": 7.0, "battery_v": 3.0}
    assert len(payload.encode("soil", soil)) <= 11
    assert len(payload.encode("water", water)) <= 11


def check_backlog_core_frame_fits_cn470_dr1():
    frame = payload.encode("water", {"do": 5.0}, age_min=600)
    assert len(frame) <= 23


def check_fault_is_never_a_number():
    frame = payload.encode("soil", {"soil_vwc": None})
    assert frame[1] & 0x03 == 0x02
    assert frame[2:4] == b"\x00\x01"


def check_out_of_range_value_becomes_fault_not_clamped():
    frame = payload.encode("water", {"do": 99.0})
    assert frame[1] & 0x03 == 0x02
    assert frame[3] == 4


def check_nan_becomes_out_of_range_fault():
    frame = payload.encode("soil", {"soil_temp": float("nan")})
    assert (frame[1] >> 2) & 0x03 == 0x02
    assert frame[5] == 4


def check_unknown_node_type_is_refused():
    assert raises(ValueError, payload.encode, "air", {})


def check_metric_without_a_field_is_refused():
    assert raises(ValueError, payload.encode, "soil", {"do": 5.0})
    assert raises(ValueError, payload.encode, "soil", {"rssi": -80})


def check_unknown_fault_reason_is_refused():
    assert raises(ValueError, payload.encode, "soil", {"soil_vwc": "melted"})


def check_non_number_value_is_refused():
    assert raises(TypeError, payload.encode, "soil", {"soil_vwc": [1]})
    assert raises(TypeError, payload.encode, "soil", {"soil_vwc": True})


def check_age_saturates_at_sixteen_bits():
    frame = payload.encode("soil", {}, age_min=100000)
    assert frame[9:12] == b"\x3f\xff\xff"


def check_split_limit_below_core_is_refused():
    assert raises(ValueError, payload.encode_frames, "soil", {}, 8)


def check_rounding_is_half_up_at_resolution():
    frame = payload.encode("water", {"ph": 7.125})
    assert frame[6:8] == bytes([0x02, 0xC9])  # 713 -> 7.13
