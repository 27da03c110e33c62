"""Which insects on a trap photo are new since the previous photo of the same trap.

Insects stuck on a sticky card stay there for days, so a photo's total is not its catch: the
catch is the boxes that have no counterpart on the previous photo. Matching ignores the class
(look-alike moths flip between species from one photo to the next) and first estimates how far
the whole card moved between the photos (a trap swinging in the wind, a camera nudged), as the
median offset from each box to its nearest previous box, so a small shift does not make every
insect look new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vision.boxes import box_iou

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class TrapBox:
    class_name: str
    box: Box
    confidence: float = 1.0


@dataclass(frozen=True)
class TrapCatch:
    """The verdict on one photo: a ``new`` flag per current box and the counts per species."""

    new: list[bool]
    shift: tuple[float, float]
    new_counts: dict[str, int]
    present_counts: dict[str, int]


def _centres(boxes: np.ndarray) -> np.ndarray:
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)


def estimate_shift(previous: np.ndarray, current: np.ndarray, max_shift: float) -> np.ndarray:
    """Median offset from current boxes to their nearest previous box, if most agree on it.

    With fewer than three boxes on either photo there is no majority to trust: no shift.
    """
    if len(previous) < 3 or len(current) < 3:
        return np.zeros(2)
    prev_c, cur_c = _centres(previous), _centres(current)
    diff = prev_c[None, :, :] - cur_c[:, None, :]
    nearest = diff[np.arange(len(cur_c)), np.argmin(np.hypot(diff[..., 0], diff[..., 1]), axis=1)]
    shift = np.median(nearest, axis=0)
    if np.hypot(*shift) > max_shift:
        return np.zeros(2)
    # Only trust the median if at least half of the boxes moved by about that much.
    agree = np.hypot(*(nearest - shift).T) <= max(2.0, 0.25 * np.hypot(*shift) + 2.0)
    return shift if agree.sum() * 2 >= len(cur_c) else np.zeros(2)


def new_catch(
    previous: Sequence[TrapBox],
    current: Sequence[TrapBox],
    iou_threshold: float = 0.3,
    max_shift: float = 80.0,
) -> TrapCatch:
    """Flag each current box as new unless it overlaps a box of the previous photo.

    Boxes are pixel xyxy on photos of the same size. ``max_shift`` bounds the card movement
    considered (pixels); beyond it the card was probably replaced and everything is new anyway.
    """
    if not 0 < iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    present = Counter(b.class_name for b in current)
    if not current:
        return TrapCatch([], (0.0, 0.0), {}, {})
    if not previous:
        return TrapCatch([True] * len(current), (0.0, 0.0), dict(present), dict(present))
    prev = np.array([b.box for b in previous], np.float64)
    cur = np.array([b.box for b in current], np.float64)
    shift = estimate_shift(prev, cur, max_shift)
    moved = cur + np.array([shift[0], shift[1], shift[0], shift[1]])
    ious = box_iou(moved, prev)
    matched_cur: set[int] = set()
    matched_prev: set[int] = set()
    for flat in np.argsort(-ious, axis=None):
        ci, pi = divmod(int(flat), len(prev))
        if ious[ci, pi] < iou_threshold:
            break
        if ci in matched_cur or pi in matched_prev:
            continue
        matched_cur.add(ci)
        matched_prev.add(pi)
    new = [i not in matched_cur for i in range(len(current))]
    new_counts = Counter(b.class_name for b, is_new in zip(current, new, strict=True) if is_new)
    return TrapCatch(new, (float(shift[0]), float(shift[1])), dict(new_counts), dict(present))
