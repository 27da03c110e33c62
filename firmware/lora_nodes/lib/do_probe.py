"""RS485 optical dissolved-oxygen probe (RenKe RS-LDO-N01-1 register map).

Holding registers 0x0000..0x0005 are three IEEE-754 float32, high word first: DO saturation
%, DO mg/L, temperature degC. 4800 8N1, address 1. Optical probes need no polarisation.
"""

import struct

from modbus import ModbusError


def regs_to_float(hi, lo):
    return struct.unpack(">f", bytes([hi >> 8, hi & 0xFF, lo >> 8, lo & 0xFF]))[0]


class OpticalDOProbe:
    def __init__(self, modbus, address=1, report_temp=True):
        self.bus = modbus
        self.address = address
        self.report_temp = report_temp

    def read(self):
        keys = ["do_sat", "do"] + (["water_temp"] if self.report_temp else [])
        try:
            regs = self.bus.read_registers(self.address, 0x0000, 6)
        except ModbusError as exc:
            out = {}
            for key in keys:
                out[key] = exc.fault
            return out
        values = {
            "do_sat": regs_to_float(regs[0], regs[1]),
            "do": regs_to_float(regs[2], regs[3]),
            "water_temp": regs_to_float(regs[4], regs[5]),
        }
        out = {}
        for key in keys:
            out[key] = values[key]
        return out
