"""Water node entry point on the board: build the hardware, run one cycle, deep-sleep."""

import sys

sys.path.append("/lib")

import board  # noqa: E402
import ds18x20  # noqa: E402
import machine  # noqa: E402
import onewire  # noqa: E402
import water_app  # noqa: E402
from clock import SystemClock  # noqa: E402
from runtime import BACKLOG_PATH, STATE_PATH, load_json, merged_config, wake_and_sleep  # noqa: E402

cfg = merged_config(board.CONFIG)
p = board.PINS
hw = {
    "clock": SystemClock(),
    "modem_uart": machine.UART(
        p["modem_uart"], cfg["modem_baud"], tx=p["modem_tx"], rx=p["modem_rx"], timeout=0
    ),
    "rs485_uart": machine.UART(
        p["rs485_uart"], cfg["do_baud"], tx=p["rs485_tx"], rx=p["rs485_rx"], timeout=0
    ),
    "rs485_de": machine.Pin(p["rs485_de"], machine.Pin.OUT, value=0),
    "sensor_power": machine.Pin(p["sensor_power"], machine.Pin.OUT, value=0),
    "ph_adc": machine.ADC(machine.Pin(p["ph_adc"])),
    "ds": ds18x20.DS18X20(onewire.OneWire(machine.Pin(p["ds18b20"]))),
    "battery_adc": machine.ADC(machine.Pin(p["battery_adc"])),
}
node = water_app.build(hw, cfg, load_json(STATE_PATH, {}), BACKLOG_PATH)
wake_and_sleep(node, machine.deepsleep)
