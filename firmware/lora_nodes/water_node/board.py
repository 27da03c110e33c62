"""Water (pond) node board: pins and default configuration (ESP32-S3 DevKit pin numbers).

Overrides and the LoRaWAN keys come from config.json on the device (see README).
"""

PINS = {
    "modem_uart": 1,
    "modem_tx": 17,
    "modem_rx": 18,
    "rs485_uart": 2,  # MAX3485 to the optical DO probe
    "rs485_tx": 4,
    "rs485_rx": 5,
    "rs485_de": 6,
    "sensor_power": 7,  # 12 V boost for the DO probe and the pH amplifier
    "ph_adc": 1,  # pH amplifier output (electrode mV x gain + bias)
    "ds18b20": 8,  # water temperature at probe depth
    "battery_adc": 2,
}

CONFIG = {
    "band": "CN470",
    "modem": "wio-e5",
    "modem_baud": 9600,
    "adr": True,
    "interval_min": 15,
    "confirm_every": 12,
    "do_address": 1,
    "do_baud": 4800,
    "probe_warmup_ms": 3000,
    "do_floor": 3.0,  # mg/L: GB 11607 never-below value
    "do_drop_per_h": 1.0,  # mg/L per hour counted as a fast fall
    "do_confirm_s": 60,
    "do_check_min": 5,
    # pH front end: ADC millivolts = electrode mV + bias; 3.3 V over 16 bits.
    "ph_mv_per_count": 3300 / 65535,
    "ph_offset_mv": 1650.0,
    "ph_cal": None,  # [ph_a, mv_a, ph_b, mv_b, t_cal] from a two-buffer calibration
    "battery_ratio": 2.0,
    "backlog_capacity": 48,
}
