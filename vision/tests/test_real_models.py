"""The shipped trap and fish models, run the product's way on the committed real samples.

The weights are the committed files pinned by SHA-256 in ``vision/shipped.py``; the figures
asserted are structure and sanity (floors far below the measured values), so they hold on any
CPU while still failing if the model or the tiling stopped finding real insects and fish.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from demo.vision import DEMO_DATA
from vision.detectors import DetectorError, create_detector
from vision.evaluate import DatasetError, evaluate
from vision.runtime import RuntimeChoiceError, available, choose, exported_path
from vision.shipped import SHIPPED, ShippedModelError, shipped
from vision.tests.test_offline import _no_network_prefix

TRAP_YAML = DEMO_DATA / "trap.yaml"
FISH_YAML = DEMO_DATA / "fish.yaml"
LAST_LINE = re.compile(
    r"^map50=(?P<map50>[\d.]+) map50_95=[\d.]+ precision=[\d.]+ recall=[\d.]+ "
    r"count_mae=[\d.]+ images=(?P<images>\d+)$"
)


@pytest.mark.parametrize("task", sorted(SHIPPED))
def test_the_shipped_weights_are_the_files_the_model_card_describes(task):
    assert shipped(task).verify().is_file()


@pytest.mark.parametrize("task", sorted(SHIPPED))
def test_the_shipped_weights_carry_no_paths_of_the_machine_that_trained_them(task):
    weights = shipped(task).verify()
    files = [weights, *weights.parent.glob(f"{weights.stem}*.json")]
    files += weights.parent.glob(f"{weights.stem}_openvino_model/*.yaml")
    for path in files:
        raw = path.read_bytes()
        for prefix in (b"/tmp/", b"/home/", b"/root/", b"/work/"):
            assert prefix not in raw, f"{path.name} holds a machine path ({prefix.decode()}…)"


@pytest.mark.parametrize("task", sorted(SHIPPED))
def test_the_product_runs_the_settings_chosen_on_the_held_out_part(task):
    from vision.detectors.tiled import TILE_OVERLAP, TILE_PX

    weights = shipped(task).verify()
    chosen = json.loads(weights.with_suffix(".tune.json").read_text())["chosen"]
    assert shipped(task).confidence == chosen["confidence"]
    if chosen["tile"] is not None:
        assert (TILE_PX, TILE_OVERLAP) == (chosen["tile"], chosen["overlap"])


def test_the_evaluate_command_prints_the_figures_on_its_last_line_offline(tmp_path):
    command = [sys.executable, "-m", "vision.evaluate", "--task", "trap", "--data", str(TRAP_YAML)]
    done = subprocess.run(
        [*_no_network_prefix(), *command],  # network denied where namespaces are allowed
        capture_output=True, text=True, timeout=900, check=False,
        cwd=Path(__file__).resolve().parents[2],
        env={"PATH": "/usr/bin:/bin", "VISION_STATE_DIR": str(tmp_path), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    match = LAST_LINE.match(done.stdout.strip().splitlines()[-1])
    assert match, done.stdout
    assert int(match["images"]) == 7
    assert 0.3 < float(match["map50"]) <= 1.0


def test_trap_counts_on_real_photos_are_near_the_truth(ultralytics_state):
    result = evaluate("trap", TRAP_YAML)
    assert result["images"] == 7 and result["objects"] == 555
    assert result["map50"] > 0.3
    assert result["count_mape"] < 60  # per-photo relative count error, %


def test_the_fish_model_is_evaluated_on_real_underwater_frames(ultralytics_state):
    result = evaluate("fish", FISH_YAML)
    assert result["images"] == 10 and result["objects"] == 94
    assert 0.0 <= result["map50"] <= 1.0 and result["count_mae"] >= 0


def test_an_empty_card_and_a_blank_frame_give_no_made_up_objects(ultralytics_state):
    yellow_card = np.full((960, 1280, 3), (40, 220, 235), np.uint8)  # BGR yellow
    trap = create_detector(shipped("trap").detector_config(device="cpu", runtime="torch"))
    assert trap.detect([yellow_card]) == [[]]
    fish = create_detector(shipped("fish").detector_config(device="cpu", runtime="torch"))
    assert fish.detect([np.zeros((360, 360, 3), np.uint8)]) == [[]]


def test_a_data_set_of_other_classes_is_refused(tmp_path, ultralytics_state):
    data = yaml.safe_load(TRAP_YAML.read_text())
    data["names"] = {0: "moth"}
    data["path"] = str(DEMO_DATA)
    other = tmp_path / "data.yaml"
    other.write_text(yaml.safe_dump(data))
    with pytest.raises(DatasetError, match="moth"):
        evaluate("trap", other)


def test_weights_whose_classes_do_not_match_the_task_are_refused(ultralytics_state):
    with pytest.raises(DetectorError, match="classes"):
        create_detector(
            shipped("trap").detector_config(device="cpu", weights=shipped("fish").verify())
        )


def test_weights_that_are_not_the_shipped_file_are_refused(tmp_path, monkeypatch):
    import vision.shipped as module

    fake = tmp_path / SHIPPED["trap"].file
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(module, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(ShippedModelError, match="not the shipped file"):
        shipped("trap").verify()


def test_an_unreadable_photo_in_a_data_set_is_skipped_and_counted(tmp_path, ultralytics_state):
    images, labels = tmp_path / "images" / "val", tmp_path / "labels" / "val"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    frame = cv2.imread(str(DEMO_DATA / "fish_frames" / "7268_F1_f000272.jpg"))
    cv2.imwrite(str(images / "good.jpg"), frame)
    (labels / "good.txt").write_text(
        (DEMO_DATA / "fish_frames" / "7268_F1_f000272.txt").read_text()
    )
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut off")
    (tmp_path / "data.yaml").write_text("val: images/val\nnames:\n  0: fish\n")
    result = evaluate("fish", tmp_path / "data.yaml")
    assert (result["images"], result["skipped"]) == (1, 1)


def test_the_cpu_prefers_an_installed_export_and_cuda_the_pytorch_weights(tmp_path):
    weights = tmp_path / "m.pt"
    weights.write_bytes(b"x")
    assert choose(weights, "cpu") == ("torch", weights)
    exported_path(weights, "onnx").write_bytes(b"x")
    assert choose(weights, "cpu") == ("onnx", exported_path(weights, "onnx"))
    assert choose(weights, "cuda:0") == ("torch", weights)
    assert choose(weights, "cpu", "torch") == ("torch", weights)
    if "openvino" not in available(weights):
        with pytest.raises(RuntimeChoiceError, match="openvino"):
            choose(weights, "cpu", "openvino")


@pytest.mark.parametrize("task", sorted(SHIPPED))
def test_every_shipped_export_finds_what_pytorch_finds(task, ultralytics_state):
    model = shipped(task)
    frame_dir = "trap_photos" if task == "trap" else "fish_frames"
    image = cv2.imread(str(sorted((DEMO_DATA / frame_dir).glob("*.jpg"))[0]))
    counts = {}
    for runtime in available(model.verify()):
        # A low threshold, so that even a weak model has boxes to compare.
        config = model.detector_config(confidence=0.05, device="cpu", runtime=runtime)
        detector = create_detector(config)
        counts[runtime] = len(detector.detect([image])[0])
    assert "torch" in counts and len(counts) >= 2, counts  # at least one CPU export ships
    reference = counts["torch"]
    assert reference > 0 or task == "fish"  # the fish model finds no fish yet: see its card
    assert all(abs(n - reference) <= max(2, reference // 20) for n in counts.values()), counts
