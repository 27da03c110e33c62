"""Corroborated hypoxia: fish gasping at the surface on camera while the pond's DO reads low."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from agrimon.config import load
from sensors.timeseries import Point, TimeSeries, to_ns
from vision.models import Camera, Detection
from vision.services.hypoxia import EVENT_CLASS, corroborate_hypoxia
from vision.tests import django_support as support
from vision.tests.django_support import demo_pond

pytestmark = [pytest.mark.django_db]
demo = support.demo


@pytest.fixture
def influx():
    ts = TimeSeries.from_config(load(), database=f"test_vision_{uuid.uuid4().hex[:12]}")
    ts.ensure_database("30d")
    try:
        yield ts
    finally:
        ts.drop_database()
        ts.close()


@pytest.fixture
def surface_camera(demo):
    return Camera.objects.create(
        site=demo_pond(),
        name="塘面相机",
        kind=Camera.Kind.POND_SURFACE,
        source_kind=Camera.Source.RTSP,
        source="rtsp://192.0.2.1/pond",
    )


def seen(camera: Camera, cls: str, n: int, now) -> None:
    Detection.objects.bulk_create(
        Detection(
            camera=camera,
            time=now - timedelta(minutes=i),
            class_name=cls,
            confidence=0.8,
            box=[0, 0, 10, 10],
        )
        for i in range(n)
    )


def oxygen(ts: TimeSeries, camera: Camera, values: list[float], now) -> None:
    ts.write(
        Point("water", {"site": str(camera.site_id)}, {"do": v}, to_ns(now - timedelta(minutes=i)))
        for i, v in enumerate(reversed(values))
    )


def test_gasping_fish_and_low_oxygen_together_are_corroborated_hypoxia(surface_camera, influx):
    now = timezone.now()
    seen(surface_camera, "gasping", 4, now)
    oxygen(influx, surface_camera, [4.0, 3.1, 2.2], now)
    event = corroborate_hypoxia(surface_camera, now, influx)
    assert event is not None and event.class_name == EVENT_CLASS and event.count == 4
    assert (event.site_id, event.farm_id) == (surface_camera.site_id, surface_camera.site.farm_id)


def test_gasping_fish_with_normal_oxygen_are_not_hypoxia(surface_camera, influx):
    now = timezone.now()
    seen(surface_camera, "gasping", 5, now)
    oxygen(influx, surface_camera, [6.5, 6.4], now)
    assert corroborate_hypoxia(surface_camera, now, influx) is None


def test_low_oxygen_without_surface_behaviour_is_not_corroborated(surface_camera, influx):
    now = timezone.now()
    seen(surface_camera, "fish", 10, now)
    oxygen(influx, surface_camera, [1.8], now)
    assert corroborate_hypoxia(surface_camera, now, influx) is None


def test_no_oxygen_data_means_no_corroboration(surface_camera, influx):
    now = timezone.now()
    seen(surface_camera, "crowding", 5, now)
    assert corroborate_hypoxia(surface_camera, now, influx) is None


def test_only_pond_surface_cameras_are_checked(surface_camera, influx):
    now = timezone.now()
    Camera.objects.filter(pk=surface_camera.pk).update(kind=Camera.Kind.UNDERWATER)
    surface_camera.refresh_from_db()
    seen(surface_camera, "gasping", 5, now)
    oxygen(influx, surface_camera, [1.5], now)
    assert corroborate_hypoxia(surface_camera, now, influx) is None
