"""Fixtures shared by the vision app's Django tests."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings as django_settings

from demo.farm import DEMO_PASSWORD, seed_demo
from farm.models import Farm, Plot, Pond
from vision.models import Camera, DetectionModel

INSECTS = ["aphid", "beetle", "moth"]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo(db):
    return seed_demo()


@pytest.fixture
def demo_user(demo):
    from django.contrib.auth import get_user_model

    return lambda username: get_user_model().objects.get(username=username)


@pytest.fixture
def login(client, demo):
    def as_user(username: str | None):
        client.logout()
        if username:
            assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return as_user


@pytest.fixture
def offline_state(settings, ultralytics_state):
    """Ultralytics configured offline once per session, and the project pointed at that state."""
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, state_dir=ultralytics_state)
    return ultralytics_state


@pytest.fixture(scope="session")
def untrained_weights(tmp_path_factory, ultralytics_state) -> Path:
    """A real YOLO checkpoint with random weights: loads and predicts fast, finds nothing."""
    return untrained_checkpoint(tmp_path_factory.mktemp("untrained") / "pico.pt", INSECTS)


def untrained_checkpoint(path: Path, class_names: list[str]) -> Path:
    """Write a randomly initialised pico YOLO checkpoint knowing ``class_names``."""
    import torch
    from ultralytics.nn.tasks import DetectionModel as YoloNet

    config = Path(__file__).parents[1] / "model_configs" / "yolo11-pico.yaml"
    net = YoloNet(str(config), nc=len(class_names), verbose=False)
    net.names = dict(enumerate(class_names))
    torch.save({"model": net.half(), "train_args": {"imgsz": 96}}, path)
    return path


def register_weights(weights: Path, name: str = "pests", classes=None, **extra) -> DetectionModel:
    from vision.services.registry import register_model

    return register_model(name, weights, classes or INSECTS, {}, imgsz=96, **extra)


def trap_camera(site, name: str = "诱虫板1号", model: DetectionModel | None = None):
    """An upload camera on ``site`` and its upload token."""
    camera = Camera(
        site=site,
        name=name,
        kind=Camera.Kind.INSECT_TRAP,
        source_kind=Camera.Source.UPLOAD,
        model=model,
    )
    token = camera.issue_upload_token()
    camera.save()
    return camera, token


def demo_plot(farm_name: str = "程集稻虾共作示范基地") -> Plot:
    return Plot.objects.filter(farm__name=farm_name).order_by("name").first()


def demo_pond(farm_name: str = "大沙湖草鱼养殖场") -> Pond:
    return Pond.objects.filter(farm__name=farm_name).order_by("name").first()


def other_farm_plot() -> Plot:
    farm = Farm.objects.get(name="埠河番茄大棚基地")
    return Plot.objects.get_or_create(
        farm=farm, name="试验棚", defaults={"crop": "番茄", "area_m2": Decimal(100)}
    )[0]


def jpeg_bytes(width: int = 160, height: int = 120, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


def png_bytes(width: int = 160, height: int = 120) -> bytes:
    ok, buf = cv2.imencode(".png", np.full((height, width, 3), 200, np.uint8))
    assert ok
    return buf.tobytes()
