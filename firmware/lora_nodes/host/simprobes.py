"""Simulated RS485 Modbus-RTU slaves and a 1-Wire DS18B20, with scripted faults.

``mode``: "ok", "silent" (no reply), "bad_crc" (reply with a corrupted CRC), "exception"
(exception code 2), "garbled" (a short burst of noise). ``faults`` lists modes for the next
requests, then "ok" resumes.
"""

import struct

from hal import Peer
from modbus import crc16, with_crc

REPLY_MS = 40


class ModbusSlave(Peer):
    def __init__(self, address, registers):
        Peer.__init__(self)
        self.address = address
        self.registers = registers  # {register: value}
        self.faults = []
        self.requests = []

    def receive(self, data):
        self.requests.append(data)
        mode = self.faults.pop(0) if self.faults else "ok"
        if len(data) != 8 or crc16(data[:6]) != (data[6] | (data[7] << 8)):
            return  # slaves stay silent on a corrupt request
        if data[0] != self.address or mode == "silent":
            return
        fn = data[1]
        start = (data[2] << 8) | data[3]
        count = (data[4] << 8) | data[5]
        if mode == "exception" or fn not in (3, 4):
            self.emit(with_crc(bytes([self.address, fn | 0x80, 2])), REPLY_MS)
            return
        if mode == "garbled":
            self.emit(b"\x00\xff\x13", REPLY_MS)
            return
        body = bytearray([self.address, fn, 2 * count])
        for reg in range(start, start + count):
            v = self.registers.get(reg, 0)
            body.append((v >> 8) & 0xFF)
            body.append(v & 0xFF)
        frame = bytearray(with_crc(bytes(body)))
        if mode == "bad_crc":
            frame[-1] ^= 0x5A
        self.emit(bytes(frame), REPLY_MS)


def soil_probe_family_a(vwc, temp, ec, ph, n, p, k, address=1):
    regs = {
        0: int(round(vwc * 10)),
        1: int(round(temp * 10)) & 0xFFFF,
        2: ec,
        3: int(round(ph * 10)),
        4: n,
        5: p,
        6: k,
    }
    return ModbusSlave(address, regs)


def soil_probe_family_b(vwc, temp, ec, ph, n, p, k, address=1):
    regs = {
        0x06: int(round(ph * 100)),
        0x12: int(round(vwc * 10)),
        0x13: int(round(temp * 10)) & 0xFFFF,
        0x15: ec,
        0x1E: n,
        0x1F: p,
        0x20: k,
    }
    return ModbusSlave(address, regs)


def _float_regs(x):
    b = struct.pack(">f", x)
    return (b[0] << 8) | b[1], (b[2] << 8) | b[3]


def do_probe(do_sat, do, temp, address=1):
    slave = ModbusSlave(address, {})
    set_do(slave, do_sat, do, temp)
    return slave


def set_do(slave, do_sat, do, temp):
    regs = {}
    for i, x in enumerate((do_sat, do, temp)):
        hi, lo = _float_regs(x)
        regs[2 * i] = hi
        regs[2 * i + 1] = lo
    slave.registers = regs


class DS18X20Sim:
    """Stands in for MicroPython's ds18x20.DS18X20: scan, convert_temp, read_scratch."""

    def __init__(self, scratchpads=None, present=True):
        self.scratchpads = list(scratchpads or [])
        self.present = present

    def scan(self):
        return [b"\x28\xff\x64\x1e\x0f\x00\x00\x9c"] if self.present else []

    def convert_temp(self):
        if not self.present:
            raise OSError(19)

    def read_scratch(self, rom):
        if not self.present:
            raise OSError(19)
        return self.scratchpads.pop(0) if len(self.scratchpads) > 1 else self.scratchpads[0]
