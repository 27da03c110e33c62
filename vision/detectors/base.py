"""What every detector backend takes and returns, so the pipeline never sees a framework type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


class DetectorError(RuntimeError):
    """A detector could not be built or could not run (bad weights, wrong classes)."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One object in one frame; ``box`` is pixel ``(x0, y0, x1, y1)`` in that frame."""

    class_name: str
    confidence: float
    box: tuple[float, float, float, float]


@runtime_checkable
class Detector(Protocol):
    """A batched object detector: one list of detections per input frame, in order."""

    class_names: list[str]

    def detect(self, frames: list[np.ndarray]) -> list[list[Detection]]: ...
