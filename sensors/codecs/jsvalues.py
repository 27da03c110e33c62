"""JavaScript number semantics for reproducing vendor decoders byte for byte.

Vendor decoders run as JavaScript: ``toFixed`` rounds the exact binary value half away
from zero (ECMA-262 §21.1.3.3), and JSON has one number type, so an integral double is
printed as an integer (``27`` not ``27.0``). Python's own formatting differs in both.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def to_fixed(x: float, digits: int) -> str:
    """``Number.prototype.toFixed(digits)`` for finite values below 1e21."""
    if x == 0:
        x = 0.0  # toFixed(-0) is "0.00": the sign test is ``x < 0``
    quantum = Decimal(1).scaleb(-digits)
    return str(Decimal(x).quantize(quantum, rounding=ROUND_HALF_UP))


def js_number(x: float | int) -> float | int:
    """The value JSON.stringify would print: integral doubles become ints."""
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def js_json(value: Any) -> Any:
    """Apply :func:`js_number` through dicts and lists (strings and bools untouched)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float | int):
        return js_number(value)
    if isinstance(value, dict):
        return {k: js_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [js_json(v) for v in value]
    return value
