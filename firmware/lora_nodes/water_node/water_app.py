"""Water node: optical DO probe (RS485), DS18B20 water temperature, pH electrode, battery."""

from analog import Battery, PhElectrode
from do_probe import OpticalDOProbe
from ds18b20 import DS18B20
from modbus import ModbusRTU
from node import WaterNode
from runtime import make_backlog, make_link, make_modem


def build(hw, cfg, state, backlog_path=None):
    """Wire the node from ``hw`` (machine objects on the board, host HAL in tests).

    Keys: clock, modem_uart, rs485_uart, rs485_de, sensor_power, ph_adc, ds, battery_adc.
    """
    clock = hw["clock"]
    link = make_link(make_modem(cfg["modem"], hw["modem_uart"], clock), clock, cfg, state)
    bus = ModbusRTU(hw["rs485_uart"], clock, hw.get("rs485_de"))
    do_probe = OpticalDOProbe(bus, cfg.get("do_address", 1), report_temp=False)
    thermometer = DS18B20(hw["ds"], clock)
    ph = PhElectrode(hw["ph_adc"], cfg["ph_mv_per_count"], cfg.get("ph_offset_mv", 0.0))
    if cfg.get("ph_cal"):
        a = cfg["ph_cal"]
        ph.calibrate(a[0], a[1], a[2], a[3], a[4])
    battery = Battery(hw["battery_adc"], cfg.get("battery_ratio", 2.0))
    power = hw.get("sensor_power")

    def powered(fn):
        if power is not None:
            power.value(1)
            clock.sleep_ms(cfg.get("probe_warmup_ms", 3000))
        try:
            return fn()
        finally:
            if power is not None:
                power.value(0)

    def read_all():
        readings = do_probe.read()
        readings["water_temp"] = thermometer.read()
        readings["ph"] = ph.read(readings["water_temp"])
        return readings

    def measure():
        readings = powered(read_all)
        readings.update(battery.read())
        return readings

    def measure_do():
        return powered(do_probe.read)

    def set_ph_cal(mv1, ph1, mv2, ph2):
        ph.calibrate(ph1, mv1, ph2, mv2, 25.0)

    backlog = make_backlog(cfg, backlog_path)
    node = WaterNode(link, clock, backlog, measure, state, cfg, {2: set_ph_cal}, measure_do)
    node.restore_calibration()
    return node
