"""The trap camera upload endpoint: a per-camera bearer token, size and type checks."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from vision.models import Camera, TrapPhoto
from vision.services import MAX_UPLOAD_BYTES
from vision.tests import django_support as support
from vision.tests.django_support import (
    demo_plot,
    jpeg_bytes,
    png_bytes,
    register_weights,
    trap_camera,
)

demo, media = support.demo, support.media
offline_state, untrained_weights = support.offline_state, support.untrained_weights

pytestmark = pytest.mark.django_db


@pytest.fixture
def trap(demo, media):
    return trap_camera(demo_plot())


def post(client, camera, token, body: bytes, content_type="image/jpeg", **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(
        f"/vision/upload/{camera.pk}/", data=body, content_type=content_type, **headers
    )


def test_a_jpeg_with_the_right_token_is_stored_as_a_trap_photo(client, trap):
    camera, token = trap
    response = post(client, camera, token, jpeg_bytes())
    assert response.status_code == 201, response.content
    photo = TrapPhoto.objects.get(pk=response.json()["photo"])
    assert (photo.camera, photo.width, photo.height) == (camera, 160, 120)
    assert photo.image.read(3) == b"\xff\xd8\xff"


def test_a_photo_from_a_camera_without_a_model_waits_uncounted(client, trap):
    camera, token = trap
    body = post(client, camera, token, png_bytes()).json()
    assert body["status"] == TrapPhoto.Status.NO_MODEL and body["counts"] == {}


def test_a_multipart_photo_field_is_accepted(client, trap):
    camera, token = trap
    response = client.post(
        f"/vision/upload/{camera.pk}/",
        {"photo": SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201


def test_the_time_the_photo_was_taken_is_kept(client, trap):
    camera, token = trap
    response = post(
        client, camera, token, jpeg_bytes(), HTTP_X_TAKEN_AT="2026-06-01T05:30:00+08:00"
    )
    assert TrapPhoto.objects.get().taken_at.isoformat() == "2026-05-31T21:30:00+00:00"
    assert response.status_code == 201


@pytest.mark.parametrize("value", ["yesterday", "2026-06-01T05:30:00"])
def test_a_taken_at_that_is_not_an_aware_iso_time_is_a_400(client, trap, value):
    camera, token = trap
    response = post(client, camera, token, jpeg_bytes(), HTTP_X_TAKEN_AT=value)
    assert (response.status_code, response.json()["error"]) == (400, "bad_time")


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_a_missing_or_wrong_token_is_a_401_and_stores_nothing(client, trap, token):
    camera, _ = trap
    response = post(client, camera, token, jpeg_bytes())
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not TrapPhoto.objects.exists()


def test_another_cameras_token_is_refused(client, trap):
    camera, _ = trap
    _other, other_token = trap_camera(camera.site, name="诱虫板2号")
    assert post(client, camera, other_token, jpeg_bytes()).status_code == 401


def test_a_token_in_another_scheme_is_refused(client, trap):
    camera, token = trap
    response = client.post(
        f"/vision/upload/{camera.pk}/",
        data=jpeg_bytes(),
        content_type="image/jpeg",
        HTTP_AUTHORIZATION=f"Basic {token}",
    )
    assert response.status_code == 401


def test_an_unknown_camera_looks_like_a_wrong_token(client, trap):
    camera, token = trap
    response = client.post(
        f"/vision/upload/{camera.pk + 1000}/",
        data=jpeg_bytes(),
        content_type="image/jpeg",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 401


def test_only_the_hash_of_the_token_is_stored(trap):
    camera, token = trap
    camera.refresh_from_db()
    assert token not in camera.upload_token_hash and len(camera.upload_token_hash) == 64


def test_a_stream_camera_takes_no_uploads(client, trap):
    camera, token = trap
    Camera.objects.filter(pk=camera.pk).update(source_kind=Camera.Source.RTSP)
    assert post(client, camera, token, jpeg_bytes()).status_code == 401


def test_a_disabled_camera_is_a_403(client, trap):
    camera, token = trap
    Camera.objects.filter(pk=camera.pk).update(enabled=False)
    response = post(client, camera, token, jpeg_bytes())
    assert (response.status_code, response.json()["error"]) == (403, "camera_disabled")


def test_a_photo_over_the_size_limit_is_a_413(client, trap):
    camera, token = trap
    body = jpeg_bytes() + b"\0" * MAX_UPLOAD_BYTES
    response = post(client, camera, token, body)
    assert (response.status_code, response.json()["error"]) == (413, "too_large")
    assert not TrapPhoto.objects.exists()


def test_an_oversized_multipart_photo_is_a_413(client, trap):
    camera, token = trap
    big = SimpleUploadedFile("p.jpg", jpeg_bytes() + b"\0" * MAX_UPLOAD_BYTES, "image/jpeg")
    response = client.post(
        f"/vision/upload/{camera.pk}/", {"photo": big}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 413


def test_multipart_without_a_photo_field_is_a_400(client, trap):
    camera, token = trap
    response = client.post(
        f"/vision/upload/{camera.pk}/", {"note": "x"}, HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert (response.status_code, response.json()["error"]) == (400, "no_photo")


@pytest.mark.parametrize(
    "body",
    [b"GIF89a" + b"\0" * 100, b"hello, this is text", b"%PDF-1.7\n", b"\xff\xd8"],
    ids=["gif", "text", "pdf", "jpeg-start-only"],
)
def test_bytes_that_are_not_jpeg_or_png_are_a_415(client, trap, body):
    camera, token = trap
    response = post(client, camera, token, body)
    assert (response.status_code, response.json()["error"]) == (415, "not_an_image")


def test_an_empty_body_is_refused(client, trap):
    camera, token = trap
    response = post(client, camera, token, b"")
    assert response.status_code == 415
    assert not TrapPhoto.objects.exists()


def test_a_truncated_jpeg_is_refused_not_counted_half(client, trap):
    camera, token = trap
    data = jpeg_bytes()
    response = post(client, camera, token, data[: len(data) // 2])
    assert (response.status_code, response.json()["error"]) == (400, "truncated")
    assert not TrapPhoto.objects.exists()


def test_a_truncated_png_is_refused(client, trap):
    camera, token = trap
    data = png_bytes()
    response = post(client, camera, token, data[:-20], content_type="image/png")
    assert (response.status_code, response.json()["error"]) == (400, "truncated")


def test_jpeg_magic_followed_by_garbage_is_undecodable(client, trap):
    camera, token = trap
    response = post(client, camera, token, b"\xff\xd8\xff\xe0" + b"\x13" * 200 + b"\xff\xd9")
    assert (response.status_code, response.json()["error"]) == (400, "undecodable")


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "image/gif"])
def test_a_wrong_content_type_is_a_415(client, trap, content_type):
    camera, token = trap
    response = post(client, camera, token, jpeg_bytes(), content_type=content_type)
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_media_type")


def test_get_is_not_allowed(client, trap):
    camera, _ = trap
    assert client.get(f"/vision/upload/{camera.pk}/").status_code == 405


def test_the_endpoint_needs_no_csrf_token(trap):
    from django.test import Client

    camera, token = trap
    response = post(Client(enforce_csrf_checks=True), camera, token, jpeg_bytes())
    assert response.status_code == 201


def test_a_camera_with_a_model_gets_its_photo_counted(
    client, trap, offline_state, untrained_weights
):
    camera, token = trap
    camera.model = register_weights(untrained_weights)
    camera.save()
    response = post(client, camera, token, jpeg_bytes())
    assert response.status_code == 201, response.content
    photo = TrapPhoto.objects.get()
    assert photo.status == TrapPhoto.Status.PENDING and photo.model == camera.model
    assert photo.annotated.name.endswith("_boxes.jpg")


def test_a_model_whose_classes_do_not_match_is_a_503_on_that_camera(
    client, trap, offline_state, untrained_weights
):
    camera, token = trap
    camera.model = register_weights(untrained_weights, name="fish", classes=["a", "b", "c"])
    camera.save()
    response = post(client, camera, token, jpeg_bytes())
    assert (response.status_code, response.json()["error"]) == (503, "model_unavailable")
    camera.refresh_from_db()
    assert "classes" in camera.last_error


def test_insects_are_counted_once_across_two_uploads_of_the_same_trap(
    client, trap, offline_state, media, tmp_path
):
    import cv2
    import numpy as np

    from demo.synthetic_scenes import INSECT_CLASSES, render_scene_with_background, write_reference
    from vision.services.registry import register_model

    camera, token = trap
    image, labels, empty = render_scene_with_background(
        np.random.default_rng(3), "insects", max_objects=3
    )
    objects = [
        {"class": name, "x": (x0 + x1) / 2, "y": (y0 + y1) / 2} for name, (x0, y0, x1, y1) in labels
    ]
    reference = write_reference(tmp_path / "ref.json", [(empty, objects)], INSECT_CLASSES)
    camera.model = register_model(
        "insects", reference, list(INSECT_CLASSES), {}, imgsz=160, backend="reference"
    )
    camera.save()
    body = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    first = post(client, camera, token, body, HTTP_X_TAKEN_AT="2026-06-01T08:00:00+08:00")
    second = post(client, camera, token, body, HTTP_X_TAKEN_AT="2026-06-01T09:00:00+08:00")
    assert (first.status_code, second.status_code) == (201, 201)
    first_counts, second_counts = first.json()["counts"], second.json()["counts"]
    assert sum(c["present"] for c in first_counts.values()) == len(labels)
    assert all(c["new"] == c["present"] for c in first_counts.values())
    assert {k: c["present"] for k, c in second_counts.items()} == {
        k: c["present"] for k, c in first_counts.items()
    }
    assert all(c["new"] == 0 for c in second_counts.values())
