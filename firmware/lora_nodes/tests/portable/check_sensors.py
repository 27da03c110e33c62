"""Sensor drivers over the host HAL and simulated probes."""

import simprobes
from analog import Battery, CapacitiveMoisture, PhElectrode, TwoPointCalibration, nernst_slope_mv
from do_probe import OpticalDOProbe
from ds18b20 import DS18B20, crc8, decode_scratchpad
from fixtures import raises
from hal import ADC, HostUART, Pin
from hostclock import VirtualClock
from modbus import ModbusRTU
from soil_probe import SoilProbe


def _bus(slave, retries=3):
    clock = VirtualClock()
    de = Pin(6, Pin.OUT)
    return ModbusRTU(HostUART(slave, clock, 4800), clock, de, retries=retries), de


def _probe_a():
    return simprobes.soil_probe_family_a(31.2, -3.5, 860, 6.5, 37, 12, 88)


def check_soil_probe_reads_all_seven_metrics():
    bus, de = _bus(_probe_a())
    got = SoilProbe(bus).read()
    assert got == {
        "soil_vwc": 31.2,
        "soil_temp": -3.5,
        "soil_ec": 860,
        "soil_ph": 6.5,
        "soil_n": 37,
        "soil_p": 12,
        "soil_k": 88,
    }
    assert de.history == [0, 1, 0]  # transmit enabled only around the request


def check_soil_probe_family_b_reads_its_register_map():
    slave = simprobes.soil_probe_family_b(18.9, 24.5, 412, 6.85, 40, 15, 90)
    bus, _ = _bus(slave)
    got = SoilProbe(bus, family="B").read()
    assert got["soil_ph"] == 6.85 and got["soil_vwc"] == 18.9 and got["soil_ec"] == 412
    assert got["soil_k"] == 90


def check_silent_probe_faults_every_metric_as_no_response_after_retries():
    slave = _probe_a()
    slave.faults = ["silent"] * 3
    bus, _ = _bus(slave)
    got = SoilProbe(bus, with_npk=False).read()
    assert got == {
        "soil_vwc": "no_response",
        "soil_temp": "no_response",
        "soil_ec": "no_response",
        "soil_ph": "no_response",
    }
    assert len(slave.requests) == 3


def check_one_corrupt_reply_is_retried_and_recovers():
    slave = _probe_a()
    slave.faults = ["bad_crc"]
    bus, _ = _bus(slave)
    assert SoilProbe(bus).read()["soil_vwc"] == 31.2
    assert len(slave.requests) == 2


def check_persistently_corrupt_replies_fault_as_crc_error():
    slave = _probe_a()
    slave.faults = ["bad_crc", "garbled", "bad_crc"]
    bus, _ = _bus(slave)
    assert SoilProbe(bus).read()["soil_ec"] == "crc_error"


def check_exception_reply_is_not_retried():
    slave = _probe_a()
    slave.faults = ["exception"]
    bus, _ = _bus(slave)
    assert SoilProbe(bus).read()["soil_vwc"] == "fault"
    assert len(slave.requests) == 1


def check_do_probe_decodes_float_registers():
    bus, _ = _bus(simprobes.do_probe(82.5, 6.85, 27.25))
    got = OpticalDOProbe(bus).read()
    assert abs(got["do"] - 6.85) < 1e-5
    assert abs(got["do_sat"] - 82.5) < 1e-5
    assert got["water_temp"] == 27.25


def check_silent_do_probe_faults_do():
    slave = simprobes.do_probe(82.5, 6.85, 27.25)
    slave.faults = ["silent"] * 3
    bus, _ = _bus(slave)
    assert OpticalDOProbe(bus, report_temp=False).read() == {
        "do_sat": "no_response",
        "do": "no_response",
    }


def check_capacitive_moisture_interpolates_between_calibration_points():
    adc = ADC(values=(40000,))
    probe = CapacitiveMoisture(adc, TwoPointCalibration(50000, 0.0, 30000, 100.0))
    assert probe.read() == 50.0


def check_capacitive_moisture_without_calibration_is_a_fault():
    assert CapacitiveMoisture(ADC(values=(40000,))).read() == "not_calibrated"


