"""Relay node board: pins and default configuration (ESP32-S3 DevKit pin numbers).

The relays drive contactor coils through a driver stage; the current transducers (a split-
core CT with a 0-3.3 V output per motor feed) go to ADC pins. Overrides and the LoRaWAN
keys come from config.json on the device (see README).
"""

PINS = {
    "modem_uart": 1,
    "modem_tx": 17,
    "modem_rx": 18,
    "relay1": 10,
    "relay2": 11,
    "current1_adc": 1,
    "current2_adc": 2,
}

CONFIG = {
    "band": "CN470",
    "modem": "wio-e5",
    "modem_baud": 9600,
    "adr": True,
    "interval_min": 2,  # mains powered: a command waits at most this long (class A)
    "confirm_every": 12,
    "power_on": "off",
    "current1_full_scale_a": 30.0,
    "current2_full_scale_a": 30.0,
}
