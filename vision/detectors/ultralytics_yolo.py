"""YOLO through Ultralytics: loads a weights file and predicts on batches of frames."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from vision.detectors import DetectorConfig
from vision.detectors.base import Detection, DetectorError
from vision.device import select_device
from vision.runtime import RuntimeChoiceError
from vision.runtime import choose as choose_runtime

log = logging.getLogger(__name__)


class UltralyticsYoloDetector:
    """Batched YOLO inference with per-class confidence thresholds.

    Ultralytics filters at one global ``conf``; we pass the lowest configured threshold and
    apply each class's own afterwards, so a rare pest can be more sensitive than a common one.
    """

    def __init__(self, config: DetectorConfig):
        from ultralytics import YOLO

        weights = Path(config.weights)
        if not weights.is_file():
            raise DetectorError(f"weights file not found: {weights}")
        self.config = config
        self.device = select_device(config.device)
        try:
            self.runtime, path = choose_runtime(weights, self.device.device, config.runtime)
        except RuntimeChoiceError as exc:
            raise DetectorError(str(exc)) from exc
        try:
            self.model = YOLO(str(path), task="detect")
        except Exception as exc:  # Ultralytics raises many types for a bad checkpoint
            raise DetectorError(f"cannot load weights {path}: {exc}") from exc
        names = self.model.names
        self.class_names = [str(names[k]) for k in sorted(names)]
        if config.class_names is not None and list(config.class_names) != self.class_names:
            raise DetectorError(
                f"model {weights.name} has classes {self.class_names}, "
                f"configuration expects {list(config.class_names)}"
            )
        unknown = set(config.class_confidence) - set(self.class_names)
        if unknown:
            raise DetectorError(f"thresholds for classes the model lacks: {sorted(unknown)}")
        self._thresholds = np.array([config.threshold(n) for n in self.class_names], np.float32)
        self._min_conf = float(self._thresholds.min())

    def detect(self, frames: list[np.ndarray]) -> list[list[Detection]]:
        if not frames:
            return []
        results = self.model.predict(
            frames,
            imgsz=self.config.imgsz,
            conf=self._min_conf,
            iou=self.config.iou,
            device=self.device.device,
            quantize=16 if self.device.half else None,
            verbose=False,
            batch=len(frames),
        )
        names = self.class_names
        out: list[list[Detection]] = []
        for result in results:
            boxes = result.boxes
            if boxes is None or len(boxes) == 0:
                out.append([])
                continue
            cls = boxes.cls.cpu().numpy().astype(np.intp)
            conf = boxes.conf.cpu().numpy()
            xyxy = boxes.xyxy.cpu().numpy()
            keep = conf >= self._thresholds[cls]
            out.append(
                [
                    Detection(
                        names[c], float(p), (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
                    )
                    for c, p, b in zip(cls[keep], conf[keep], xyxy[keep], strict=True)
                ]
            )
        return out
