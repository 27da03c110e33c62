"""The small YOLO checkpoint the model-quality tests load, and the recipe that made it.

Training even a tiny network gives different weights with other thread counts, CPUs or library
versions, so the tests do not train: they load this committed checkpoint and check its SHA-256.
To rebuild it (after changing the architecture, the generator or the pinned Ultralytics):

    python -m vision.tests.checkpoint

then commit ``vision/tests/data/insects-pico.pt`` and the new ``SHA256`` printed.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

from demo.synthetic_scenes import generate_dataset

PATH = Path(__file__).parent / "data" / "insects-pico.pt"
SHA256 = "22892873818a845ebd7e5ca4a5bcb7c6f8e9e2a685c01b32cb83b0cfc3028fbd"
IMGSZ = 160
TRAIN_IMAGES = 48
TRAIN_EPOCHS = 30


def dataset(root: Path) -> Path:
    """The generated insect scenes the checkpoint was trained and is judged on."""
    return generate_dataset(root, "insects", n_train=TRAIN_IMAGES, n_val=8, seed=0)


def verified_checkpoint() -> Path:
    """The committed checkpoint, refused if its bytes differ from the recorded hash."""
    digest = hashlib.sha256(PATH.read_bytes()).hexdigest()
    if digest != SHA256:
        raise AssertionError(f"{PATH.name} has SHA-256 {digest}, expected {SHA256}")
    return PATH


def build() -> str:
    """Train the checkpoint with the recorded recipe; return its SHA-256."""
    from vision.offline import configure_offline
    from vision.training import train

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        configure_offline(root / "state")
        result = train(
            dataset(root / "insects"),
            "yolo11-pico.yaml",
            epochs=TRAIN_EPOCHS,
            imgsz=IMGSZ,
            batch=4,
            runs_dir=root / "runs",
            name="insects",
            optimizer="AdamW",
            lr0=0.01,
            warmup_epochs=1,
            mosaic=0.0,
            seed=0,
        )
        PATH.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(result.weights_path, PATH)
        print(f"mAP50 on the generated val split: {result.metrics.get('mAP50')}")
    return hashlib.sha256(PATH.read_bytes()).hexdigest()


if __name__ == "__main__":
    sys.stdout.write(f"SHA256 = {build()!r}\n")
