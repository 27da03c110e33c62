"""Downlink commands. One FPort per command; a malformed command is ignored, not guessed at.

FPort 10  set reporting interval: u16 big-endian minutes, 1..1440
FPort 11  measure and send now: empty payload
FPort 12  set calibration: u8 channel, then two points (raw u16, value i16 x100) big-endian
          channel 1 = capacitive soil moisture (value in % VWC);
          channel 2 = pH electrode (raw = mV x10 as i16, value = buffer pH x100), calibrated
          at 25 degC
"""

PORT_INTERVAL = 10
PORT_MEASURE_NOW = 11
PORT_CALIBRATION = 12


def _i16(hi, lo):
    v = (hi << 8) | lo
    return v - 0x10000 if v & 0x8000 else v


def parse(port, data):
    """(command, args) or None for anything that is not a valid command."""
    if data is None:
        return None
    if port == PORT_INTERVAL:
        if len(data) != 2:
            return None
        minutes = (data[0] << 8) | data[1]
        if minutes < 1 or minutes > 1440:
            return None
        return ("interval", minutes)
    if port == PORT_MEASURE_NOW:
        return ("measure_now", None) if len(data) == 0 else None
    if port == PORT_CALIBRATION:
        if len(data) != 9 or data[0] not in (1, 2):
            return None
        ch = data[0]
        if ch == 1:
            raw1, raw2 = (data[1] << 8) | data[2], (data[5] << 8) | data[6]
        else:
            raw1, raw2 = _i16(data[1], data[2]) / 10, _i16(data[5], data[6]) / 10
        v1, v2 = _i16(data[3], data[4]) / 100, _i16(data[7], data[8]) / 100
        if raw1 == raw2:
            return None
        return ("calibration", (ch, raw1, v1, raw2, v2))
    return None
