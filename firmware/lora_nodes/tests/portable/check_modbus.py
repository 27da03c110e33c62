"""Modbus-RTU framing against the probes' documented frames."""

from fixtures import raises, unhex
from modbus import (
    ModbusCRCError,
    ModbusException,
    ModbusFrameError,
    parse_read_reply,
    read_request,
)
from modbus import (
    check_crc as crc_ok,
)
from soil_probe import decode_family_a, signed16


def check_domain_every_published_and_computed_frame_has_a_valid_crc(domain):
    frames = domain["modbus_crc16"]["frames"] + domain["modbus_crc16"]["computed"]
    for f in frames:
        assert crc_ok(unhex(f["frame"])), f["frame"]


def check_domain_requests_are_built_byte_for_byte(domain):
    for f in domain["modbus_crc16"]["frames"] + domain["modbus_crc16"]["computed"]:
        raw = unhex(f["frame"])
        if len(raw) == 8 and raw[1] == 3:
            start, count = (raw[2] << 8) | raw[3], (raw[4] << 8) | raw[5]
            assert read_request(raw[0], 3, start, count) == raw, f["frame"]


def check_moisture_reply_decodes_to_four_point_five_percent():
    regs = parse_read_reply(unhex("01 03 02 00 2D 78 59"), 1, 3, 1)
    assert regs == [45]
    assert regs[0] / 10 == 4.5


def check_domain_signed_temperature_register_decodes_computed_example(domain):
    for v in domain["soil_probe_decode"]:
        if "raw_hex" in v:
            raw = int(v["raw_hex"], 16)
            assert signed16(raw) / 10 == v["temperature_c"]


def check_family_a_register_block_maps_to_metrics():
    got = decode_family_a([312, 0xFF9C, 860, 65, 37, 12, 88])
    assert got == {
        "soil_vwc": 31.2,
        "soil_temp": -10.0,
        "soil_ec": 860,
        "soil_ph": 6.5,
        "soil_n": 37,
        "soil_p": 12,
        "soil_k": 88,
    }


def check_corrupted_reply_is_a_crc_error():
    assert raises(ModbusCRCError, parse_read_reply, unhex("01 03 02 00 2D 78 58"), 1, 3, 1)


def check_exception_reply_is_reported_with_its_code():
    from modbus import with_crc

    try:
        parse_read_reply(with_crc(bytes([1, 0x83, 2])), 1, 3, 1)
    except ModbusException as exc:
        assert exc.code == 2
    else:
        raise AssertionError("no exception")


def check_reply_from_another_address_is_refused():
    from modbus import with_crc

    reply = with_crc(bytes([2, 3, 2, 0, 45]))
    assert raises(ModbusFrameError, parse_read_reply, reply, 1, 3, 1)
