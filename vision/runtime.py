"""Which runtime runs a model's weights: PyTorch, ONNX Runtime or OpenVINO, picked at start.

On a CUDA machine the ``.pt`` weights run in PyTorch with half precision. On a CPU the exported
copies beside the weights are preferred when their runtime is installed, fastest first (order
measured by ``bench/vision_bench.py`` on a 2-core x86 CPU); with neither installed or exported,
PyTorch runs the ``.pt`` as before. Exports are made by ``python -m vision.export`` and shipped
beside the weights, never built at start.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

log = logging.getLogger(__name__)

RUNTIMES = ("torch", "openvino", "onnx")
CPU_PREFERENCE = ("openvino", "onnx", "torch")
_MODULES = {"torch": "torch", "onnx": "onnxruntime", "openvino": "openvino"}


class RuntimeChoiceError(ValueError):
    """The requested runtime cannot run these weights here."""


def exported_path(weights: Path, runtime: str) -> Path:
    """Where the export of ``weights`` for ``runtime`` lives (Ultralytics' own naming)."""
    weights = Path(weights)
    if runtime == "onnx":
        return weights.with_suffix(".onnx")
    if runtime == "openvino":
        return weights.parent / f"{weights.stem}_openvino_model"
    if runtime == "torch":
        return weights
    raise RuntimeChoiceError(f"unknown runtime {runtime!r}, known: {', '.join(RUNTIMES)}")


def installed(runtime: str) -> bool:
    return importlib.util.find_spec(_MODULES[runtime]) is not None


def available(weights: Path) -> list[str]:
    """Runtimes that could run ``weights`` here: installed, and the export exists."""
    weights = Path(weights)
    if weights.suffix != ".pt":
        return []  # already an export (or a TensorRT engine): run as given
    return [r for r in RUNTIMES if installed(r) and exported_path(weights, r).exists()]


def choose(weights: Path, device: str, preferred: str = "auto") -> tuple[str, Path]:
    """The runtime and file to load for ``weights`` on ``device``."""
    weights = Path(weights)
    if weights.suffix != ".pt":
        return ("onnx" if weights.suffix == ".onnx" else "given"), weights
    if preferred != "auto":
        if preferred not in available(weights):
            raise RuntimeChoiceError(
                f"runtime {preferred!r} cannot run {weights.name} here "
                f"(available: {', '.join(available(weights)) or 'none'})"
            )
        return preferred, exported_path(weights, preferred)
    if device.startswith("cuda"):
        return "torch", weights
    usable = available(weights)
    for runtime in CPU_PREFERENCE:
        if runtime in usable:
            log.info("running %s with %s", weights.name, runtime)
            return runtime, exported_path(weights, runtime)
    return "torch", weights
