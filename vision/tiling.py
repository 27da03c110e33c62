"""Cut big photos into overlapping tiles and merge per-tile detections back with NMS.

Trap photos are ~1280 px with ~21 px insects: a detector run on the whole photo at a CPU-friendly
size would see 4-8 px insects. Training and inference therefore both work on fixed-size tiles of
the photo at full resolution; overlapping tiles see every insect whole at least once, and
non-maximum suppression drops the duplicates where tiles overlap.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Tile:
    """A window of the photo: top-left corner and size in photo pixels."""

    x: int
    y: int
    w: int
    h: int


def _starts(length: int, tile: int, stride: int) -> list[int]:
    """Window starts covering ``length``; the last window is aligned to the far edge."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return sorted(set(starts))


def tile_grid(width: int, height: int, tile: int, overlap: int) -> list[Tile]:
    """Tiles of ``tile`` px covering the photo with at least ``overlap`` px shared by neighbours."""
    if tile <= 0 or not 0 <= overlap < tile:
        raise ValueError(f"need tile > overlap >= 0, got tile={tile} overlap={overlap}")
    stride = tile - overlap
    return [
        Tile(x, y, min(tile, width), min(tile, height))
        for y in _starts(height, tile, stride)
        for x in _starts(width, tile, stride)
    ]


def iter_tiles(image: np.ndarray, tile: int, overlap: int) -> Iterator[tuple[Tile, np.ndarray]]:
    """Each tile of ``image`` (H×W×C) with its window; crops are views, not copies."""
    height, width = image.shape[:2]
    for t in tile_grid(width, height, tile, overlap):
        yield t, image[t.y : t.y + t.h, t.x : t.x + t.w]


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS (``boxes`` as N×4 x0 y0 x1 y1), best first."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.intp)
    x0, y0, x1, y1 = boxes.T
    areas = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]), 0, None)
        h = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]), 0, None)
        inter = w * h
        union = areas[i] + areas[rest] - inter
        overlap = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
        order = rest[overlap <= iou]
    return np.asarray(keep, dtype=np.intp)


def clip_boxes_to_tile(
    boxes: np.ndarray, t: Tile, min_visible: float
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (N×4 photo px) cut to the tile, in tile px, and which of the inputs were kept.

    A box is kept when at least ``min_visible`` of its area lies inside the tile: a sliver of
    an insect at the border would teach the detector to fire on fragments.
    """
    if len(boxes) == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, dtype=bool)
    cx0 = np.clip(boxes[:, 0], t.x, t.x + t.w)
    cy0 = np.clip(boxes[:, 1], t.y, t.y + t.h)
    cx1 = np.clip(boxes[:, 2], t.x, t.x + t.w)
    cy1 = np.clip(boxes[:, 3], t.y, t.y + t.h)
    inside = np.clip(cx1 - cx0, 0, None) * np.clip(cy1 - cy0, 0, None)
    area = np.clip(boxes[:, 2] - boxes[:, 0], 1e-9, None) * np.clip(
        boxes[:, 3] - boxes[:, 1], 1e-9, None
    )
    kept = (inside / area) >= min_visible
    out = np.stack([cx0 - t.x, cy0 - t.y, cx1 - t.x, cy1 - t.y], axis=1)[kept]
    return out.astype(np.float32), kept