def check_unplugged_capacitive_probe_is_out_of_range():
    probe = CapacitiveMoisture(ADC(values=(65535,)), TwoPointCalibration(50000, 0, 30000, 100))
    assert probe.read() == "out_of_range"


def check_domain_nernst_slope_matches_published_and_computed_values(domain):
    for v in domain["ph_electrode"]["vectors"]:
        t = v["temp_c"]
        if "slope_mv_per_ph" in v:
            tol = 0.005 if v["kind"] == "published" else 0.01
            assert abs(nernst_slope_mv(t) - v["slope_mv_per_ph"]) < tol, v
        else:
            assert abs(nernst_slope_mv(t) - v["slope_mv_per_ph_approx"]) < 0.5, v


def _ph(mv):
    # ADC stand-in: 1 count = 0.1 mV, no offset
    return PhElectrode(ADC(values=(int(mv * 10),)), 0.1)


def check_ph_two_point_calibration_reads_buffer_values():
    e = _ph(0)
    e.calibrate(7.0, 0.0, 4.0, 177.48, 25.0)  # ideal electrode: 59.16 mV/pH at 25 degC
    assert abs(e.ph_from_mv(0.0, 25.0) - 7.0) < 1e-9
    assert abs(e.ph_from_mv(177.48, 25.0) - 4.0) < 1e-9
    assert abs(e.ph_from_mv(-118.32, 25.0) - 9.0) < 1e-9


def check_ph_temperature_compensation_follows_nernst():
    e = _ph(0)
    e.calibrate(7.0, 0.0, 4.0, 177.48, 25.0)
    mv_at_50 = 3 * nernst_slope_mv(50.0)  # pH 4 read in a 50 degC sample
    assert abs(e.ph_from_mv(mv_at_50, 50.0) - 4.0) < 0.005
    assert abs(e.ph_from_mv(mv_at_50, 25.0) - 4.0) > 0.2  # uncompensated would be wrong


def check_ph_electrode_with_a_weak_slope_is_refused():
    e = _ph(0)
    assert raises(ValueError, e.calibrate, 7.0, 0.0, 4.0, 130.0, 25.0)  # 73 % of Nernst


def check_uncalibrated_ph_is_a_fault():
    assert _ph(0).read(25.0) == "not_calibrated"


def check_ph_read_uses_the_adc_and_the_water_temperature():
    e = _ph(59.16)
    e.calibrate(7.0, 0.0, 4.0, 177.48, 25.0)
    assert abs(e.read(25.0) - 6.0) < 0.01
    assert abs(e.read("no_response") - 6.0) < 0.01  # falls back to 25 degC


def check_battery_voltage_through_divider():
    bat = Battery(ADC(values=(38000,)), ratio=2.0, vref=3.3)
    got = bat.read()
    assert abs(got["battery_v"] - 38000 / 65535 * 6.6) < 1e-9
    assert 60 <= got["battery_pct"] <= 66


def _scratch(raw):
    body = bytes([raw & 0xFF, (raw >> 8) & 0xFF, 0x4B, 0x46, 0x7F, 0xFF, 0x0C, 0x10])
    return body + bytes([crc8(body)])


def check_ds18b20_decodes_positive_and_negative_temperatures():
    assert decode_scratchpad(_scratch(0x0191)) == 25.0625
    assert decode_scratchpad(_scratch(0xFF5E)) == -10.125


def check_ds18b20_power_on_value_is_warming_up_not_85_degrees():
    assert decode_scratchpad(_scratch(0x0550)) == "warming_up"


def check_ds18b20_bad_crc_is_a_fault():
    bad = bytearray(_scratch(0x0191))
    bad[8] ^= 1
    assert decode_scratchpad(bytes(bad)) == "crc_error"


def check_missing_ds18b20_is_no_response():
    assert DS18B20(simprobes.DS18X20Sim(present=False), VirtualClock()).read() == "no_response"


def check_ds18b20_driver_reads_through_the_bus():
    sensor = DS18B20(simprobes.DS18X20Sim([_scratch(0x0191)]), VirtualClock())
    assert sensor.read() == 25.0625
