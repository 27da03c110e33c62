"""Training, evaluation and the Ultralytics detector backend, on a tiny model trained on CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vision.detectors import DetectorConfig, DetectorError, create_detector
from vision.synthetic import INSECT_CLASSES, generate_dataset, render_scene
from vision.tests.conftest import IMGSZ
from vision.training import TrainingError, evaluate, export_onnx, export_tensorrt, train


def _detector(model, **kwargs):
    return create_detector(DetectorConfig(weights=model.weights_path, imgsz=IMGSZ, **kwargs))


@pytest.mark.slow
def test_training_registers_weights_classes_and_map50(trained_insect_model):
    assert trained_insect_model.weights_path.is_file()
    assert trained_insect_model.class_names == list(INSECT_CLASSES)
    assert trained_insect_model.metrics["mAP50"] > 0.3


@pytest.mark.slow
def test_evaluate_reports_map50_of_weights_on_a_dataset(trained_insect_model, insect_dataset):
    metrics = evaluate(trained_insect_model.weights_path, insect_dataset, imgsz=IMGSZ)
    assert metrics["mAP50"] == pytest.approx(trained_insect_model.metrics["mAP50"], abs=0.05)
    assert {"precision", "recall", "mAP50-95"} <= set(metrics)


@pytest.mark.slow
def test_evaluate_refuses_a_dataset_with_other_classes(trained_insect_model, tmp_path):
    fish = generate_dataset(tmp_path, "fish", n_train=1, n_val=1)
    with pytest.raises(TrainingError, match="do not match"):
        evaluate(trained_insect_model.weights_path, fish, imgsz=IMGSZ)


def test_training_refuses_named_weights_that_would_be_downloaded(tmp_path):
    with pytest.raises(TrainingError, match="YAML"):
        train(tmp_path / "data.yaml", "yolo11n.pt")


@pytest.mark.slow
def test_detector_returns_one_list_per_frame_of_a_batch(trained_insect_model):
    rng = np.random.default_rng(11)
    scenes = [render_scene(rng, "insects", (160, 160)) for _ in range(6)]
    results = _detector(trained_insect_model).detect([img for img, _ in scenes])
    assert len(results) == 6
    found = sum(
        any(d.class_name == name for d in dets)
        for (_, labels), dets in zip(scenes, results, strict=True)
        for name, _ in labels
    )
    assert found >= 0.6 * sum(len(labels) for _, labels in scenes)


@pytest.mark.slow
def test_per_class_threshold_silences_only_that_class(trained_insect_model):
    rng = np.random.default_rng(12)
    frames = [render_scene(rng, "insects", (160, 160), max_objects=3)[0] for _ in range(8)]
    plain = _detector(trained_insect_model).detect(frames)
    strict = _detector(trained_insect_model, class_confidence={"beetle": 1.01}).detect(frames)
    assert any(d.class_name == "beetle" for dets in plain for d in dets)
    assert not any(d.class_name == "beetle" for dets in strict for d in dets)
    others = [d for dets in plain for d in dets if d.class_name != "beetle"]
    assert len([d for dets in strict for d in dets]) == len(others)


@pytest.mark.slow
def test_model_whose_classes_differ_from_the_configuration_is_refused(trained_insect_model):
    with pytest.raises(DetectorError, match="configuration expects"):
        _detector(trained_insect_model, class_names=["fish", "white_spot", "red_ulcer"])


@pytest.mark.slow
def test_exported_onnx_model_detects_like_the_original(trained_insect_model, tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    weights = tmp_path / "model.pt"
    weights.write_bytes(trained_insect_model.weights_path.read_bytes())
    onnx_path = export_onnx(weights, imgsz=IMGSZ)
    assert onnx_path.suffix == ".onnx"
    image, _ = render_scene(np.random.default_rng(13), "insects", (160, 160))
    original = _detector(trained_insect_model).detect([image])[0]
    exported = create_detector(DetectorConfig(weights=onnx_path, imgsz=IMGSZ)).detect([image])[0]
    assert [d.class_name for d in original] == [d.class_name for d in exported]


def test_missing_weights_file_is_refused(tmp_path):
    with pytest.raises(DetectorError, match="not found"):
        create_detector(DetectorConfig(weights=tmp_path / "none.pt"))


def test_unknown_backend_is_refused():
    with pytest.raises(DetectorError, match="unknown detector backend"):
        create_detector(DetectorConfig(weights=Path("x.pt"), backend="darknet"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this box has a GPU")
def test_tensorrt_export_is_refused_without_a_gpu(tmp_path):
    with pytest.raises(TrainingError, match="CUDA GPU"):
        export_tensorrt(tmp_path / "model.pt")
