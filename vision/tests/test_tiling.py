"""Tiles cover a photo with overlap; merging per-tile boxes leaves one box per object."""

from __future__ import annotations

import numpy as np
import pytest

from vision.detectors.base import Detection
from vision.detectors.tiled import merge_tile_detections
from vision.tiling import Tile, clip_boxes_to_tile, nms, tile_grid


def test_tiles_cover_every_pixel_and_neighbours_overlap():
    tiles = tile_grid(1280, 960, 320, 64)
    covered = np.zeros((960, 1280), bool)
    for t in tiles:
        assert (t.w, t.h) == (320, 320)
        covered[t.y : t.y + t.h, t.x : t.x + t.w] = True
    assert covered.all()
    xs = sorted({t.x for t in tiles})
    assert all(b - a <= 320 - 64 for a, b in zip(xs, xs[1:], strict=False))
    assert xs[-1] == 1280 - 320  # the last column is flush with the right edge


def test_a_photo_smaller_than_a_tile_is_one_tile():
    assert tile_grid(300, 200, 320, 64) == [Tile(0, 0, 300, 200)]


@pytest.mark.parametrize("tile, overlap", [(0, 0), (320, 320), (320, -1)])
def test_impossible_tilings_are_refused(tile, overlap):
    with pytest.raises(ValueError):
        tile_grid(100, 100, tile, overlap)


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.5, 0.9, 0.4], np.float32)
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]


def test_boxes_mostly_outside_a_tile_are_not_labels_of_it():
    boxes = np.array([[300, 10, 330, 40], [310, 50, 340, 80]], np.float32)  # 2/3 in, 1/3 in
    clipped, kept = clip_boxes_to_tile(boxes, Tile(0, 0, 320, 320), min_visible=0.5)
    assert kept.tolist() == [True, False]
    assert clipped.tolist() == [[300, 10, 320, 40]]


def _det(box, conf=0.8):
    return Detection("insect", conf, tuple(float(v) for v in box))


def test_an_insect_in_the_overlap_is_counted_once():
    left, right = Tile(0, 0, 320, 320), Tile(256, 0, 320, 320)
    # The insect spans x 270..290 in the photo: whole in both tiles.
    found = [(left, _det((270, 100, 290, 120), 0.9)), (right, _det((14, 100, 34, 120), 0.8))]
    merged = merge_tile_detections(found, 576, 320)
    assert [d.box for d in merged] == [(270.0, 100.0, 290.0, 120.0)]


def test_a_cut_off_insect_at_a_tile_border_gives_way_to_the_whole_one():
    left, right = Tile(0, 0, 320, 320), Tile(256, 0, 320, 320)
    # x 310..330: the left tile sees only 310..320 (touching its inner border), confidently.
    found = [(left, _det((310, 100, 320, 120), 0.95)), (right, _det((54, 100, 74, 120), 0.7))]
    merged = merge_tile_detections(found, 576, 320)
    assert [d.box for d in merged] == [(310.0, 100.0, 330.0, 120.0)]


def test_a_box_at_the_photo_edge_is_not_a_border_box():
    tile = Tile(0, 0, 320, 320)
    merged = merge_tile_detections([(tile, _det((0, 0, 12, 12)))], 320, 320)
    assert len(merged) == 1
