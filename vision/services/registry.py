"""Trained weights become DetectionModel records; evaluations are kept on them."""

from __future__ import annotations

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
    return model


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
