"""The detectors shipped in ``vision/weights/``: which file serves which task, and how it runs.

Each entry says how the product runs the model (tiled or whole frame, inference size, the
operating confidence chosen on the held-out part of train) so that the evaluation command, the
demo and the bench all run it the same way. The SHA-256 pins the exact file the model card and
the metrics describe.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from vision.detectors import DetectorConfig

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


class ShippedModelError(RuntimeError):
    """The shipped weights are missing or are not the file the model card describes."""


@dataclass(frozen=True)
class ShippedModel:
    task: str
    file: str
    class_names: tuple[str, ...]
    imgsz: int
    backend: str  # ultralytics_tiled: whole photos cut into imgsz tiles; ultralytics_yolo: frames
    confidence: float  # the operating threshold: what counts and events use
    sha256: str

    @property
    def weights(self) -> Path:
        return WEIGHTS_DIR / self.file

    def verify(self) -> Path:
        """The weights path, after checking the file is the one described here."""
        path = self.weights
        if not path.is_file():
            raise ShippedModelError(f"shipped weights missing: {path.name}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise ShippedModelError(
                f"{path.name} is not the shipped file (sha256 {digest[:12]}…, "
                f"expected {self.sha256[:12]}…)"
            )
        return path

    def detector_config(
        self,
        confidence: float | None = None,
        device: str = "auto",
        runtime: str = "auto",
        weights: Path | None = None,
    ) -> DetectorConfig:
        """How the product runs this model; ``weights`` runs another file the same way."""
        return DetectorConfig(
            weights=self.verify() if weights is None else Path(weights),
            backend=self.backend,
            class_names=list(self.class_names),
            confidence=self.confidence if confidence is None else confidence,
            imgsz=self.imgsz,
            device=device,
            runtime=runtime,
        )


SHIPPED: dict[str, ShippedModel] = {
    "trap": ShippedModel(
        task="trap",
        file="trap-insect-pico-t320.pt",
        class_names=("insect",),
        imgsz=320,
        backend="ultralytics_tiled",
        confidence=0.275,  # held-out counting confidence (vision.tune.choose)
        sha256="e2cc0281100dd7bc214d421b1a1a44e13ded1729a8950e64aa47f1c1ca26c569",
    ),
    "fish": ShippedModel(
        task="fish",
        file="fish-pico-320.pt",
        class_names=("fish",),
        imgsz=320,
        backend="ultralytics_yolo",
        confidence=0.15,  # lowest held-out per-frame count error (vision.tune)
        sha256="8b21ad9b8da9e073349ab39e946c4108871287e6222426833d676dedee58cf7d",
    ),
}


def shipped(task: str) -> ShippedModel:
    try:
        return SHIPPED[task]
    except KeyError:
        raise ShippedModelError(f"no shipped model for task {task!r}") from None
