"""The vision demo command: trains once, then only checks; never duplicates a record."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from vision.demo import CAMERAS, DETECTORS, TRAP_PHOTOS, demo_dir
from vision.models import Camera, DetectionModel, TrapPhoto
from vision.services.worker import WorkerSettings, camera_config, cameras_for_worker
from vision.tests import django_support as support

pytestmark = pytest.mark.django_db
demo, media, offline_state = support.demo, support.media, support.offline_state

QUICK = ("--epochs", "1", "--train-images", "4", "--device", "cpu")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_vision_demo", *QUICK, stdout=out)
    return out.getvalue()


def test_the_demo_trains_once_and_a_second_run_duplicates_nothing(demo, media, offline_state):
    first = seed()
    assert "trained: demo-insects, demo-fish" in first
    assert "upload token of" in first
    weights = {spec.name: demo_dir() / "weights" / f"{spec.name}.pt" for spec in DETECTORS}
    mtimes = {name: path.stat().st_mtime_ns for name, path in weights.items()}
    models = {m.name: m for m in DetectionModel.objects.all()}
    assert set(models) == set(weights)
    insects = models["demo-insects"]
    assert insects.class_names == ["aphid", "beetle", "moth"]
    assert insects.severity("beetle") == "warning" and insects.confidences()["moth"] == 0.25
    assert insects.weights_path.is_file()

    cameras = Camera.objects.select_related("model")
    assert cameras.count() == len(CAMERAS)
    running = list(cameras_for_worker(""))
    assert {c.kind for c in running} == {Camera.Kind.FIELD, Camera.Kind.POND_SURFACE}
    for camera in running:
        config = camera_config(camera, WorkerSettings())
        assert config.loop and config.source.is_file() and config.sample_every == 1
    trap = cameras.get(kind=Camera.Kind.INSECT_TRAP)
    assert trap.model == insects and trap.upload_token_hash
    assert TrapPhoto.objects.filter(camera=trap).count() == TRAP_PHOTOS

    DetectionModel.objects.filter(pk=insects.pk).update(class_config={})
    second = seed()
    assert "trained: none" in second and "upload token" not in second
    assert {n: p.stat().st_mtime_ns for n, p in weights.items()} == mtimes
    assert set(DetectionModel.objects.values_list("name", "version")) == {
        (name, 1) for name in weights
    }
    insects.refresh_from_db()
    assert insects.severity("beetle") == "warning"  # the demo's thresholds are brought back
    assert Camera.objects.count() == len(CAMERAS)
    assert TrapPhoto.objects.count() == TRAP_PHOTOS
    trap.refresh_from_db()
    assert trap.upload_token_hash  # the token handed out on the first run still works


def test_a_changed_recipe_retrains_and_moves_the_cameras_to_the_new_version(
    demo, media, offline_state
):
    seed()
    out = io.StringIO()
    call_command(
        "seed_vision_demo", "--epochs", "2", "--train-images", "4", "--device", "cpu", stdout=out
    )
    assert "trained: demo-insects, demo-fish" in out.getvalue()
    field = Camera.objects.get(kind=Camera.Kind.FIELD)
    assert (field.model.name, field.model.version) == ("demo-insects", 2)


def test_without_the_farm_demo_the_command_says_what_to_run_first(db, media, offline_state):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        seed()
