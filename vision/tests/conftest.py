"""Fixtures for the vision tests: Ultralytics configured offline, one tiny model trained once."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision.offline import configure_offline
from vision.synthetic import generate_dataset

# Large enough that a CPU run of ~45 s learns all three insect classes, small enough to stay there.
TRAIN_IMAGES = 48
TRAIN_EPOCHS = 30
IMGSZ = 160


@pytest.fixture(scope="session", autouse=True)
def ultralytics_state(tmp_path_factory) -> Path:
    """Before any test can import Ultralytics: nothing it does may reach the network."""
    state = tmp_path_factory.mktemp("ultralytics-state")
    configure_offline(state)
    return state


@pytest.fixture(scope="session")
def insect_dataset(tmp_path_factory) -> Path:
    return generate_dataset(
        tmp_path_factory.mktemp("insects"), "insects", n_train=TRAIN_IMAGES, n_val=8, seed=0
    )


@pytest.fixture(scope="session")
def trained_insect_model(ultralytics_state, insect_dataset):
    from vision.training import train

    return train(
        insect_dataset,
        "yolo11-pico.yaml",
        epochs=TRAIN_EPOCHS,
        imgsz=IMGSZ,
        batch=4,
        runs_dir=ultralytics_state / "runs",
        name="insects",
        optimizer="AdamW",
        lr0=0.01,
        warmup_epochs=1,
        mosaic=0.0,
    )
