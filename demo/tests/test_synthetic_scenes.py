from __future__ import annotations

import cv2
import numpy as np
import pytest
import yaml

from demo.synthetic_scenes import (
    FISH_CLASSES,
    INSECT_CLASSES,
    clip_frames,
    generate_dataset,
    render_scene,
    synthetic_video,
)


def test_dataset_has_one_label_file_per_image_with_valid_yolo_boxes(tmp_path):
    data_yaml = generate_dataset(tmp_path, "insects", n_train=6, n_val=2, seed=1)
    images = sorted((tmp_path / "images" / "train").glob("*.jpg"))
    assert len(images) == 6
    for image in images:
        lines = (tmp_path / "labels" / "train" / f"{image.stem}.txt").read_text().split()
        values = np.array(lines, float).reshape(-1, 5)
        assert len(values) >= 1
        assert set(values[:, 0].astype(int)) <= set(range(len(INSECT_CLASSES)))
        assert ((values[:, 1:] > 0) & (values[:, 1:] <= 1)).all()
    meta = yaml.safe_load(data_yaml.read_text())
    assert meta["names"] == dict(enumerate(INSECT_CLASSES))


def test_fish_scene_boxes_lesions_inside_their_fish():
    rng = np.random.default_rng(4)
    seen = set()
    for _ in range(20):
        _, labels = render_scene(rng, "fish", max_objects=2)
        fish = [box for name, box in labels if name == "fish"]
        for name, (x0, y0, x1, y1) in labels:
            seen.add(name)
            if name != "fish":
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                assert any(f[0] <= cx <= f[2] and f[1] <= cy <= f[3] for f in fish)
    assert seen == set(FISH_CLASSES)


def test_same_seed_gives_the_same_image():
    a, la = render_scene(np.random.default_rng(7), "insects")
    b, lb = render_scene(np.random.default_rng(7), "insects")
    assert la == lb
    assert np.array_equal(a, b)


def test_unknown_scene_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scene"):
        generate_dataset(tmp_path, "birds")


def test_clip_is_static_between_crossings():
    clip, frames = clip_frames(n_objects=2, n_frames=80, crossing_frames=20)
    frames = list(frames)
    assert len(frames) == 80
    first = clip.crossings[0]
    idle = frames[first.first_frame - 2].astype(int) - frames[first.first_frame - 1].astype(int)
    busy = frames[first.first_frame + 5].astype(int) - frames[first.first_frame - 1].astype(int)
    assert np.abs(idle).max() <= 6  # sensor noise only
    assert np.abs(busy).max() > 60


def test_video_file_reads_back_with_all_frames(tmp_path):
    clip = synthetic_video(tmp_path / "clip.avi", n_objects=1, n_frames=30, crossing_frames=10)
    capture = cv2.VideoCapture(str(clip.path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert count == 30
