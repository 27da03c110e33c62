"""Trained weights become DetectionModel records; evaluations are kept on them."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from vision.models import DetectionModel


def register_model(
    name: str,
    weights: Path,
    class_names: list[str],
    metrics: dict[str, float],
    imgsz: int,
    class_config: dict | None = None,
    backend: str = "ultralytics_yolo",
) -> DetectionModel:
    """Copy ``weights`` under MEDIA_ROOT as the next version of ``name``."""
    with transaction.atomic():
        version = DetectionModel.next_version(name)
        model = DetectionModel(
            name=name,
            version=version,
            class_names=list(class_names),
            class_config=class_config or {},
            metrics=dict(metrics),
            imgsz=imgsz,
            backend=backend,
        )
        model.full_clean(exclude=["weights"])
        with open(weights, "rb") as fh:
            model.weights.save(f"{name}_v{version}{Path(weights).suffix}", File(fh), save=False)
        model.save()
    copy_exports(Path(weights), model.weights_path)
    return model


def copy_exports(source: Path, target: Path) -> None:
    """Copy the ONNX and OpenVINO exports of ``source`` beside ``target``, named after it.

    The detector picks the fastest runtime whose export sits beside the weights it loads.
    """
    from vision.runtime import exported_path

    for runtime in ("onnx", "openvino"):
        src, dst = exported_path(source, runtime), exported_path(target, runtime)
        if src.is_file():
            shutil.copyfile(src, dst)
        elif src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir(parents=True)
            for part in src.iterdir():  # Ultralytics finds the model by its *.xml inside
                shutil.copyfile(part, dst / part.name.replace(source.stem, target.stem, 1))


def store_evaluation(
    model: DetectionModel, data_yaml: Path, split: str, metrics: dict[str, float]
) -> DetectionModel:
    """Keep the metrics per dataset and split; the latest run also becomes the headline."""
    key = f"{Path(data_yaml).resolve().parent.name}:{split}"
    evaluations = dict(model.metrics.get("evaluations", {}))
    evaluations[key] = {**metrics, "data": str(data_yaml), "at": timezone.now().isoformat()}
    model.metrics = {**model.metrics, **metrics, "evaluations": evaluations}
    model.save(update_fields=["metrics"])
    return model
