"""The project's compact uplink codec, version 1 (specified in PAYLOAD.md).

Runs unchanged on MicroPython and CPython: no f-strings, dataclasses or typing at
runtime. ``encode`` never invents a number: a faulted probe, NaN or a value outside
the field's range goes out as an explicit fault code.
"""

import math

VERSION = 1
FPORT = 1

# Fault reason <-> code; the code travels in the value bytes of a faulted field.
FAULTS = ("fault", "no_response", "crc_error", "out_of_range", "not_calibrated", "warming_up")


def fault_code(reason):
    """Code 1..6 for a fault reason (``None`` means an unspecified fault)."""
    if reason is None:
        return 1
    for i in range(len(FAULTS)):
        if FAULTS[i] == reason:
            return i + 1
    raise ValueError("unknown fault reason %r" % (reason,))


# (metric, struct kind, multiplier, low, high). Kinds: "u8", "u16", "i16"; the wire value
# is round(value * multiplier); resolution is 1 / multiplier.
SOIL_CORE = (
    ("soil_vwc", "u16", 10, 0.0, 100.0),
    ("soil_temp", "i16", 100, -40.0, 85.0),
    ("soil_ec", "u16", 1, 0.0, 65535.0),
    ("battery_v", "u8", 50, 0.0, 5.1),
)
WATER_CORE = (
    ("do", "u16", 100, 0.0, 50.0),
    ("water_temp", "i16", 100, -40.0, 85.0),
    ("ph", "u16", 100, 0.0, 14.0),
    ("battery_v", "u8", 50, 0.0, 5.1),
)
# Extension records: id -> (metric, kind, multiplier, low, high).
EXTENSIONS = {
    0x01: ("soil_ph", "u16", 100, 0.0, 14.0),
    0x02: ("soil_n", "u16", 1, 0.0, 65535.0),
    0x03: ("soil_p", "u16", 1, 0.0, 65535.0),
    0x04: ("soil_k", "u16", 1, 0.0, 65535.0),
    0x05: ("air_temp", "i16", 100, -40.0, 85.0),
    0x06: ("air_rh", "u16", 10, 0.0, 100.0),
    0x07: ("do_sat", "u16", 10, 0.0, 500.0),
    0x08: ("orp", "i16", 1, -2000.0, 2000.0),
    0x09: ("tan", "u16", 100, 0.0, 600.0),
    0x0A: ("nitrite", "u16", 1000, 0.0, 65.0),
    0x0B: ("salinity", "u16", 100, 0.0, 80.0),
    0x0C: ("turbidity", "u16", 10, 0.0, 6000.0),
    0x0D: ("water_level", "i16", 10, -1000.0, 3000.0),
    0x0E: ("battery_pct", "u8", 1, 0.0, 100.0),
}
AGE_ID = 0x3F  # minutes since the measurement, u16; only on backlog frames
EXT_FAULT = 0x80  # bit 7 of an extension id byte: the value bytes carry a fault code

FLAG_WATER = 0x08
FLAG_EVENT = 0x04
FLAG_BACKLOG = 0x02
FLAG_CONTINUATION = 0x01

SIZES = {"u8": 1, "u16": 2, "i16": 2}


def _core_for(node_type):
    if node_type == "soil":
        return SOIL_CORE
    if node_type == "water":
        return WATER_CORE
    raise ValueError("node_type must be 'soil' or 'water', not %r" % (node_type,))


def _ext_id(metric):
    for ext_id in EXTENSIONS:
        if EXTENSIONS[ext_id][0] == metric:
            return ext_id
    return None


def _put(buf, kind, n):
    if kind == "u8":
        buf.append(n & 0xFF)
    else:
        n &= 0xFFFF
        buf.append(n >> 8)
        buf.append(n & 0xFF)


def _quantise(field, value):
    """(fault_code, wire_int); fault_code 0 means the value is valid."""
    metric, kind, mult, low, high = field
    if value is None or isinstance(value, str):
        return fault_code(value), 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s: expected a number, None or a fault reason" % metric)
    if value != value or value < low or value > high:  # NaN or out of the field's range
        return fault_code("out_of_range"), 0
    return 0, int(math.floor(value * mult + 0.5))


def _header(node_type, event, age_min, continuation):
    h = VERSION << 4
    if node_type == "water":
        h |= FLAG_WATER
    if event:
        h |= FLAG_EVENT
    if age_min is not None:
        h |= FLAG_BACKLOG
    if continuation:
        h |= FLAG_CONTINUATION
    return h


def _check_keys(core, readings):
    for metric in readings:
        if _ext_id(metric) is None:
            known = False
            for field in core:
                if field[0] == metric:
                    known = True
            if not known:
                raise ValueError("metric %r has no field in this node's payload" % (metric,))


def _core_record(core, readings):
    status = 0
    body = bytearray()
    for i in range(len(core)):
        field = core[i]
        kind = field[1]
        if field[0] not in readings:
            status |= 1 << (2 * i)  # not measured
            _put(body, kind, 0)
            continue
        code, n = _quantise(field, readings[field[0]])
        if code:
            status |= 2 << (2 * i)
            _put(body, kind, code)
        else:
            _put(body, kind, n)
    return bytes([status]) + bytes(body)


def _ext_records(readings):
    out = []
    for ext_id in sorted(EXTENSIONS):
        field = EXTENSIONS[ext_id]
        if field[0] not in readings:
            continue
        code, n = _quantise(field, readings[field[0]])
        rec = bytearray()
        if code:
            rec.append(ext_id | EXT_FAULT)
            _put(rec, field[1], code)
        else:
            rec.append(ext_id)
            _put(rec, field[1], n)
        out.append(bytes(rec))
    return out


def _age_record(age_min):
    minutes = int(age_min)
    if minutes < 0:
        raise ValueError("age_min must be >= 0")
    if minutes > 0xFFFF:
        minutes = 0xFFFF  # saturates: "at least 45 days old"
    return bytes([AGE_ID, minutes >> 8, minutes & 0xFF])


def encode(node_type, readings, event=False, age_min=None):
    """One frame: header, core record, then every extension record present."""
    core = _core_for(node_type)
    _check_keys(core, readings)
    out = bytearray([_header(node_type, event, age_min, False)])
    out += _core_record(core, readings)
    if age_min is not None:
        out += _age_record(age_min)
    for rec in _ext_records(readings):
        out += rec
    return bytes(out)


def encode_frames(node_type, readings, limit, event=False, age_min=None):
    """Split one measurement into frames of at most ``limit`` bytes.

    The first frame holds the core record and as many extension records as fit; the
    rest go in continuation frames (header + records). Used at CN470 DR1 (23 bytes).
    """
    core = _core_for(node_type)
    _check_keys(core, readings)
    first = bytearray([_header(node_type, event, age_min, False)])
    first += _core_record(core, readings)
    prefix = b""
    if age_min is not None:
        prefix = _age_record(age_min)
        first += prefix
    if len(first) > limit:
        raise ValueError("limit %d is below the core record" % limit)
    frames = [first]
    cont_header = bytes([_header(node_type, event, age_min, True)])
    for rec in _ext_records(readings):
        if len(frames[-1]) + len(rec) > limit:
            frames.append(bytearray(cont_header + prefix))
        frames[-1] += rec
    return [bytes(f) for f in frames]
