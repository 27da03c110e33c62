"""Paths and small helpers shared by the portable checks (CPython and MicroPython)."""

import json


def _dirname(path):
    i = path.rfind("/")
    return path[:i] if i > 0 else "."


PORTABLE_DIR = _dirname(__file__)
FIRMWARE_DIR = _dirname(_dirname(PORTABLE_DIR))


def load_vectors():
    with open(FIRMWARE_DIR + "/vectors.json") as f:
        return json.load(f)


def unhex(text):
    return bytes.fromhex(text.replace(" ", ""))


def raises(exc_type, fn, *args, **kwargs):
    """True when ``fn(*args)`` raises ``exc_type`` (pytest.raises is CPython-only)."""
    try:
        fn(*args, **kwargs)
    except exc_type:
        return True
    return False
