"""Train, evaluate and export YOLO detectors through Ultralytics, offline.

Every call sets the arguments that would otherwise reach the network or need a GPU:
``amp=False`` (the AMP check downloads weights), ``plots=False`` (fonts), ``workers=0`` on small
boxes. Call :func:`vision.offline.configure_offline` once before the first call.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vision.device import select_device

log = logging.getLogger(__name__)

MODEL_CONFIG_DIR = Path(__file__).resolve().parent / "model_configs"
_METRIC_NAMES = {
    "metrics/precision(B)": "precision",
    "metrics/recall(B)": "recall",
    "metrics/mAP50(B)": "mAP50",
    "metrics/mAP50-95(B)": "mAP50-95",
    "fitness": "fitness",
}


class TrainingError(RuntimeError):
    """Training or evaluation could not run on the given data or model."""


@dataclass(frozen=True)
class TrainResult:
    """What a finished training run registers as a detection model."""

    weights_path: Path
    metrics: dict[str, float]
    class_names: list[str]
    args: dict[str, Any] = field(default_factory=dict)


def resolve_model_config(model_yaml: str | Path) -> str:
    """Our own configs by bare name, else the path or an Ultralytics built-in name."""
    ours = MODEL_CONFIG_DIR / str(model_yaml)
    if ours.is_file():
        return str(ours)
    if str(model_yaml).endswith(".pt") and Path(model_yaml).is_file():
        return str(model_yaml)  # our own checkpoint, to continue from: nothing to download
    if not str(model_yaml).endswith((".yaml", ".yml")):
        # A bare "yolo11n" or "yolo11n.pt" would make Ultralytics download pretrained weights.
        raise TrainingError(f"model must be a YAML architecture, got {model_yaml!r}")
    return str(model_yaml)


def dataset_class_names(data_yaml: Path) -> list[str]:
    """Class names from a YOLO ``data.yaml`` (``names`` as a list or an index map)."""
    try:
        data = yaml.safe_load(Path(data_yaml).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TrainingError(f"cannot read dataset file {data_yaml}: {exc}") from exc
    names = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        return [str(names[k]) for k in sorted(names)]
    if isinstance(names, list):
        return [str(n) for n in names]
    raise TrainingError(f"{data_yaml} has no 'names' list")


def _metrics(results_dict: dict[str, Any]) -> dict[str, float]:
    return {
        short: float(results_dict[key])
        for key, short in _METRIC_NAMES.items()
        if key in results_dict
    }


def _use_all_cores(_trainer: Any) -> None:
    """Give PyTorch every core (or ``OMP_NUM_THREADS``) for CPU training.

    Ultralytics keeps one core back for its data-loader processes, but we load in the main
    process (``workers=0``): on a 2-core box it would otherwise train on one core.
    """
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1))


def train(
    data_yaml: Path,
    model_yaml: str | Path = "yolo11n.yaml",
    epochs: int = 50,
    imgsz: int = 640,
    batch: int = 16,
    runs_dir: Path | None = None,
    name: str = "train",
    device: str = "auto",
    seed: int = 0,
    **overrides: Any,
) -> TrainResult:
    """Train a detector from an architecture YAML (never from downloaded weights)."""
    config = resolve_model_config(model_yaml)
    class_names = dataset_class_names(data_yaml)
    from ultralytics import YOLO

    choice = select_device(device)
    args: dict[str, Any] = {
        "data": str(data_yaml),
        "epochs": epochs,
        "imgsz": imgsz,
        "batch": batch,
        "device": choice.device,
        "workers": 0,
        "amp": False,
        "plots": False,
        "seed": seed,
        "name": name,
        "exist_ok": True,
        "verbose": False,
        **overrides,
    }
    if runs_dir is not None:
        args["project"] = str(Path(runs_dir).resolve())
    model = YOLO(config, task="detect")
    if choice.device == "cpu":
        model.add_callback("on_pretrain_routine_start", _use_all_cores)
    model.train(**args)
    trainer = model.trainer
    weights = Path(trainer.best if Path(trainer.best).is_file() else trainer.last)
    if not weights.is_file():
        raise TrainingError(f"training finished without a checkpoint in {trainer.save_dir}")
    metrics = _metrics(trainer.metrics or {})
    log.info("trained %s on %s: %s", weights, data_yaml, metrics)
    return TrainResult(weights, metrics, class_names, args)


def evaluate(
    weights: Path,
    data_yaml: Path,
    imgsz: int = 640,
    split: str = "val",
    batch: int = 8,
    device: str = "auto",
    runs_dir: Path | None = None,
) -> dict[str, float]:
    """mAP50, mAP50-95, precision and recall of ``weights`` on a YOLO dataset split."""
    from ultralytics import YOLO

    names = dataset_class_names(data_yaml)
    model = YOLO(str(weights), task="detect")
    model_names = [model.names[k] for k in sorted(model.names)]
    if model_names != names:
        raise TrainingError(f"model classes {model_names} do not match the dataset's {names}")
    kwargs: dict[str, Any] = {
        "data": str(data_yaml),
        "imgsz": imgsz,
        "split": split,
        "batch": batch,
        "device": select_device(device).device,
        "workers": 0,
        "plots": False,
        "verbose": False,
    }
    if runs_dir is not None:
        kwargs["project"] = str(Path(runs_dir).resolve())
    result = model.val(**kwargs)
    return _metrics(result.results_dict)


def export_onnx(weights: Path, imgsz: int = 640, dynamic: bool = False) -> Path:
    """Export to ONNX beside the weights; needs the ``onnx`` package (never auto-installed).

    ``dynamic`` allows any batch size and input shape at run time, at some speed cost.
    """
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise TrainingError("ONNX export needs the 'onnx' package installed") from exc
    from ultralytics import YOLO

    model = YOLO(str(weights), task="detect")
    path = model.export(format="onnx", imgsz=imgsz, dynamic=dynamic, simplify=False)
    return Path(path)


def export_tensorrt(weights: Path, imgsz: int = 640, batch: int = 8, half: bool = True) -> Path:
    """Build a TensorRT engine for the GPU of this machine (an engine is not portable).

    Needs CUDA and the ``tensorrt`` package; ``batch`` is the largest batch the engine accepts.
    """
    import torch

    if not torch.cuda.is_available():
        raise TrainingError("a TensorRT engine can only be built on a machine with a CUDA GPU")
    try:
        import tensorrt  # noqa: F401
    except ImportError as exc:
        raise TrainingError("TensorRT export needs the 'tensorrt' package installed") from exc
    from ultralytics import YOLO

    model = YOLO(str(weights), task="detect")
    path = model.export(
        format="engine", imgsz=imgsz, batch=batch, dynamic=batch > 1,
        quantize=16 if half else None, device=0,
    )  # fmt: skip
    return Path(path)
