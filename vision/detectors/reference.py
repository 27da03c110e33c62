"""A detector for scenes whose ground truth is known, so tests check our code, not a training run.

A reference file (JSON) holds one or more scenes: each an empty background (a PNG, base64) and
the objects that cross it, each with its class and the row (and, for still objects, the column)
it occupies. For each frame the detector takes the scene whose background is closest, finds
foreground blobs by difference against it and names each blob after the nearest known object.
Given the same frames it returns the same boxes on every machine, whatever the CPU, thread count
or library versions — which a small trained network does not.

It is a real backend behind the same interface as YOLO, chosen by name; nothing is patched.
:func:`demo.synthetic_scenes.write_reference` writes these files for generated clips and photos.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import cv2
import numpy as np

from vision.detectors import DetectorConfig
from vision.detectors.base import Detection, DetectorError

FORMAT = "agrimon-reference-scene/1"


class ReferenceSceneDetector:
    """Background difference plus nearest known object; confidence is always 0.99."""

    confidence = 0.99

    def __init__(self, config: DetectorConfig):
        path = Path(config.weights)
        if not path.is_file():
            raise DetectorError(f"weights file not found: {path}")
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
            if spec.get("format") != FORMAT:
                raise ValueError(f"format is {spec.get('format')!r}, expected {FORMAT!r}")
            self.scenes = [_scene(s) for s in spec["scenes"]]
            self.class_names = [str(n) for n in spec["classes"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DetectorError(f"cannot load reference scene {path.name}: {exc}") from exc
        if config.class_names is not None and list(config.class_names) != self.class_names:
            raise DetectorError(
                f"model {path.name} has classes {self.class_names}, "
                f"configuration expects {list(config.class_names)}"
            )
        self.config = config
        self.difference = int(spec.get("difference", 40))
        self.min_area = int(spec.get("min_area", 20))

    def detect(self, frames: list[np.ndarray]) -> list[list[Detection]]:
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: np.ndarray) -> list[Detection]:
        candidates = [s for s in self.scenes if s[0].shape == frame.shape]
        if not candidates:
            return []
        background, objects = min(candidates, key=lambda s: cv2.norm(frame, s[0], cv2.NORM_L1))
        diff = cv2.absdiff(frame, background).max(axis=2)
        mask = (diff > self.difference).astype(np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
        n, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
        found = []
        for k in range(1, n):
            x, y, w, h, area = (int(v) for v in stats[k])
            if area < self.min_area:
                continue
            name = _nearest(objects, *centroids[k])
            if name is None or self.confidence < self.config.threshold(name):
                continue
            found.append(Detection(name, self.confidence, (x, y, x + w - 1, y + h - 1)))
        return found


Scene = tuple[np.ndarray, list[tuple[str, float | None, float]]]


def _scene(spec: dict) -> Scene:
    png = np.frombuffer(base64.b64decode(spec["background"]), np.uint8)
    background = cv2.imdecode(png, cv2.IMREAD_COLOR)
    if background is None:
        raise ValueError("a background is not a PNG image")
    return background, [(str(o["class"]), o.get("x"), float(o["y"])) for o in spec["objects"]]


def _nearest(objects: list, cx: float, cy: float) -> str | None:
    best, best_d = None, math.inf
    for name, ox, oy in objects:
        d = abs(cy - oy) if ox is None else math.hypot(cx - ox, cy - oy)
        if d < best_d:
            best, best_d = name, d
    return best
