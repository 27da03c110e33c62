"""The camera wall and the detection timeline, scoped to the farms the user may read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile

from vision.models import Camera, Detection
from vision.tests import django_support as support
from vision.tests.django_support import demo_plot, jpeg_bytes, other_farm_plot

pytestmark = pytest.mark.django_db
demo, media, login = support.demo, support.media, support.login

AT = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def camera_on(site, name: str) -> Camera:
    return Camera.objects.create(
        site=site, name=name, kind="field", source_kind="rtsp", source="rtsp://192.0.2.1/x"
    )


def detection(camera: Camera, cls: str, minutes: int = 0, snapshot: bool = True) -> Detection:
    record = Detection(
        camera=camera,
        time=AT + timedelta(minutes=minutes),
        class_name=cls,
        confidence=0.8,
        box=[1, 2, 30, 40],
    )
    if snapshot:
        record.snapshot.save(f"d{camera.pk}_{minutes}.jpg", ContentFile(jpeg_bytes()), save=False)
    record.save()
    return record


@pytest.fixture
def cameras(demo, media):
    mine = camera_on(demo_plot(), "稻田相机")
    theirs = camera_on(other_farm_plot(), "大棚相机")
    return mine, theirs


def test_the_wall_shows_the_latest_snapshot_of_each_visible_camera(cameras, login):
    mine, theirs = cameras
    detection(mine, "moth", 0)
    latest = detection(mine, "aphid", 5)
    detection(theirs, "moth", 0)
    html = login("farmer_li").get("/vision/").content.decode()
    assert f'data-camera="{mine.pk}"' in html and f'data-camera="{theirs.pk}"' not in html
    assert f"/vision/detections/{latest.pk}/snapshot.jpg" in html


def test_a_snapshot_of_another_farm_is_a_404(cameras, login):
    _mine, theirs = cameras
    other = detection(theirs, "moth")
    assert login("farmer_li").get(f"/vision/detections/{other.pk}/snapshot.jpg").status_code == 404
    response = login("manager_gongan").get(f"/vision/detections/{other.pk}/snapshot.jpg")
    assert response.status_code == 200


def test_a_detection_without_a_snapshot_file_is_a_404(cameras, login):
    mine, _ = cameras
    bare = detection(mine, "moth", snapshot=False)
    assert login("farmer_li").get(f"/vision/detections/{bare.pk}/snapshot.jpg").status_code == 404


def test_the_timeline_lists_visible_detections_newest_first(cameras, login):
    mine, theirs = cameras
    old, new = detection(mine, "moth", 0), detection(mine, "aphid", 10)
    hidden = detection(theirs, "moth", 5)
    html = login("farmer_li").get("/vision/detections/").content.decode()
    assert html.index(f'data-detection="{new.pk}"') < html.index(f'data-detection="{old.pk}"')
    assert f'data-detection="{hidden.pk}"' not in html


def test_the_timeline_filters_by_class_camera_and_date(cameras, login):
    mine, _ = cameras
    other_cam = camera_on(demo_plot(), "二号相机")
    moth = detection(mine, "moth", 0)
    aphid = detection(mine, "aphid", 0)
    later = detection(other_cam, "moth", 60 * 24 * 3)
    client = login("farmer_li")
    page = client.get("/vision/detections/", {"class_name": "moth", "camera": mine.pk})
    assert [d.pk for d in page.context["page"]] == [moth.pk]
    page = client.get("/vision/detections/", {"since": "2026-06-03"})
    assert [d.pk for d in page.context["page"]] == [later.pk]
    assert aphid.pk not in [d.pk for d in page.context["page"]]


def test_filtering_by_a_camera_of_another_farm_is_refused(cameras, login):
    _mine, theirs = cameras
    detection(theirs, "moth")
    response = login("farmer_li").get("/vision/detections/", {"camera": theirs.pk})
    assert response.status_code == 400 and list(response.context["page"]) == []


@pytest.mark.parametrize(
    "params", [{"since": "not-a-date"}, {"since": "2026-06-05", "until": "2026-06-01"}]
)
def test_bad_dates_in_the_timeline_filter_are_a_400(cameras, login, params):
    assert login("farmer_li").get("/vision/detections/", params).status_code == 400


def test_the_timeline_pages_by_fifty(cameras, login):
    mine, _ = cameras
    for minute in range(55):
        detection(mine, "moth", minute, snapshot=False)
    client = login("farmer_li")
    first = client.get("/vision/detections/", {"class_name": "moth"})
    assert len(first.context["page"]) == 50 and "page=2" in first.content.decode()
    second = client.get("/vision/detections/", {"class_name": "moth", "page": 2})
    assert len(second.context["page"]) == 5


def test_the_api_lists_only_detections_of_visible_farms(cameras, login):
    mine, theirs = cameras
    seen = detection(mine, "moth")
    detection(theirs, "moth")
    body = login("farmer_li").get("/api/vision/detections/").json()
    assert [d["id"] for d in body["results"]] == [seen.pk]


def test_the_api_filters_detections_by_class_and_time(cameras, login):
    mine, _ = cameras
    detection(mine, "moth", 0)
    later = detection(mine, "moth", 30)
    detection(mine, "aphid", 30)
    body = (
        login("farmer_li")
        .get("/api/vision/detections/", {"class_name": "moth", "since": "2026-06-01T02:10:00Z"})
        .json()
    )
    assert [d["id"] for d in body["results"]] == [later.pk]


def test_the_camera_api_shows_health_but_never_the_token_hash(cameras, login):
    mine, theirs = cameras
    body = login("farmer_li").get("/api/vision/cameras/").json()
    assert [c["id"] for c in body["results"]] == [mine.pk]
    assert "fps" in body["results"][0] and "upload_token_hash" not in body["results"][0]


def test_the_api_needs_a_login(client, cameras):
    assert client.get("/api/vision/cameras/").status_code in (401, 403)


def test_the_api_is_read_only(cameras, login):
    mine, _ = cameras
    response = login("manager_jianli").delete(f"/api/vision/cameras/{mine.pk}/")
    assert response.status_code == 405
