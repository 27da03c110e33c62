"""Trap photo counting, staff review, pest trends and the camera health page, scoped by farm."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings
from django.utils import timezone

from vision.detectors.base import Detection as FrameDetection
from vision.models import Camera, DetectionModel, TrapCount, TrapPhoto
from vision.services import (
    TrapReview,
    daily_counts,
    record_trap_photo,
    review_trap_photo,
    trap_photo_to_alert_events,
)
from vision.tests import django_support as support
from vision.tests.django_support import INSECTS, demo_plot, jpeg_bytes, other_farm_plot, trap_camera

pytestmark = pytest.mark.django_db
demo, media, login, demo_user = support.demo, support.media, support.login, support.demo_user


@pytest.fixture
def pest_model(media) -> DetectionModel:
    weights = Path(settings.MEDIA_ROOT) / "vision" / "models" / "pests.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights are not loaded in these tests")
    return DetectionModel.objects.create(
        name="pests",
        weights="vision/models/pests.pt",
        class_names=INSECTS,
        class_config={"moth": {"confidence": 0.4, "severity": "warning"}},
    )


@pytest.fixture
def trap(demo, pest_model) -> Camera:
    return trap_camera(demo_plot(), model=pest_model)[0]


def det(cls: str, x: float, y: float, conf: float = 0.9) -> FrameDetection:
    return FrameDetection(cls, conf, (x, y, x + 20.0, y + 20.0))


def photo_of(camera: Camera, detections, when: datetime | None = None) -> TrapPhoto:
    data = jpeg_bytes(200, 150)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return record_trap_photo(camera, image, data, "jpg", detections, when)


AT = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.get_fixed_timezone(480))


def test_a_second_photo_counts_only_insects_that_arrived_since_the_first(trap):
    photo_of(trap, [det("moth", 10, 10), det("aphid", 60, 60)], AT)
    second = photo_of(
        trap,
        [det("moth", 11, 10), det("aphid", 60, 61), det("moth", 120, 90)],
        AT + timedelta(hours=1),
    )
    counts = {c.species: (c.raw_present, c.raw_new) for c in second.counts.all()}
    assert counts == {"moth": (2, 1), "aphid": (1, 0)}
    assert [b["new"] for b in second.boxes] == [False, False, True]


def test_detections_outside_the_regions_of_interest_are_not_counted(trap):
    trap.regions = [[0.0, 0.0, 0.5, 1.0]]
    trap.save()
    photo = photo_of(trap, [det("moth", 10, 10), det("moth", 170, 10)], AT)
    assert [(c.species, c.raw_new) for c in photo.counts.all()] == [("moth", 1)]


def test_a_review_keeps_raw_and_reviewed_counts_and_writes_yolo_labels(trap, demo_user):
    photo = photo_of(trap, [det("moth", 10, 10), det("moth", 100, 50), det("aphid", 60, 60)], AT)
    review_trap_photo(
        photo,
        demo_user("farmer_li"),
        TrapReview(["beetle", "moth", None], {"moth": 1, "beetle": 1, "aphid": 0}),
    )
    photo.refresh_from_db()
    counts = {c.species: (c.raw_new, c.reviewed_new) for c in photo.counts.all()}
    assert counts == {"moth": (2, 1), "aphid": (1, 0), "beetle": (0, 1)}
    assert photo.status == TrapPhoto.Status.REVIEWED and photo.reviewer.username == "farmer_li"
    lines = photo.labels_file.read().decode().splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2"]  # beetle, moth
    cx, cy, w, h = map(float, lines[0].split()[1:])
    assert (cx, cy, w, h) == pytest.approx((20 / 200, 20 / 150, 20 / 200, 20 / 150), abs=1e-6)
    assert photo.labels_complete


def test_counting_more_insects_than_boxes_marks_the_labels_incomplete(trap, demo_user):
    photo = photo_of(trap, [det("moth", 10, 10)], AT)
    review_trap_photo(photo, demo_user("farmer_li"), TrapReview(["moth"], {"moth": 3}))
    photo.refresh_from_db()
    assert not photo.labels_complete


def test_the_next_photo_is_compared_with_the_reviewed_boxes(trap, demo_user):
    first = photo_of(trap, [det("moth", 10, 10), det("moth", 100, 50)], AT)
    review_trap_photo(first, demo_user("farmer_li"), TrapReview(["moth", None], {"moth": 1}))
    second = photo_of(trap, [det("moth", 10, 10), det("moth", 100, 50)], AT + timedelta(hours=1))
    assert [b["new"] for b in second.boxes] == [False, True]


def test_a_review_with_a_class_the_model_lacks_is_refused(trap, demo_user):
    photo = photo_of(trap, [det("moth", 10, 10)], AT)
    with pytest.raises(ValueError, match="does not know"):
        review_trap_photo(photo, demo_user("farmer_li"), TrapReview(["locust"], {}))


def test_daily_counts_sum_new_insects_per_species_preferring_reviewed_counts(trap, demo_user):
    first = photo_of(trap, [det("moth", 10, 10)], AT)
    photo_of(trap, [det("moth", 10, 10), det("moth", 90, 90)], AT + timedelta(hours=2))
    photo_of(trap, [det("aphid", 150, 20)], AT + timedelta(days=1))
    review_trap_photo(first, demo_user("farmer_li"), TrapReview(["moth"], {"moth": 4}))
    series = daily_counts(TrapPhoto.objects.all(), AT.date(), AT.date() + timedelta(days=1))
    day1, day2 = AT.date(), AT.date() + timedelta(days=1)
    assert series == {"moth": {day1: 5}, "aphid": {day2: 1}}


def test_trap_catches_become_alert_events_per_species_of_new_insects(trap):
    photo_of(trap, [det("moth", 10, 10)], AT)
    photo = photo_of(trap, [det("moth", 10, 10), det("moth", 90, 90), det("aphid", 60, 60)], AT)
    events = {e.class_name: e for e in trap_photo_to_alert_events(photo)}
    assert (events["moth"].count, events["aphid"].count) == (1, 1)
    assert events["moth"].farm_id == trap.site.farm_id and events["moth"].camera == f"cam{trap.pk}"


def test_an_upload_hands_its_catch_to_the_alert_engine_after_commit(
    trap, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        photo_of(trap, [det("moth", 10, 10)], AT)
    assert len(callbacks) == 1


# --- pages --------------------------------------------------------------------------------


def form_data(photo: TrapPhoto, classes, counts) -> dict:
    data = {f"box_{i}": c for i, c in enumerate(classes)}
    data.update({f"count_{s}": counts.get(s, 0) for s in INSECTS})
    return data


def test_an_operator_of_the_farm_confirms_counts_on_the_review_page(trap, login):
    photo = photo_of(trap, [det("moth", 10, 10), det("aphid", 60, 60)], AT)
    client = login("farmer_li")
    page = client.get(f"/vision/traps/{photo.pk}/")
    assert page.status_code == 200
    assert b'data-box="2"' in page.content and b"<form" in page.content
    response = client.post(
        f"/vision/traps/{photo.pk}/", form_data(photo, ["moth", "-"], {"moth": 1})
    )
    assert response.status_code == 302
    counts = {c.species: c.reviewed_new for c in TrapCount.objects.filter(photo=photo)}
    assert counts == {"moth": 1, "aphid": 0}


def test_a_negative_count_is_shown_again_with_an_error(trap, login):
    photo = photo_of(trap, [det("moth", 10, 10)], AT)
    response = login("farmer_li").post(
        f"/vision/traps/{photo.pk}/", form_data(photo, ["moth"], {"moth": -2})
    )
    assert response.status_code == 400
    assert not TrapPhoto.objects.filter(status=TrapPhoto.Status.REVIEWED).exists()


def test_a_box_verdict_outside_the_choices_is_refused(trap, login):
    photo = photo_of(trap, [det("moth", 10, 10)], AT)
    response = login("farmer_li").post(
        f"/vision/traps/{photo.pk}/", form_data(photo, ["<script>"], {"moth": 1})
    )
    assert response.status_code == 400


def test_a_bureau_reviewer_sees_the_photo_but_cannot_review_it(trap, login):
    photo = photo_of(trap, [det("moth", 10, 10)], AT)
    client = login("bureau_jingzhou")
    page = client.get(f"/vision/traps/{photo.pk}/")
    assert page.status_code == 200 and b'<form method="post" class="review"' not in page.content
    response = client.post(f"/vision/traps/{photo.pk}/", form_data(photo, ["moth"], {"moth": 9}))
    assert response.status_code == 403
    assert TrapCount.objects.get(photo=photo).reviewed_new is None


def test_staff_of_another_farm_get_a_404_for_the_photo_and_its_image(trap, login):
    photo = photo_of(trap, [det("moth", 10, 10)], AT)
    client = login("farmer_wang")
    assert client.get(f"/vision/traps/{photo.pk}/").status_code == 404
    assert client.get(f"/vision/traps/{photo.pk}/photo").status_code == 404
    assert client.post(f"/vision/traps/{photo.pk}/", {}).status_code == 404


def test_the_photo_image_is_served_to_readers_only_when_logged_in(trap, login, client):
    photo = photo_of(trap, [], AT)
    assert client.get(f"/vision/traps/{photo.pk}/photo").status_code == 302
    response = login("manager_jianli").get(f"/vision/traps/{photo.pk}/photo")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_the_trap_list_shows_only_photos_of_visible_farms(trap, login):
    mine = photo_of(trap, [det("moth", 10, 10)], AT)
    other_camera = trap_camera(other_farm_plot(), model=trap.model)[0]
    theirs = photo_of(other_camera, [det("moth", 10, 10)], AT)
    page = login("farmer_li").get("/vision/traps/").content.decode()
    assert f'data-photo="{mine.pk}"' in page and f'data-photo="{theirs.pk}"' not in page


def test_the_pest_trend_page_charts_per_species_daily_counts(trap, login):
    now = timezone.now()
    photo_of(trap, [det("moth", 10, 10), det("aphid", 60, 60)], now - timedelta(days=1))
    photo_of(trap, [det("moth", 100, 100)], now)
    page = login("farmer_li").get(f"/vision/sites/{trap.site_id}/pests/?days=7")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<polyline") == 2 and 'data-series="moth"' in html
    assert "<script" not in html.split("<main>", 1)[1]  # the chart itself needs no script


def test_the_pest_trend_page_of_an_invisible_site_is_a_404(trap, login):
    assert login("farmer_wang").get(f"/vision/sites/{trap.site_id}/pests/").status_code == 404


def test_a_nonsense_days_parameter_falls_back_to_thirty_days(trap, login):
    page = login("farmer_li").get(f"/vision/sites/{trap.site_id}/pests/?days=abc")
    assert page.status_code == 200 and page.context["days"] == 30


def test_the_health_page_lists_visible_cameras_with_their_health(trap, login):
    Camera.objects.filter(pk=trap.pk).update(
        fps=4.5, lag_s=0.3, errors=2, last_error="stream dropped", health_state="running"
    )
    hidden = trap_camera(other_farm_plot(), name="棚内相机")[0]
    html = login("farmer_li").get("/vision/cameras/").content.decode()
    assert f'data-camera="{trap.pk}"' in html and f'data-camera="{hidden.pk}"' not in html
    assert "4.5" in html and "stream dropped" in html


def test_pages_need_a_login(client, trap):
    assert client.get("/vision/cameras/").status_code == 302
    assert client.get("/vision/traps/").status_code == 302


def test_completely_reviewed_photos_export_as_a_yolo_data_set(trap, tmp_path):
    from django.core.management import call_command

    done = photo_of(trap, [det("moth", 10, 10), det("aphid", 60, 40)], AT)
    review_trap_photo(done, None, TrapReview(["moth", "aphid"], {"moth": 1, "aphid": 1}))
    partial = photo_of(trap, [det("moth", 10, 10)], AT + timedelta(days=1))
    review_trap_photo(partial, None, TrapReview(["moth"], {"moth": 3}))  # 2 moths without a box
    photo_of(trap, [det("beetle", 30, 30)], AT + timedelta(days=2))  # not reviewed

    out = tmp_path / "dataset"
    call_command("export_trap_dataset", str(out))
    images = sorted(p.name for p in (out / "images" / "train").iterdir())
    assert images == [f"trap{trap.pk}_{done.pk}.jpg"]
    label = (out / "labels" / "train" / f"trap{trap.pk}_{done.pk}.txt").read_text().split("\n")
    assert sorted(line.split()[0] for line in label if line) == ["0", "2"]  # aphid, moth
    data = (out / "data.yaml").read_text()
    assert "train: images/train" in data and "2: moth" in data
