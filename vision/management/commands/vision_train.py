"""Train a YOLO detector offline and register it as the next version of a DetectionModel."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vision.offline import configure_offline


class Command(BaseCommand):
    help = "Train a detector from a YOLO data.yaml and an architecture YAML; register the weights."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, type=Path, help="YOLO data.yaml")
        parser.add_argument("--model", default="yolo11n.yaml", help="architecture YAML")
        parser.add_argument("--name", required=True, help="name to register the model under")
        parser.add_argument("--epochs", type=int, default=50)
        parser.add_argument("--imgsz", type=int, default=640)
        parser.add_argument("--batch", type=int, default=16)
        parser.add_argument("--device", default="auto")
        parser.add_argument(
            "--class-config",
            default="{}",
            help='JSON: {"moth": {"confidence": 0.4, "severity": "warning"}}',
        )
        parser.add_argument(
            "--onnx", action="store_true", help="also export ONNX beside the registered weights"
        )

    def handle(self, *args, **opts) -> None:
        configure_offline(settings.CONFIG.state_dir)
        from vision.services.registry import register_model
        from vision.training import TrainingError, export_onnx, train

        data: Path = opts["data"]
        if not data.is_file():
            raise CommandError(f"dataset file not found: {data}")
        try:
            class_config = json.loads(opts["class_config"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--class-config is not JSON: {exc}") from exc
        try:
            result = train(
                data,
                opts["model"],
                epochs=opts["epochs"],
                imgsz=opts["imgsz"],
                batch=opts["batch"],
                runs_dir=settings.CONFIG.state_dir / "runs",
                name=opts["name"],
                device=opts["device"],
            )
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
        try:
            model = register_model(
                opts["name"],
                result.weights_path,
                result.class_names,
                result.metrics,
                opts["imgsz"],
                class_config,
            )
        except Exception as exc:  # ValidationError of the class config, I/O on the weights
            raise CommandError(f"trained, but not registered: {exc}") from exc
        if opts["onnx"]:
            try:
                onnx_path = export_onnx(model.weights_path, imgsz=opts["imgsz"])
            except TrainingError as exc:
                raise CommandError(f"registered {model}, but ONNX export failed: {exc}") from exc
            self.stdout.write(f"exported {onnx_path.name}")
        map50 = result.metrics.get("mAP50", float("nan"))
        self.stdout.write(
            f"registered {model} (id {model.pk}) weights={model.weights.name} mAP50={map50:.4f}"
        )
