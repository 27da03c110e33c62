"""Put the firmware library, apps, host HAL and portable checks on sys.path."""

import sys
from pathlib import Path

FIRMWARE_DIR = Path(__file__).resolve().parent.parent
for sub in ("lib", "host", "soil_node", "water_node", "relay_node", "tests/portable"):
    path = str(FIRMWARE_DIR / sub)
    if path not in sys.path:
        sys.path.insert(0, path)
