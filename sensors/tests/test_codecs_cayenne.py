"""Cayenne LPP: every published example, in whichever shape its source prints."""

from __future__ import annotations

import json
import struct

import pytest

from sensors.codecs import DecodeError, decode
from sensors.codecs.cayenne import TYPES

LPP_FILE = "cayenne_lpp_dev.json"


def _examples():
    from tests.shared import shared_data_dir

    path = shared_data_dir() / LPP_FILE
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        pytest.param(e, id=f"{e['expected_style']}-{e['hex'][:14]}-{i}")
        for i, e in enumerate(data["examples"])
    ]


@pytest.fixture(scope="module")
def types(load_shared_json):
    return load_shared_json(LPP_FILE)["types"]


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _items(payload: bytes) -> int:
    """Number of LPP items on the wire (decoding succeeded, so sizes are known)."""
    count, pos = 0, 0
    while pos < len(payload):
        pos += 2 + TYPES[payload[pos + 1]][1]
        count += 1
    return count


def _lsb(types, key: str) -> float:
    row = next(t for t in types if t["chirpstack_v4_object_key"] == key)
    return float(str(row["resolution_per_bit"]).split()[0])


def _by_name(types, name: str) -> str:
    """ChirpStack key for an encoder/TTS field name such as ``relative_humidity``."""
    for t in types:
        tts = (t["tts_v3_decoded_payload_key"] or "").removesuffix("_<channel>")
        if name in (t["electroniccats_decoder_js_name"], tts):
            return t["chirpstack_v4_object_key"]
    raise KeyError(name)


@pytest.mark.parametrize("example", _examples())
def test_published_example_decodes_as_its_source_says(example, types):
    payload = bytes.fromhex(example["hex"])
    style, expected = example["expected_style"], example["expected"]
    if style == "tts_v3_downlink" or "error" in expected:
        with pytest.raises(DecodeError):
            decode("cayenne-lpp", 1, payload)
        return
    raw = decode("cayenne-lpp", 1, payload).raw
    if style.startswith("chirpstack"):
        assert raw == expected
    elif style == "channel_list":
        key_of = {t["lpp_type"]: t["chirpstack_v4_object_key"] for t in types}
        for item in expected:
            assert raw[key_of[item["type"]]][str(item["channel"])] == item["value"]
    elif style == "tts_v3_decoded_payload":
        flat = {}
        for t in types:
            prefix = (t["tts_v3_decoded_payload_key"] or "").removesuffix("_<channel>")
            for channel, value in raw.get(t["chirpstack_v4_object_key"], {}).items():
                if isinstance(value, dict):
                    value = {k: _float32(v) for k, v in value.items()}
                else:
                    value = _float32(value)
                flat[f"{prefix}_{channel}"] = value
        assert flat == expected
    elif style == "electroniccats_test_assertion":
        assert _items(payload) == expected["fields"]
        first_key = next(iter(raw))
        first = next(iter(raw[first_key].values()))
        assert first == pytest.approx(expected["first_value"], abs=expected["tolerance"])
    elif style == "electroniccats_encoder_test":
        for field, value in expected["encoder_input"].items():
            name, _, channel = field.rpartition("_")
            key = _by_name(types, name)
            got = raw[key][channel]
            if isinstance(value, dict):
                lsb = {"latitude": 0.0001, "longitude": 0.0001, "altitude": 0.01}
                for part, v in value.items():
                    assert got[part] == pytest.approx(v, abs=lsb[part] * 1.0001)
            else:
                assert got == pytest.approx(value, abs=_lsb(types, key) * 1.0001)
    else:
        pytest.fail(f"unknown example style {style}")


def test_gps_bytes_from_a_truncating_encoder_decode_to_the_lower_value():
    raw = decode("cayenne-lpp", 1, bytes.fromhex("018806765EF2960A0003E8")).raw
    assert raw["gpsLocation"]["1"] == {"latitude": 42.3518, "longitude": -87.9094, "altitude": 10}


def test_type_table_matches_the_published_sizes_and_signedness(types):
    for t in types:
        if t["chirpstack_v4_object_key"] is None:
            assert t["lpp_type"] not in TYPES  # Polyline: no network server decodes it
            continue
        key, size, _, signed, _ = TYPES[t["lpp_type"]]
        assert (key, size, signed) == (
            t["chirpstack_v4_object_key"],
            t["data_size_bytes"],
            t["signed"],
        )


def test_every_type_round_trips_on_channels_3_and_5():
    payload = b""
    for kind, (_, size, _, _, _) in TYPES.items():
        for channel in (3, 5):
            payload += bytes([channel, kind]) + bytes(range(1, size + 1))
    raw = decode("cayenne-lpp", 2, payload).raw
    assert set(raw) == {spec[0] for spec in TYPES.values()}
    assert all(set(channels) == {"3", "5"} for channels in raw.values())


def test_unsigned_four_byte_values_do_not_overflow():
    raw = decode("cayenne-lpp", 1, bytes.fromhex("0164FFFEFDFC")).raw
    assert raw == {"genericSensor": {"1": 4294901244}}


def test_truncated_temperature_is_an_error_not_minus_a_tenth():
    with pytest.raises(DecodeError, match="needs 2 bytes"):
        decode("cayenne-lpp", 1, bytes.fromhex("0567FF"))


def test_dangling_byte_after_last_item_is_an_error():
    with pytest.raises(DecodeError, match="dangling"):
        decode("cayenne-lpp", 1, bytes.fromhex("03670110 05".replace(" ", "")))


def test_temperature_humidity_and_voltage_become_canonical_readings():
    decoded = decode("cayenne-lpp", 1, bytes.fromhex("0367011002686C077401F4"))
    got = {r.metric: r.value for r in decoded.readings}
    assert got == {"air_temp": 27.2, "air_rh": 54.0, "battery_v": 5.0}
