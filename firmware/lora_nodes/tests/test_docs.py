"""The numbers in README.md are the ones the code computes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FIRMWARE_DIR = Path(__file__).resolve().parent.parent


def _budget():
    spec = importlib.util.spec_from_file_location("budget", FIRMWARE_DIR / "tools" / "budget.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_airtime_table_matches_the_airtime_module() -> None:
    assert _budget().airtime_table() in (FIRMWARE_DIR / "README.md").read_text(encoding="utf-8")


def test_readme_battery_table_matches_the_power_model() -> None:
    assert _budget().battery_table() in (FIRMWARE_DIR / "README.md").read_text(encoding="utf-8")


def test_battery_life_grows_with_the_interval() -> None:
    b = _budget()
    m = b.MODEL
    lives = [b.life_days(i, m["soil_probe_ma"], m["soil_probe_s"], 9) for i in (10, 15, 30)]
    assert lives[0] < lives[1] < lives[2]


def test_core_payload_airtime_in_readme_is_under_cn470_dwell_limit() -> None:
    b = _budget()
    from airtime import uplink_ms

    assert uplink_ms(dict(b.FRAMES)["largest frame at CN470 DR1"], 11) < 1000
