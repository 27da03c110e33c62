"""Detector backends, chosen by name in the configuration.

A backend is a class taking a :class:`DetectorConfig`; adding one means adding a module and a
line in ``BACKENDS``. Modules are imported only when chosen, so a box without, say, TensorRT
never imports it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from vision.detectors.base import Detection, Detector, DetectorError

__all__ = [
    "BACKENDS",
    "Detection",
    "Detector",
    "DetectorConfig",
    "DetectorError",
    "create_detector",
]

BACKENDS: dict[str, str] = {
    "ultralytics_yolo": "vision.detectors.ultralytics_yolo:UltralyticsYoloDetector",
    "ultralytics_tiled": "vision.detectors.tiled:TiledYoloDetector",
    "reference": "vision.detectors.reference:ReferenceSceneDetector",
}


@dataclass(frozen=True)
class DetectorConfig:
    """A detection model as configured: backend, weights, classes and thresholds."""

    weights: Path
    backend: str = "ultralytics_yolo"
    class_names: list[str] | None = None  # expected classes; a mismatch is an error at load
    confidence: float = 0.25  # default per-class threshold
    class_confidence: dict[str, float] = field(default_factory=dict)
    imgsz: int = 640
    device: str = "auto"
    iou: float = 0.5
    runtime: str = "auto"  # torch, onnx, openvino or auto: see vision.runtime

    def threshold(self, class_name: str) -> float:
        return self.class_confidence.get(class_name, self.confidence)


def create_detector(config: DetectorConfig) -> Detector:
    """Build the backend named in ``config.backend``."""
    target = BACKENDS.get(config.backend)
    if target is None:
        raise DetectorError(
            f"unknown detector backend {config.backend!r}, known: {sorted(BACKENDS)}"
        )
    module_name, class_name = target.split(":")
    backend = getattr(importlib.import_module(module_name), class_name)
    return backend(config)
