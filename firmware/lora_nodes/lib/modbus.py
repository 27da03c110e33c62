"""Modbus-RTU master over an RS485 UART: CRC-16/MODBUS, timeouts, retries.

CRC: reflected polynomial 0xA001, initial value 0xFFFF, appended low byte first.
"""


class ModbusError(Exception):
    """Base of the failures a probe read can end in; ``fault`` names the payload fault."""

    fault = "fault"


class ModbusTimeout(ModbusError):
    fault = "no_response"


class ModbusCRCError(ModbusError):
    fault = "crc_error"


class ModbusFrameError(ModbusError):
    fault = "crc_error"  # a reply that does not parse is as untrustworthy as a bad CRC


class ModbusException(ModbusError):
    """The slave answered with an exception code (function | 0x80)."""

    fault = "fault"

    def __init__(self, code):
        super().__init__("modbus exception %d" % code)
        self.code = code


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xA001
            else:
                crc >>= 1
    return crc


def with_crc(frame):
    crc = crc16(frame)
    return bytes(frame) + bytes([crc & 0xFF, crc >> 8])


def check_crc(frame):
    if len(frame) < 4:
        return False
    crc = crc16(frame[:-2])
    return frame[-2] == (crc & 0xFF) and frame[-1] == (crc >> 8)


def read_request(address, function, start, count):
    return with_crc(bytes([address, function, start >> 8, start & 0xFF, count >> 8, count & 0xFF]))


def parse_read_reply(reply, address, function, count):
    """Register values of a read reply, or the matching ModbusError."""
    if len(reply) < 5:
        raise ModbusFrameError("reply of %d bytes" % len(reply))
    if not check_crc(reply):
        raise ModbusCRCError("bad CRC")
    if reply[0] != address:
        raise ModbusFrameError("reply from address %d" % reply[0])
    if reply[1] == function | 0x80:
        raise ModbusException(reply[2])
    if reply[1] != function or reply[2] != 2 * count or len(reply) != 5 + 2 * count:
        raise ModbusFrameError("unexpected reply layout")
    regs = []
    for i in range(count):
        regs.append((reply[3 + 2 * i] << 8) | reply[4 + 2 * i])
    return regs


class ModbusRTU:
    """Half-duplex master: drives the transceiver's DE/RE pin around each request."""

    def __init__(self, uart, clock, de_pin=None, timeout_ms=500, retries=3, gap_ms=50):
        self.uart = uart
        self.clock = clock
        self.de = de_pin
        self.timeout_ms = timeout_ms
        self.retries = retries
        self.gap_ms = gap_ms

    def _exchange(self, request, expect):
        while self.uart.any():  # stale bytes from an earlier, late reply
            self.uart.read()
        if self.de is not None:
            self.de.value(1)
        self.uart.write(request)
        if self.de is not None:
            self.uart.flush()
            self.de.value(0)
        buf = b""
        start = self.clock.ticks_ms()
        while len(buf) < expect:
            if self.clock.ticks_diff(self.clock.ticks_ms(), start) >= self.timeout_ms:
                break
            if self.uart.any():
                buf += self.uart.read()
                if len(buf) >= 5 and buf[1] & 0x80:
                    break  # exception replies are 5 bytes
            else:
                self.clock.sleep_ms(5)
        return buf

    def read_registers(self, address, start, count, function=3):
        """Read ``count`` registers, retrying timeouts and corrupt replies."""
        request = read_request(address, function, start, count)
        last = None
        for attempt in range(self.retries):
            if attempt:
                self.clock.sleep_ms(self.gap_ms)
            reply = self._exchange(request, 5 + 2 * count)
            if not reply:
                last = ModbusTimeout("no reply from address %d" % address)
                continue
            try:
                return parse_read_reply(reply, address, function, count)
            except ModbusException:
                raise  # the probe answered deliberately; asking again will not help
            except ModbusError as exc:
                last = exc
        raise last
