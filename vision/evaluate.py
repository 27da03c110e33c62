"""Evaluate a shipped detector on any Ultralytics-format data set, the way the product runs it.

    python -m vision.evaluate --task trap --data PATH/data.yaml [--split val]
    python -m vision.evaluate --task fish --data PATH/data.yaml [--weights other.pt]

Trap photos go through the same tiled detector as uploads (tiles, inference, merge); fish
frames through the frame detector. mAP is computed from every detection down to a confidence
of 0.001 (as ``yolo val`` does); counts use the model's operating threshold, as the trap page
does. Runs offline. The last line is
``map50=… map50_95=… precision=… recall=… count_mae=… images=N``; the line above it adds the
relative count error (mean over photos with objects, in %) and the mean signed count error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

log = logging.getLogger("vision.evaluate")

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
MAP_CONF = 0.001


class DatasetError(ValueError):
    """The data set cannot be evaluated (missing files, classes that do not match)."""


@dataclass(frozen=True)
class LabelledImage:
    image: Path
    label: Path


def dataset_names(data: dict) -> list[str]:
    names = data.get("names")
    if isinstance(names, dict):
        return [str(names[k]) for k in sorted(names)]
    if isinstance(names, list):
        return [str(n) for n in names]
    raise DatasetError("data.yaml has no 'names'")


def _label_path(image: Path) -> Path:
    parts = list(image.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def load_split(data_yaml: Path, split: str) -> tuple[list[str], list[LabelledImage]]:
    """Class names and the labelled images of one split of a YOLO ``data.yaml``."""
    try:
        data = yaml.safe_load(Path(data_yaml).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise DatasetError(f"cannot read {data_yaml}: {exc}") from exc
    if not isinstance(data, dict):
        raise DatasetError(f"{data_yaml} is not a YOLO data file")
    names = dataset_names(data)
    root = Path(data_yaml).resolve().parent
    if data.get("path"):
        root = (root / str(data["path"])).resolve()
    entries = data.get(split)
    if not entries:
        raise DatasetError(f"{data_yaml} has no {split!r} split")
    images: list[Path] = []
    for entry in entries if isinstance(entries, list) else [entries]:
        where = (root / str(entry)).resolve()
        if where.is_dir():
            images += sorted(p for p in where.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        elif where.suffix == ".txt" and where.is_file():
            for line in where.read_text().splitlines():
                if line.strip():
                    images.append((root / line.strip()).resolve())
        else:
            raise DatasetError(f"split {split!r}: {where} is neither a folder nor a list file")
    if not images:
        raise DatasetError(f"split {split!r} of {data_yaml} has no images")
    return names, [LabelledImage(p, _label_path(p)) for p in images]


def read_truth(label: Path, width: int, height: int, n_classes: int) -> np.ndarray:
    """Ground-truth pixel boxes (class-agnostic: our detectors have one class per task)."""
    if not label.is_file():
        return np.zeros((0, 4), np.float32)
    boxes = []
    for n, line in enumerate(label.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        try:
            cls, cx, cy, w, h = int(fields[0]), *map(float, fields[1:5])
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{label}:{n}: not a YOLO box line") from exc
        if not 0 <= cls < n_classes:
            raise DatasetError(f"{label}:{n}: class {cls} outside 0..{n_classes - 1}")
        x0, y0 = (cx - w / 2) * width, (cy - h / 2) * height
        boxes.append([x0, y0, x0 + w * width, y0 + h * height])
    return np.array(boxes, np.float32).reshape(-1, 4)


def iter_predictions(
    detector, items: list[LabelledImage], n_classes: int
) -> Iterator[tuple[LabelledImage, np.ndarray, np.ndarray, np.ndarray]]:
    """Each readable image with its predicted boxes, confidences and true boxes."""
    from vision.capture import CaptureError, decode_image

    for item in items:
        try:
            image = decode_image(item.image.read_bytes())
        except (OSError, CaptureError) as exc:
            log.warning("skipped %s: %s", item.image.name, exc)
            continue
        height, width = image.shape[:2]
        truth = read_truth(item.label, width, height, n_classes)
        detections = detector.detect([image])[0]
        pred = np.array([d.box for d in detections], np.float32).reshape(-1, 4)
        conf = np.array([d.confidence for d in detections], np.float32)
        yield item, pred, conf, truth


def evaluate(
    task: str,
    data_yaml: Path,
    split: str = "val",
    weights: Path | None = None,
    runtime: str = "auto",
    device: str = "auto",
) -> dict[str, float]:
    """The figures of the shipped model for ``task`` (or ``weights`` run the same way)."""
    from vision.detection_metrics import DetectionScore
    from vision.detectors import create_detector
    from vision.shipped import shipped

    model = shipped(task)
    names, items = load_split(data_yaml, split)
    if names != list(model.class_names):
        raise DatasetError(
            f"the data set's classes {names} are not the {task} model's {list(model.class_names)}"
        )
    config = model.detector_config(MAP_CONF, device, runtime, weights)
    detector = create_detector(config)
    score = DetectionScore(operating_conf=model.confidence)
    for _item, pred, conf, truth in iter_predictions(detector, items, len(names)):
        score.add(pred, conf, truth)
    result = score.summary()
    result["skipped"] = len(items) - int(result["images"])
    return result


def format_result(result: dict[str, float]) -> tuple[str, str]:
    detail = (
        f"count_mape={result['count_mape']:.2f} count_bias={result['count_bias']:.2f} "
        f"objects={result['objects']} skipped={result['skipped']}"
    )
    last = (
        f"map50={result['map50']:.4f} map50_95={result['map50_95']:.4f} "
        f"precision={result['precision']:.4f} recall={result['recall']:.4f} "
        f"count_mae={result['count_mae']:.2f} images={result['images']}"
    )
    return detail, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=("trap", "fish"), required=True)
    parser.add_argument("--data", type=Path, required=True, help="Ultralytics data.yaml")
    parser.add_argument("--split", default="val")
    parser.add_argument("--weights", type=Path, help="other weights, run as the shipped ones")
    parser.add_argument("--runtime", default="auto", help="auto, torch, onnx or openvino")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    from vision.offline import configure_offline

    state = os.environ.get("VISION_STATE_DIR") or tempfile.mkdtemp(prefix="vision-eval-")
    configure_offline(Path(state))
    from vision.detectors import DetectorError
    from vision.shipped import ShippedModelError

    try:
        result = evaluate(args.task, args.data, args.split, args.weights, args.runtime, args.device)
    except (DatasetError, DetectorError, ShippedModelError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    detail, last = format_result(result)
    sys.stdout.write(f"{detail}\n{last}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
