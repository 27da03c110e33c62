"""A motion gate: run the detector only when something in the scene changed.

Frames are shrunk to a small grey image, blurred against sensor noise and compared with a running
average of the scene (the approach of Frigate's "improved" motion detector, simplified). Buffers
are allocated once per camera; the per-frame path allocates only when motion is found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class MotionConfig:
    """Gate sensitivity; the defaults suit a fixed camera at a few frames per second."""

    width: int = 160  # frames are downscaled to this width before comparing
    pixel_threshold: int = 20  # grey-level change that counts as changed
    min_area: float = 0.002  # fraction of the (downscaled) frame that must change
    learning_rate: float = 0.05  # how fast the background absorbs lighting drift
    blur: int = 5  # odd Gaussian kernel size against sensor noise

    def __post_init__(self) -> None:
        if self.width < 16 or self.blur % 2 == 0 or not 0 < self.learning_rate <= 1:
            raise ValueError(f"invalid motion config {self}")


@dataclass
class MotionResult:
    moved: bool
    changed_fraction: float
    regions: list[tuple[int, int, int, int]] = field(default_factory=list)  # xyxy, frame pixels


class MotionGate:
    """Per-camera state: the background model and how many detector calls it saved."""

    def __init__(
        self,
        config: MotionConfig | None = None,
        roi: Sequence[tuple[float, float, float, float]] = (),
    ):
        self.config = config or MotionConfig()
        self._roi = tuple(roi)  # normalised xyxy boxes; motion elsewhere is ignored
        self._shape: tuple[int, int] | None = None
        self.frames_seen = 0
        self.frames_passed = 0

    @property
    def calls_saved(self) -> int:
        return self.frames_seen - self.frames_passed

    def _allocate(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        sw = self.config.width
        sh = max(1, round(h * sw / w))
        self._shape = (h, w)
        self._scale = (w / sw, h / sh)
        self._small = np.empty((sh, sw, 3), np.uint8)
        self._grey = np.empty((sh, sw), np.uint8)
        self._background = np.empty((sh, sw), np.float32)
        self._background_u8 = np.empty((sh, sw), np.uint8)
        self._diff = np.empty((sh, sw), np.uint8)
        self._mask = np.empty((sh, sw), np.uint8)
        self._kernel = np.ones((3, 3), np.uint8)
        self._roi_small = None
        if self._roi:
            self._roi_small = np.zeros((sh, sw), np.uint8)
            for x0, y0, x1, y1 in self._roi:
                self._roi_small[
                    int(y0 * sh) : int(np.ceil(y1 * sh)), int(x0 * sw) : int(np.ceil(x1 * sw))
                ] = 255

    def _prepare(self, frame: np.ndarray) -> None:
        cv2.resize(frame, self._small.shape[1::-1], dst=self._small, interpolation=cv2.INTER_AREA)
        cv2.cvtColor(self._small, cv2.COLOR_BGR2GRAY, dst=self._grey)
        k = self.config.blur
        cv2.GaussianBlur(self._grey, (k, k), 0, dst=self._grey)

    def check(self, frame: np.ndarray) -> MotionResult:
        """Compare ``frame`` with the background; the first frame of a camera always passes."""
        self.frames_seen += 1
        if self._shape != frame.shape[:2]:
            self._allocate(frame)
            self._prepare(frame)
            self._background[:] = self._grey
            self.frames_passed += 1
            h, w = frame.shape[:2]
            return MotionResult(True, 1.0, [(0, 0, w, h)])
        self._prepare(frame)
        cv2.convertScaleAbs(self._background, dst=self._background_u8)
        cv2.absdiff(self._grey, self._background_u8, dst=self._diff)
        cv2.threshold(
            self._diff, self.config.pixel_threshold, 255, cv2.THRESH_BINARY, dst=self._mask
        )
        if self._roi_small is not None:
            cv2.bitwise_and(self._mask, self._roi_small, dst=self._mask)
        changed = cv2.countNonZero(self._mask) / self._mask.size
        cv2.accumulateWeighted(self._grey, self._background, self.config.learning_rate)
        if changed < self.config.min_area:
            return MotionResult(False, changed)
        self.frames_passed += 1
        return MotionResult(True, changed, self._regions())

    def _regions(self) -> list[tuple[int, int, int, int]]:
        dilated = cv2.dilate(self._mask, self._kernel, iterations=2)
        contours, _ = cv2.findContours(dilated, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = self._scale
        regions = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            regions.append((int(x * sx), int(y * sy), int((x + w) * sx), int((y + h) * sy)))
        return regions
