"""YOLO on overlapping tiles of a big photo, merged back into one list per photo.

The trap model is trained on tiles cut from 1280 px photos, so it runs on tiles too:
the photo is cut into tiles of ``TILE_PX`` px that overlap by ``TILE_OVERLAP`` px, each tile is
detected at the model's ``imgsz`` (a 224 px tile is enlarged 1.43×, which finds more of the
smallest insects), and boxes are shifted back to photo pixels. Merging: a box that
touches a tile border inside the photo may be a cut-off insect that the neighbouring tile sees
whole (the overlap is wider than an insect), so boxes clear of inner borders are merged first
by NMS and border boxes only fill in where no kept box covers them.
"""

from __future__ import annotations

import numpy as np

from vision.detectors import DetectorConfig
from vision.detectors.base import Detection
from vision.detectors.ultralytics_yolo import UltralyticsYoloDetector
from vision.tiling import Tile, iter_tiles, nms

# Chosen on the held-out trap photos (python -m vision.tune; the shipped weights' table is
# trap-insect-pico-t320.tune.json): 224 px tiles enlarged to the model's 320 px with 64 px of
# overlap gave the best mAP50 (0.854, against 0.834 for 256 px and 0.829 for 224 px with 32 px).
TILE_PX = 224  # photo pixels per tile; the model sees the tile at its imgsz
TILE_OVERLAP = 64  # wider than almost every insect (~21 px median at 1280 px)
TILE_BATCH = 8
MERGE_IOU = 0.5
BORDER_PX = 2.0
BORDER_COVER = 0.5  # a border box overlapping a kept box by this share of itself is a duplicate


class TiledYoloDetector:
    """Batched tiled inference; ``detect`` takes whole photos and returns photo-pixel boxes."""

    def __init__(
        self, config: DetectorConfig, overlap: int = TILE_OVERLAP, tile: int | None = None
    ):
        self.inner = UltralyticsYoloDetector(config)
        self.class_names = self.inner.class_names
        self.tile = tile or TILE_PX
        self.overlap = overlap

    def detect(self, frames: list[np.ndarray]) -> list[list[Detection]]:
        return [self.detect_photo(frame) for frame in frames]

    def detect_photo(self, photo: np.ndarray) -> list[Detection]:
        height, width = photo.shape[:2]
        tiles = list(iter_tiles(photo, self.tile, self.overlap))
        found: list[tuple[Tile, Detection]] = []
        for start in range(0, len(tiles), TILE_BATCH):
            chunk = tiles[start : start + TILE_BATCH]
            results = self.inner.detect([np.ascontiguousarray(crop) for _, crop in chunk])
            for (t, _), detections in zip(chunk, results, strict=True):
                found.extend((t, d) for d in detections)
        return merge_tile_detections(found, width, height)


def _on_inner_border(box: tuple[float, float, float, float], t: Tile, w: int, h: int) -> bool:
    x0, y0, x1, y1 = box
    return (
        (t.x > 0 and x0 <= BORDER_PX)
        or (t.y > 0 and y0 <= BORDER_PX)
        or (t.x + t.w < w and x1 >= t.w - BORDER_PX)
        or (t.y + t.h < h and y1 >= t.h - BORDER_PX)
    )


def merge_tile_detections(
    found: list[tuple[Tile, Detection]], width: int, height: int
) -> list[Detection]:
    """Photo-pixel detections from per-tile ones, duplicates in the overlaps removed."""
    out: list[Detection] = []
    for cls in sorted({d.class_name for _, d in found}):
        inner, border = [], []
        for t, d in found:
            if d.class_name != cls:
                continue
            x0, y0, x1, y1 = d.box
            shifted = Detection(cls, d.confidence, (x0 + t.x, y0 + t.y, x1 + t.x, y1 + t.y))
            (border if _on_inner_border(d.box, t, width, height) else inner).append(shifted)
        kept = _nms_detections(inner)
        for b in _nms_detections(border):
            if not kept or _max_cover(b, kept) < BORDER_COVER:
                kept.append(b)
        out.extend(kept)
    out.sort(key=lambda d: -d.confidence)
    return out


def _nms_detections(detections: list[Detection]) -> list[Detection]:
    if not detections:
        return []
    boxes = np.array([d.box for d in detections], np.float32)
    scores = np.array([d.confidence for d in detections], np.float32)
    return [detections[i] for i in nms(boxes, scores, MERGE_IOU)]


def _max_cover(candidate: Detection, kept: list[Detection]) -> float:
    """Largest share of ``candidate``'s area covered by any one kept box."""
    cx0, cy0, cx1, cy1 = candidate.box
    boxes = np.array([d.box for d in kept], np.float32)
    w = np.clip(np.minimum(cx1, boxes[:, 2]) - np.maximum(cx0, boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(cy1, boxes[:, 3]) - np.maximum(cy0, boxes[:, 1]), 0, None)
    area = max((cx1 - cx0) * (cy1 - cy0), 1e-9)
    return float((w * h).max() / area)
