"""Soil node board: pins and default configuration (ESP32-S3 DevKit pin numbers).

Overrides and the LoRaWAN keys come from config.json on the device (see README).
"""

PINS = {
    "modem_uart": 1,  # UART1 to the Wio-E5 / RAK3172
    "modem_tx": 17,
    "modem_rx": 18,
    "rs485_uart": 2,  # UART2 to the MAX3485 for the 7-in-1 probe
    "rs485_tx": 4,
    "rs485_rx": 5,
    "rs485_de": 6,  # DE and /RE tied together
    "sensor_power": 7,  # gate of the P-MOSFET switching the 12 V boost for the probe
    "moisture_adc": 1,  # capacitive probe output (when no RS485 probe is fitted)
    "ds18b20": 8,  # 1-Wire data, 4.7 kOhm pull-up to 3V3
    "battery_adc": 2,  # 100k/100k divider from the cell
}

CONFIG = {
    "band": "CN470",
    "modem": "wio-e5",
    "modem_baud": 9600,  # RAK3172: 115200
    "adr": True,
    "interval_min": 15,
    "confirm_every": 12,
    "soil_probe": "A",  # "A", "B" or None for capacitive + DS18B20
    "probe_address": 1,
    "probe_baud": 4800,  # family B: 9600
    "probe_warmup_ms": 2000,
    "with_npk": True,
    "moisture_cal": None,  # [raw_dry, 0.0, raw_wet, 100.0] for the capacitive probe
    "battery_ratio": 2.0,
    "backlog_capacity": 48,
}
