"""The farm wall: tiles by risk, only readable farms, incidents, aerators, camera frames."""

from __future__ import annotations

import base64
import http.server
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from aeration.status import AeratorState, PendingCommand
from alerts.models import Incident
from farm.models import Pond
from monitoring import wall
from monitoring.live import reading_messages
from monitoring.tests.conftest import low_do_rule, water
from vision.models import Camera, Detection
from vocabulary.events import ReadingEvent

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def tile_ids(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('id="tile-')[1:]]


@pytest.fixture
def second_pond(farms):
    mine, _ = farms
    return Pond.objects.create(
        farm=mine["farm"], name="2号塘", area_m2=6700, species="草鱼", depth_m=2
    )


def test_wall_puts_the_pond_in_danger_first_and_leaves_other_farms_out(
    operator, farms, readings, second_pond
):
    mine, theirs = farms
    low_do_rule(mine)
    now = datetime.now(UTC)
    water(readings, mine, now - timedelta(minutes=1), do=6.4)
    pond2 = {**mine, "pond": second_pond}
    water(readings, pond2, now - timedelta(minutes=1), device="00000000000000e1", do=2.2)
    html = operator.get("/monitoring/wall/").content.decode()
    ids = tile_ids(html)
    assert ids[0] == str(second_pond.pk)
    assert str(mine["pond"].pk) in ids and str(theirs["pond"].pk) not in ids
    assert str(theirs["plot"].pk) not in ids and str(mine["plot"].pk) in ids
    assert 'data-live-url="/ws/live/?farms=' + str(mine["farm"].pk) + '"' in html
    assert operator.get(f"/monitoring/farms/{theirs['farm'].pk}/wall/").status_code == 404
    screen = operator.get(f"/monitoring/farms/{mine['farm'].pk}/wall/?screen=1").content.decode()
    assert 'class="wall screen"' in screen and "data-clock" in screen
    packed = operator.get("/monitoring/wall/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert packed["Content-Encoding"] == "gzip"


def test_tile_shows_open_incidents_aerators_and_the_latest_frame_with_badges(
    operator, farms, readings, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    mine, _ = farms
    pond = mine["pond"]
    rule = low_do_rule(mine)
    Incident.objects.create(
        rule=rule, target_key=f"site:{pond.pk}", farm=mine["farm"], site=pond,
        severity="critical", title="1号塘 溶解氧过低", opened_at=datetime.now(UTC),
    )  # fmt: skip
    camera = Camera.objects.create(
        site=pond, name="塘面", kind=Camera.Kind.POND_SURFACE, source_kind=Camera.Source.UPLOAD
    )
    seen = datetime.now(UTC) - timedelta(minutes=3)
    for n in range(2):
        d = Detection(
            camera=camera, time=seen, class_name="gasping", confidence=0.8, box=[0, 0, 1, 1]
        )
        d.snapshot.save(f"s{n}.jpg", ContentFile(JPEG), save=True)
    html = operator.get(f"/monitoring/tiles/{pond.pk}/").content.decode()
    assert 'data-status="critical"' in html and "1号塘 溶解氧过低" in html
    assert f"/monitoring/cameras/{camera.pk}/frame.jpg" in html
    assert 'data-testid="vision-badge"' in html and "×2" in html
    frame = operator.get(f"/monitoring/cameras/{camera.pk}/frame.jpg")
    assert frame.status_code == 200 and frame.content == JPEG
    assert frame["X-Frame-Time"].startswith(seen.isoformat()[:16])


class _Snapshots(http.server.BaseHTTPRequestHandler):
    """A camera's HTTP snapshot endpoint behind basic authentication."""

    body = JPEG
    content_type = "image/jpeg"

    def do_GET(self):
        expected = "Basic " + base64.b64encode(b"admin:cam-secret").decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def snapshot_camera(farms):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Snapshots)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    camera = Camera.objects.create(
        site=farms[0]["pond"], name="塘口", kind=Camera.Kind.POND_SURFACE,
        source_kind=Camera.Source.HTTP_SNAPSHOT,
        source=f"http://admin:cam-secret@127.0.0.1:{port}/snap.jpg",
    )  # fmt: skip
    yield camera
    server.shutdown()


def test_camera_page_shows_live_snapshots_through_our_server_without_the_cameras_address(
    operator, snapshot_camera
):
    page = operator.get(f"/monitoring/cameras/{snapshot_camera.pk}/").content.decode()
    assert "cam-secret" not in page and "snap.jpg" not in page
    assert f"/monitoring/cameras/{snapshot_camera.pk}/snapshot.jpg" in page
    r = operator.get(f"/monitoring/cameras/{snapshot_camera.pk}/snapshot.jpg")
    assert r.status_code == 200 and r.content == JPEG and r["Cache-Control"] == "private, no-store"


def test_a_camera_that_sends_no_picture_is_a_clear_error(operator, snapshot_camera, monkeypatch):
    monkeypatch.setattr(_Snapshots, "content_type", "text/html")
    r = operator.get(f"/monitoring/cameras/{snapshot_camera.pk}/snapshot.jpg")
    assert r.status_code == 502 and "cam-secret" not in r.content.decode()
    snapshot_camera.source = "http://127.0.0.1:9/none.jpg"
    snapshot_camera.save()
    assert operator.get(f"/monitoring/cameras/{snapshot_camera.pk}/snapshot.jpg").status_code == 502


def test_cameras_of_another_farm_are_not_found(operator, farms):
    theirs = farms[1]
    camera = Camera.objects.create(
        site=theirs["pond"], name="x", kind=Camera.Kind.FIELD, source_kind=Camera.Source.UPLOAD
    )
    for suffix in ("", "frame.jpg", "snapshot.jpg"):
        assert operator.get(f"/monitoring/cameras/{camera.pk}/{suffix}").status_code == 404


def test_a_camera_without_a_snapshot_source_is_not_asked_for_one(operator, farms):
    camera = Camera.objects.create(
        site=farms[0]["pond"], name="x", kind=Camera.Kind.FIELD, source_kind=Camera.Source.UPLOAD
    )
    r = operator.get(f"/monitoring/cameras/{camera.pk}/snapshot.jpg")
    assert r.status_code == 409 and r.content.decode()


def test_the_bridge_hook_sends_one_message_per_site_with_its_newest_reading():
    batch = [
        ReadingEvent(1, "a", 7, 2, "do", 5.0, 2_000_000_000),
        ReadingEvent(1, "a", 7, 2, "ph", 7.5, 3_000_000_000),
        ReadingEvent(2, "b", 8, 2, "do", None, 1_000_000_000, fault="no_response"),
        ReadingEvent(3, "c", None, 2, "battery_v", 3.6, 1_000_000_000),
    ]
    assert reading_messages(batch) == [
        (2, {"kind": "reading", "site": 7, "at_ms": 3000}),
        (2, {"kind": "reading", "site": 8, "at_ms": 1000}),
    ]


def test_a_tile_shows_each_aerators_state_current_and_a_command_under_way(farms, readings):
    mine, _ = farms
    pond = mine["pond"]
    (tile,), _ok = wall.tiles([pond.site_ptr], datetime.now(UTC))
    now = datetime.now(UTC)
    pending = PendingCommand(9, "off", "manual", now, now + timedelta(minutes=5))
    tile.aerators = [
        AeratorState(1, pond.pk, "1号增氧机", "on", None, 4.2, now, "auto"),
        AeratorState(2, pond.pk, "2号增氧机", "on", pending, None, now, "manual"),
        AeratorState(3, pond.pk, "3号增氧机", "unknown", None, None, None, "manual"),
    ]
    html = render_to_string("monitoring/_tile.html", {"t": tile})
    first, second, third = html.split("data-aerator=")[1:]
    assert "1号增氧机" in first and "4.2 A" in first and ('"on"' in html)
    assert "2号增氧机" in second and "↻" in second
    assert "3号增氧机" in third and "?" in third
    assert 'data-aerators="1 2 3 "' in html
