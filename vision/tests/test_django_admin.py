"""Admin pages: camera health columns and upload tokens shown once."""

from __future__ import annotations

import re

import pytest

from vision.models import Camera
from vision.tests import django_support as support
from vision.tests.django_support import demo_plot, jpeg_bytes

pytestmark = pytest.mark.django_db

# The token closes the message in every language (仅此一次显示：… / shown only now: …).
TOKEN_SHOWN = r"(?:shown only now: |仅此一次显示：)(\S+)"
demo, media, login = support.demo, support.media, support.login


def test_adding_an_upload_camera_shows_its_token_once_and_the_token_works(login, media):
    client = login("admin")
    site = demo_plot()
    response = client.post(
        "/admin/vision/camera/add/",
        {
            "site": site.pk,
            "name": "诱虫板3号",
            "kind": "insect_trap",
            "source_kind": "upload",
            "source": "",
            "sample_interval_s": "1",
            "regions": "[]",
            "enabled": "on",
            "worker": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    token = re.search(TOKEN_SHOWN, " ".join(messages)).group(1)
    camera = Camera.objects.get(name="诱虫板3号")
    assert camera.check_upload_token(token)
    again = client.get(f"/admin/vision/camera/{camera.pk}/change/").content.decode()
    assert token not in again
    upload = client.post(
        f"/vision/upload/{camera.pk}/",
        data=jpeg_bytes(),
        content_type="image/jpeg",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert upload.status_code == 201


def test_a_reissued_token_replaces_the_old_one(login):
    camera, old = support.trap_camera(demo_plot())
    response = login("admin").post(
        "/admin/vision/camera/",
        {"action": "issue_upload_token", "_selected_action": [camera.pk]},
        follow=True,
    )
    messages = " ".join(str(m) for m in response.context["messages"])
    new = re.search(TOKEN_SHOWN, messages).group(1)
    camera.refresh_from_db()
    assert camera.check_upload_token(new) and not camera.check_upload_token(old)


def test_the_camera_changelist_shows_health_columns(login):
    camera, _ = support.trap_camera(demo_plot())
    Camera.objects.filter(pk=camera.pk).update(fps=7.25, health_state="running", errors=4)
    html = login("admin").get("/admin/vision/camera/").content.decode()
    for column in ("column-fps", "column-lag_s", "column-last_frame_at", "column-errors"):
        assert column in html
    assert "7.25" in html


@pytest.mark.parametrize(
    "path",
    [
        "/admin/vision/detectionmodel/",
        "/admin/vision/detection/",
        "/admin/vision/trapphoto/",
        "/admin/vision/trapcount/",
    ],
)
def test_every_vision_admin_page_renders(login, path):
    assert login("admin").get(path).status_code == 200
