"""Soil node: 7-in-1 RS485 probe (or capacitive probe + DS18B20) and battery."""

from analog import Battery, CapacitiveMoisture, TwoPointCalibration
from ds18b20 import DS18B20
from modbus import ModbusRTU
from node import Node
from runtime import make_backlog, make_link, make_modem
from soil_probe import SoilProbe


def build(hw, cfg, state, backlog_path=None):
    """Wire the node from ``hw`` (machine objects on the board, host HAL in tests).

    Keys: clock, modem_uart, rs485_uart, rs485_de, sensor_power, moisture_adc, ds, battery_adc.
    """
    clock = hw["clock"]
    link = make_link(make_modem(cfg["modem"], hw["modem_uart"], clock), clock, cfg, state)
    battery = Battery(hw["battery_adc"], cfg.get("battery_ratio", 2.0))
    probe = None
    moisture = None
    thermometer = None
    if cfg.get("soil_probe"):
        bus = ModbusRTU(hw["rs485_uart"], clock, hw.get("rs485_de"))
        probe = SoilProbe(
            bus, cfg.get("probe_address", 1), cfg["soil_probe"], cfg.get("with_npk", True)
        )
    else:
        cal = cfg.get("moisture_cal")
        moisture = CapacitiveMoisture(
            hw["moisture_adc"], TwoPointCalibration(*cal) if cal else None
        )
        thermometer = DS18B20(hw["ds"], clock)

    def measure():
        readings = {}
        power = hw.get("sensor_power")
        if power is not None:
            power.value(1)
            clock.sleep_ms(cfg.get("probe_warmup_ms", 2000))
        try:
            if probe is not None:
                readings.update(probe.read())
            else:
                readings["soil_vwc"] = moisture.read()
                readings["soil_temp"] = thermometer.read()
        finally:
            if power is not None:
                power.value(0)
        readings.update(battery.read())
        return readings

    def set_moisture_cal(raw1, v1, raw2, v2):
        if moisture is None:
            raise ValueError("no capacitive probe fitted")
        moisture.cal = TwoPointCalibration(raw1, v1, raw2, v2)

    backlog = make_backlog(cfg, backlog_path)
    node = Node(link, clock, backlog, measure, state, cfg, {1: set_moisture_cal})
    node.restore_calibration()
    return node
