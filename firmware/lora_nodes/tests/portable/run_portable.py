"""Run every ``check_*`` function of the portable check modules; exit 1 on any failure.

Usage (MicroPython or CPython): run_portable.py <firmware dir> <domain vectors json> [module ...]
Functions named ``check_domain_*`` receive the parsed domain vectors.
"""

import json
import sys

MODULES = (
    "check_payload",
    "check_airtime",
    "check_modbus",
    "check_sensors",
    "check_modem",
    "check_node",
    "check_relay",
)


def add_paths(firmware_dir):
    for sub in ("lib", "host", "soil_node", "water_node", "relay_node", "tests/portable"):
        path = firmware_dir + "/" + sub
        if path not in sys.path:
            sys.path.insert(0, path)


def main(argv):
    add_paths(argv[1])
    with open(argv[2]) as f:
        domain = json.load(f)
    names = argv[3:] or MODULES
    failed = 0
    for name in names:
        mod = __import__(name)
        for attr in sorted(dir(mod)):
            if not attr.startswith("check_"):
                continue
            try:
                if attr.startswith("check_domain_"):
                    getattr(mod, attr)(domain)
                else:
                    getattr(mod, attr)()
                print("PASS %s.%s" % (name, attr))
            except Exception as exc:  # report every failure, not only the first
                failed += 1
                print("FAIL %s.%s: %s %r" % (name, attr, type(exc).__name__, exc))
    print("DONE failed=%d" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
