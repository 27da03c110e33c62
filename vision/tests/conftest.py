"""Fixtures for the vision tests: Ultralytics configured offline, one small committed model."""

from __future__ import annotations

from pathlib import Path

import pytest

from vision.offline import configure_offline
from vision.tests import checkpoint

IMGSZ = checkpoint.IMGSZ


@pytest.fixture(scope="session", autouse=True)
def ultralytics_state(tmp_path_factory) -> Path:
    """Before any test can import Ultralytics: nothing it does may reach the network.

    One directory per session, by name: the demo tests borrow this fixture, and Ultralytics
    takes its config dir once per process, so both must configure the same one.
    """
    state = tmp_path_factory.getbasetemp() / "ultralytics-state"
    state.mkdir(exist_ok=True)
    configure_offline(state)
    return state


@pytest.fixture(scope="session")
def insect_dataset(tmp_path_factory) -> Path:
    """The generated scenes the committed checkpoint was trained and is judged on."""
    return checkpoint.dataset(tmp_path_factory.mktemp("insects"))


@pytest.fixture(scope="session")
def insect_checkpoint(ultralytics_state) -> Path:
    """The committed pico YOLO checkpoint, verified by its SHA-256 (see ``checkpoint.py``)."""
    return checkpoint.verified_checkpoint()
