"""Per-metric calibration of a device: parsed once, applied as ``value * gain + offset``.

A device's ``calibration`` JSON maps a canonical metric to either
``{"offset": b, "gain": a}`` (either key optional) or a two-point calibration
``{"points": [[raw1, ref1], [raw2, ref2]]}`` taken against reference
solutions or a lab instrument. Both reduce to one linear map, so the bridge
applies every calibration with one multiply and one add.
"""

from __future__ import annotations

import math
from typing import Any

from vocabulary.metrics import CANONICAL_UNITS


class CalibrationError(ValueError):
    """A calibration document that cannot be applied; the message says where."""


Linear = tuple[float, float]  # (gain, offset)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CalibrationError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def parse_calibration(doc: Any) -> dict[str, Linear]:
    """Validate a calibration document and reduce each entry to (gain, offset)."""
    if doc in (None, ""):
        return {}
    if not isinstance(doc, dict):
        raise CalibrationError("calibration must be an object keyed by metric")
    out: dict[str, Linear] = {}
    for metric, spec in doc.items():
        if metric not in CANONICAL_UNITS:
            raise CalibrationError(f"{metric!r} is not a canonical metric")
        if not isinstance(spec, dict):
            raise CalibrationError(f"{metric}: expected an object")
        unknown = set(spec) - {"offset", "gain", "points"}
        if unknown:
            raise CalibrationError(f"{metric}: unknown keys {sorted(unknown)}")
        if "points" in spec:
            if {"offset", "gain"} & set(spec):
                raise CalibrationError(f"{metric}: give either points or offset/gain, not both")
            points = spec["points"]
            if not isinstance(points, list) or len(points) != 2:
                raise CalibrationError(f"{metric}: points must be two [raw, reference] pairs")
            try:
                (r1, t1), (r2, t2) = points
            except (TypeError, ValueError):
                raise CalibrationError(f"{metric}: points must be [raw, reference] pairs") from None
            r1, t1 = _number(r1, f"{metric}.points"), _number(t1, f"{metric}.points")
            r2, t2 = _number(r2, f"{metric}.points"), _number(t2, f"{metric}.points")
            if r1 == r2:
                raise CalibrationError(f"{metric}: the two raw points must differ")
            gain = (t2 - t1) / (r2 - r1)
            out[metric] = (gain, t1 - gain * r1)
        else:
            gain = _number(spec.get("gain", 1.0), f"{metric}.gain")
            offset = _number(spec.get("offset", 0.0), f"{metric}.offset")
            out[metric] = (gain, offset)
        if out[metric][0] <= 0:
            raise CalibrationError(f"{metric}: gain must be positive")
    return out
