"""Relay node entry point on the board: build the hardware, run one cycle, light-sleep.

The relays must hold their state, so the node light-sleeps (GPIOs keep their level) instead
of deep-sleeping.
"""

import sys

sys.path.append("/lib")

import board  # noqa: E402
import machine  # noqa: E402
import relay_app  # noqa: E402
from clock import SystemClock  # noqa: E402
from runtime import STATE_PATH, load_json, merged_config, save_json  # noqa: E402

cfg = merged_config(board.CONFIG)
p = board.PINS
hw = {
    "clock": SystemClock(),
    "modem_uart": machine.UART(
        p["modem_uart"], cfg["modem_baud"], tx=p["modem_tx"], rx=p["modem_rx"], timeout=0
    ),
    "relay1": machine.Pin(p["relay1"], machine.Pin.OUT),
    "relay2": machine.Pin(p["relay2"], machine.Pin.OUT),
    "current1": machine.ADC(machine.Pin(p["current1_adc"])),
    "current2": machine.ADC(machine.Pin(p["current2_adc"])),
}
node = relay_app.build(hw, cfg, load_json(STATE_PATH, {}))
while True:
    sleep_ms = node.wake()
    save_json(STATE_PATH, node.state)
    machine.lightsleep(sleep_ms)
