"""Evaluate a registered detection model on a YOLO dataset, print mAP50 and keep the metrics."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vision.models import DetectionModel
from vision.offline import configure_offline


class Command(BaseCommand):
    help = "Evaluate a DetectionModel on a YOLO data.yaml and store mAP50 and friends."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True, help="registered model name")
        parser.add_argument("--model-version", type=int, help="default: the latest version")
        parser.add_argument("--data", required=True, type=Path, help="YOLO data.yaml")
        parser.add_argument("--split", default="val")
        parser.add_argument("--imgsz", type=int, help="default: the model's inference size")
        parser.add_argument("--batch", type=int, default=8)
        parser.add_argument("--device", default="auto")

    def handle(self, *args, **opts) -> None:
        models = DetectionModel.objects.filter(name=opts["model"])
        if opts["model_version"] is not None:
            models = models.filter(version=opts["model_version"])
        model = models.order_by("-version").first()
        if model is None:
            raise CommandError(f"no detection model named {opts['model']!r}")
        data: Path = opts["data"]
        if not data.is_file():
            raise CommandError(f"dataset file not found: {data}")
        if not model.weights_path.is_file():
            raise CommandError(f"weights of {model} missing: {model.weights_path}")
        configure_offline(settings.CONFIG.state_dir)
        from vision.services.registry import store_evaluation
        from vision.training import TrainingError, evaluate

        try:
            metrics = evaluate(
                model.weights_path,
                data,
                imgsz=opts["imgsz"] or model.imgsz,
                split=opts["split"],
                batch=opts["batch"],
                device=opts["device"],
                runs_dir=settings.CONFIG.state_dir / "runs",
            )
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
        store_evaluation(model, data, opts["split"], metrics)
        summary = " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
        self.stdout.write(f"{model} on {data} [{opts['split']}]: {summary}")
        self.stdout.write(f"mAP50={metrics.get('mAP50', float('nan')):.4f}")
