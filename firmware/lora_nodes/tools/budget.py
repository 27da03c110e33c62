"""Airtime and battery-life tables for README.md, from lib/airtime.py and a stated power model.

Run: python firmware/lora_nodes/tools/budget.py  (prints the Markdown tables)
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))

from airtime import uplink_ms  # noqa: E402

# FRMPayload sizes (bytes) of the frames a node sends; see PAYLOAD.md.
FRAMES = (
    ("soil or water core", 9),
    ("core, backlog (age record)", 12),
    ("soil core + pH, N, P, K", 21),
    ("largest frame at CN470 DR1", 23),
    ("water core + all extensions", 35),
)

# Power model (battery side, 3.6 V Li-SOCl2 cell with a hybrid pulse capacitor).
MODEL = {
    "sleep_ua": 15.0,  # ESP32-S3 deep sleep 8 uA + modem sleep ~2 uA + LDO/dividers ~5 uA
    "mcu_awake_ma": 30.0,  # ESP32-S3 awake, radio off, 80 MHz
    "boot_s": 0.3,
    "tx_ma": 90.0,  # modem transmitting at 17 dBm ERP (CN470 limit)
    "rx_ma": 10.0,  # modem in RX1/RX2 windows
    "rx_s": 0.3,  # both receive windows, preamble search only
    "rx_wait_s": 2.2,  # RX1 delay 1 s, RX2 at 2 s, then "Done"
    "soil_probe_ma": 82.0,  # 0.25 W probe through an 85 % boost from 3.6 V
    "soil_probe_s": 2.5,  # 2 s warm-up + Modbus read
    "water_probe_ma": 65.0,  # 0.2 W optical DO probe (vendor figure) through the boost
    "water_probe_s": 3.5,  # 3 s warm-up + Modbus read + pH/DS18B20
    "capacity_mah": 8500.0,  # ER26500-class cell with pulse capacitor
    "usable": 0.8,  # self-discharge, cold, end-of-life voltage
}


def wake_mas(probe_ma, probe_s, airtime_s, m=MODEL):
    """Charge of one wake-up above the sleep floor, in mA*s."""
    awake_s = m["boot_s"] + probe_s + airtime_s + (m["rx_wait_s"] if airtime_s else 0)
    charge = m["mcu_awake_ma"] * awake_s + probe_ma * probe_s
    if airtime_s:
        charge += m["tx_ma"] * airtime_s + m["rx_ma"] * m["rx_s"]
    return charge


def life_days(interval_min, probe_ma, probe_s, frm_bytes, sf=11, checks_per_report=1, m=MODEL):
    """Battery life with one report every ``interval_min`` (plus DO-only checks between)."""
    airtime_s = uplink_ms(frm_bytes, sf) / 1000
    per_report = wake_mas(probe_ma, probe_s, airtime_s, m)
    per_check = wake_mas(probe_ma, probe_s, 0.0, m)
    per_day_mas = (24 * 60 / interval_min) * (per_report + (checks_per_report - 1) * per_check)
    per_day_mah = per_day_mas / 3600 + m["sleep_ua"] / 1000 * 24
    return m["capacity_mah"] * m["usable"] / per_day_mah


def airtime_table():
    head = "| frame | FRMPayload | PHYPayload | " + " | ".join("SF%d" % sf for sf in range(7, 13))
    lines = [head + " |", "| --- | --- | --- |" + " --- |" * 6]
    for name, n in FRAMES:
        cells = " | ".join("%.1f ms" % uplink_ms(n, sf) for sf in range(7, 13))
        lines.append("| %s | %d B | %d B | %s |" % (name, n, n + 13, cells))
    return "\n".join(lines)


def battery_table():
    m = MODEL
    rows = (
        ("soil node, 9-byte core", m["soil_probe_ma"], m["soil_probe_s"], 9, None),
        ("soil node, core + pH/N/P/K (21 B)", m["soil_probe_ma"], m["soil_probe_s"], 21, None),
        ("water node, DO at reports only", m["water_probe_ma"], m["water_probe_s"], 9, None),
        ("water node, DO checked every 5 min", m["water_probe_ma"], m["water_probe_s"], 9, 5),
    )
    lines = [
        "| node (SF11, CN470 DR1) | 10 min | 15 min | 30 min |",
        "| --- | --- | --- | --- |",
    ]
    for name, ma, s, n, check_min in rows:
        cells = []
        for interval in (10, 15, 30):
            checks = interval // check_min if check_min else 1
            days = life_days(interval, ma, s, n, checks_per_report=checks)
            cells.append("%.0f days (%.1f y)" % (days, days / 365))
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    return "\n".join(lines)


if __name__ == "__main__":
    print(airtime_table())
    print()
    print(battery_table())
