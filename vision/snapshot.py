"""Annotated snapshots: boxes and labels drawn on a copy of the frame, encoded as JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from vision.detectors.base import Detection

_COLOURS = ((0, 200, 255), (255, 120, 0), (0, 220, 0), (200, 0, 200), (0, 0, 255), (255, 255, 0))


def annotate(image: np.ndarray, detections: list[Detection], class_names: list[str]) -> np.ndarray:
    """A copy of ``image`` with each detection boxed and labelled (built-in font: no download)."""
    out = image.copy()
    for det in detections:
        idx = class_names.index(det.class_name) if det.class_name in class_names else 0
        colour = _COLOURS[idx % len(_COLOURS)]
        x0, y0, x1, y1 = (int(round(v)) for v in det.box)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 2)
        label = f"{det.class_name} {det.confidence:.2f}"
        cv2.putText(
            out, label, (x0, max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA
        )
    return out


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
