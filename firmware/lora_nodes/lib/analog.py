"""ADC sensors: capacitive soil moisture, pH electrode, battery voltage.

Each returns a number or a fault reason for the payload; none invents a value.
"""

# Faraday constant and gas constant (CODATA) for the Nernst slope 2.302585 R T / F.
R = 8.314462618
F = 96485.33212
LN10 = 2.302585093


def nernst_slope_mv(temp_c):
    """Ideal electrode slope in mV per pH unit: 59.16 at 25 degC, 54.20 at 0, 64.12 at 50."""
    return LN10 * R * (temp_c + 273.15) / F * 1000.0


class TwoPointCalibration:
    """Linear map through two (raw, value) points."""

    def __init__(self, raw1, value1, raw2, value2):
        if raw1 == raw2:
            raise ValueError("calibration points need different raw readings")
        self.raw1, self.value1, self.raw2, self.value2 = raw1, value1, raw2, value2

    def apply(self, raw):
        return self.value1 + (raw - self.raw1) * (self.value2 - self.value1) / (
            self.raw2 - self.raw1
        )

    def as_list(self):
        return [self.raw1, self.value1, self.raw2, self.value2]


def read_average(adc, samples):
    total = 0
    for _ in range(samples):
        total += adc.read_u16()
    return total / samples


class CapacitiveMoisture:
    """Capacitive probe: dry-air and in-water (or dry-soil / saturated-soil) raw counts.

    Capacitive probes read *lower* counts when wetter, so raw1 (dry) > raw2 (wet) is normal.
    A reading more than ``margin`` counts beyond either point means a broken or unplugged
    probe, reported as ``out_of_range``.
    """

    def __init__(self, adc, calibration=None, samples=16, margin=2000):
        self.adc = adc
        self.cal = calibration
        self.samples = samples
        self.margin = margin

    def read(self):
        if self.cal is None:
            return "not_calibrated"
        raw = read_average(self.adc, self.samples)
        lo = min(self.cal.raw1, self.cal.raw2) - self.margin
        hi = max(self.cal.raw1, self.cal.raw2) + self.margin
        if raw < lo or raw > hi:
            return "out_of_range"
        vwc = self.cal.apply(raw)
        if vwc < 0:
            vwc = 0.0  # inside the margin: sensor noise around the dry point, not a fault
        if vwc > 100:
            vwc = 100.0
        return vwc


class PhElectrode:
    """pH from electrode millivolts with two-point calibration and Nernst temperature compensation.

    Calibration: millivolts in two buffers (e.g. pH 7.00 and 4.00) at temperature t_cal.
    The slope found is scaled to the sample temperature by the absolute-temperature ratio
    (Nernst); the isopotential point is taken as pH 7. A slope outside 85-105 % of Nernst is
    refused (electrode needs cleaning or replacing).
    """

    def __init__(self, adc, mv_per_count, offset_mv=0.0, samples=16):
        self.adc = adc
        self.mv_per_count = mv_per_count
        self.offset_mv = offset_mv
        self.samples = samples
        self.e7 = None
        self.slope_cal = None
        self.t_cal = None

    def calibrate(self, ph_a, mv_a, ph_b, mv_b, t_cal):
        if abs(ph_a - ph_b) < 2:
            raise ValueError("buffers must be at least 2 pH apart")
        slope = (mv_a - mv_b) / (ph_b - ph_a)
        ratio = slope / nernst_slope_mv(t_cal)
        if ratio < 0.85 or ratio > 1.05:
            raise ValueError("electrode slope %.1f %% of Nernst" % (ratio * 100))
        self.slope_cal = slope
        self.t_cal = t_cal
        self.e7 = mv_a - slope * (7.0 - ph_a)

    def millivolts(self):
        return read_average(self.adc, self.samples) * self.mv_per_count - self.offset_mv

    def ph_from_mv(self, mv, temp_c):
        slope = self.slope_cal * (temp_c + 273.15) / (self.t_cal + 273.15)
        return 7.0 + (self.e7 - mv) / slope

    def read(self, temp_c):
        """pH, or a fault reason; ``temp_c`` may itself be a fault (then pH is at 25 degC)."""
        if self.slope_cal is None:
            return "not_calibrated"
        if temp_c is None or isinstance(temp_c, str):
            temp_c = 25.0
        ph = self.ph_from_mv(self.millivolts(), temp_c)
        if ph < 0 or ph > 14:
            return "out_of_range"
        return ph


# Open-circuit voltage -> state of charge for one Li-ion cell (typical 18650 curve, 20 degC).
LI_ION_CURVE = ((3.0, 0), (3.45, 5), (3.6, 20), (3.7, 40), (3.8, 60), (3.95, 80), (4.2, 100))


class Battery:
    """Battery voltage through a resistor divider; ``ratio`` = (R1 + R2) / R2."""

    def __init__(self, adc, ratio=2.0, vref=3.3, samples=8, curve=LI_ION_CURVE):
        self.adc = adc
        self.ratio = ratio
        self.vref = vref
        self.samples = samples
        self.curve = curve

    def volts(self):
        return read_average(self.adc, self.samples) / 65535 * self.vref * self.ratio

    def percent(self, volts):
        if self.curve is None:
            return None
        pts = self.curve
        if volts <= pts[0][0]:
            return 0
        for i in range(1, len(pts)):
            if volts <= pts[i][0]:
                v0, p0 = pts[i - 1]
                v1, p1 = pts[i]
                return int(p0 + (volts - v0) * (p1 - p0) / (v1 - v0) + 0.5)
        return 100

    def read(self):
        v = self.volts()
        out = {"battery_v": v}
        pct = self.percent(v)
        if pct is not None:
            out["battery_pct"] = pct
        return out
