"""RS485 7-in-1 soil probe (moisture, temperature, EC, pH, N, P, K) over Modbus-RTU.

Family A (ComWinTop CWT-SOIL and look-alikes, 4800 8N1): holding registers 0x0000..0x0006 =
moisture x0.1 %, temperature x0.1 degC signed, EC uS/cm, pH x0.1, N, P, K mg/kg.
Family B (JXCT-style, 9600 8N1): pH x0.01 at 0x0006, moisture x0.1 at 0x0012, temperature
x0.1 signed at 0x0013, EC at 0x0015, N/P/K at 0x001E..0x0020. The vendor warns N/P/K are
rapid-test estimates.
"""

from modbus import ModbusError

METRICS = ("soil_vwc", "soil_temp", "soil_ec", "soil_ph", "soil_n", "soil_p", "soil_k")


def signed16(v):
    return v - 0x10000 if v & 0x8000 else v


def decode_family_a(regs):
    return {
        "soil_vwc": regs[0] / 10,
        "soil_temp": signed16(regs[1]) / 10,
        "soil_ec": regs[2],
        "soil_ph": regs[3] / 10,
        "soil_n": regs[4],
        "soil_p": regs[5],
        "soil_k": regs[6],
    }


class SoilProbe:
    def __init__(self, modbus, address=1, family="A", with_npk=True):
        if family not in ("A", "B"):
            raise ValueError("family must be 'A' or 'B'")
        self.bus = modbus
        self.address = address
        self.family = family
        self.with_npk = with_npk

    def _read(self):
        if self.family == "A":
            return decode_family_a(self.bus.read_registers(self.address, 0x0000, 7))
        ph = self.bus.read_registers(self.address, 0x0006, 1)[0]
        block = self.bus.read_registers(self.address, 0x0012, 4)
        out = {
            "soil_ph": ph / 100,
            "soil_vwc": block[0] / 10,
            "soil_temp": signed16(block[1]) / 10,
            "soil_ec": block[3],
        }
        npk = self.bus.read_registers(self.address, 0x001E, 3)
        out["soil_n"], out["soil_p"], out["soil_k"] = npk[0], npk[1], npk[2]
        return out

    def read(self):
        """Readings dict; a failed read faults every metric with the bus's reason."""
        try:
            out = self._read()
        except ModbusError as exc:
            out = {}
            for metric in METRICS:
                out[metric] = exc.fault
        if not self.with_npk:
            for metric in ("soil_n", "soil_p", "soil_k"):
                out.pop(metric)
        return out
