"""The training recipe's data preparation: which photos are held out, and how trap photos are tiled.

Training itself runs for hours and is not tested here; what decides whether its figures can
be trusted is that choices are made only on photos it never fitted, which these tests pin.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.train_real import RECIPES, prepare_dataset, read_yolo_boxes, run_name, split_train


def _photo_set(root: Path, stems: list[str], size: tuple[int, int]) -> Path:
    """A tiny data set in the public sets' layout, one box in the top-left quarter of each photo."""
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    width, height = size
    for stem in stems:
        cv2.imwrite(
            str(root / "images" / "train" / f"{stem}.jpg"), np.zeros((height, width, 3), np.uint8)
        )
        (root / "labels" / "train" / f"{stem}.txt").write_text("0 0.25 0.25 0.05 0.05\n")
    return root


def test_trap_holds_out_every_seventh_photo_by_name() -> None:
    photos = [Path(f"IMG_{i:04d}.jpg") for i in range(21)]
    fit, held = split_train(RECIPES["trap"], photos)
    assert [p.stem for p in held] == ["IMG_0003", "IMG_0010", "IMG_0017"]
    assert set(fit) | set(held) == set(photos) and not set(fit) & set(held)


def test_fish_holds_out_whole_habitats() -> None:
    photos = [
        Path(f"{h}_{v}_f{f}.jpg") for h in ("7117", "7482", "9866") for v in (1, 2) for f in (0, 5)
    ]
    fit, held = split_train(RECIPES["fish"], photos)
    assert {p.stem.split("_")[0] for p in held} == {"7482", "9866"}
    assert {p.stem.split("_")[0] for p in fit} == {"7117"}


def test_trap_photos_are_tiled_and_the_holdout_kept_whole(tmp_path: Path) -> None:
    stems = [f"IMG_{i:04d}" for i in range(8)]
    source = _photo_set(tmp_path / "set", stems, (640, 480))
    split = prepare_dataset(RECIPES["trap"], source, tmp_path / "work")
    assert split["holdout_images"] == ["IMG_0003.jpg"]
    # 640×480 in 224 px tiles without overlap: 3×3 per photo, the last ones aligned to the edge.
    assert RECIPES["trap"].tile == 224
    assert split["fit_samples"] == 7 * 9 and split["holdout_samples"] == 9
    tile_labels = sorted((tmp_path / "work" / "fit" / "labels").glob("IMG_0000_*.txt"))
    boxes = [read_yolo_boxes(p, 224, 224) for p in tile_labels]
    # The box lies whole in the first tile only (the one below holds a sixth of it), at the same
    # place in tile pixels.
    assert [len(b) for b in boxes] == [1] + [0] * 8
    np.testing.assert_allclose(boxes[0][0], [144, 108, 176, 132], atol=0.5)
    listed = (tmp_path / "work" / "holdout_photos.txt").read_text().split()
    assert listed == ["images/train/IMG_0003.jpg"]


def test_all_train_fits_the_holdout_too(tmp_path: Path) -> None:
    stems = [f"{h}_1_f{f}" for h in ("7117", "7482", "9866") for f in (0, 5)]
    source = _photo_set(tmp_path / "set", stems, (360, 360))
    split = prepare_dataset(RECIPES["fish"], source, tmp_path / "work", all_train=True)
    assert split["fit_samples"] == 6
    assert len(split["holdout_images"]) == 4  # still the run's val, but fitted
    assert run_name(RECIPES["fish"], Path("fish-stage3.pt"), True).endswith("-all")


@pytest.mark.parametrize("text", ["", "\n"])
def test_an_empty_label_file_means_no_objects(tmp_path: Path, text: str) -> None:
    label = tmp_path / "a.txt"
    label.write_text(text)
    assert read_yolo_boxes(label, 100, 100).shape == (0, 4)
