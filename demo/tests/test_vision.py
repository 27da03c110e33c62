"""The vision demo command: the shipped models on real photos, credited; never a duplicate."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.vision import CAMERAS, DETECTORS, TRAP_CREDIT, TRAP_PHOTOS
from vision.models import Camera, DetectionModel, TrapPhoto
from vision.services.worker import WorkerSettings, camera_config, cameras_for_worker
from vision.tests import django_support as support

pytestmark = pytest.mark.django_db
demo, media, offline_state = support.demo, support.media, support.offline_state
login = support.login


def seed() -> str:
    out = io.StringIO()
    call_command("seed_vision_demo", "--device", "cpu", stdout=out)
    return out.getvalue()


def test_the_demo_counts_a_week_of_real_trap_photos_with_the_shipped_model(
    demo, media, offline_state, login
):
    first = seed()
    assert "new: trap-insects v1, pond-fish v1" in first
    assert "upload token of" in first
    models = {m.name: m for m in DetectionModel.objects.all()}
    assert set(models) == {spec.name for spec in DETECTORS}
    trap_model = models["trap-insects"]
    assert trap_model.class_names == ["insect"] and trap_model.backend == "ultralytics_tiled"
    assert models["pond-fish"].class_names == ["fish"]  # no lesion classes: none trained on real

    cameras = Camera.objects.select_related("model")
    assert cameras.count() == len(CAMERAS)
    running = list(cameras_for_worker(""))
    assert [c.kind for c in running] == [Camera.Kind.POND_SURFACE]
    config = camera_config(running[0], WorkerSettings())
    assert config.loop and config.source.is_file()

    trap = cameras.get(kind=Camera.Kind.INSECT_TRAP)
    photos = list(TrapPhoto.objects.filter(camera=trap).order_by("taken_at"))
    assert len(photos) == len(TRAP_PHOTOS)
    assert {p.credit for p in photos} == {TRAP_CREDIT}
    assert {p.taken_at.date() for p in photos}.__len__() == len(TRAP_PHOTOS)  # one a day
    assert all(max(p.width, p.height) == 1280 for p in photos)  # full resolution, not shrunk
    # Real insects on real cards: the shipped model finds dozens on each (55-98 are boxed).
    assert all(len(p.boxes) >= 20 for p in photos)

    page = login("farmer_li").get(reverse("vision:trap-review", args=[photos[-1].pk]))
    assert page.status_code == 200 and TRAP_CREDIT in page.content.decode()

    second = seed()
    assert "new: none" in second and "upload token" not in second
    assert set(DetectionModel.objects.values_list("name", "version")) == {
        ("trap-insects", 1), ("pond-fish", 1)
    }  # fmt: skip
    assert TrapPhoto.objects.count() == len(TRAP_PHOTOS)


def test_without_the_farm_demo_the_command_says_what_to_run_first(db, media, offline_state):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        seed()
