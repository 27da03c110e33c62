"""The latest picture of each camera, as our server keeps it, and a live snapshot.

Frames are the vision worker's stored pictures: a detection's annotated snapshot or
an uploaded trap photo, whichever is newer. A camera with an HTTP snapshot source can
also be asked for a fresh picture: our server fetches it, so its address and
credentials never reach the browser.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.db.models import OuterRef, Subquery

from vision.models import Camera, Detection, TrapPhoto
from vocabulary.detector_classes import class_label

log = logging.getLogger(__name__)

SNAPSHOT_TIMEOUT_S = 5.0
SNAPSHOT_MAX_BYTES = 5 * 1024 * 1024
BADGE_WINDOW = timedelta(hours=1)
# Classes that mean trouble in a pond or a field; the rest (e.g. "fish") are not badges.
QUIET_CLASSES = {"fish"}


@dataclass(frozen=True)
class Frame:
    camera_id: int
    kind: str  # detection | photo
    pk: int
    at: datetime


@dataclass(frozen=True)
class Badge:
    class_name: str
    label: str
    count: int


class SnapshotError(RuntimeError):
    """The camera did not give a picture; the message says why (for logs, not people)."""


def cameras_of(site_ids: Iterable[int]) -> dict[int, list[Camera]]:
    out: dict[int, list[Camera]] = {}
    for cam in Camera.objects.filter(site_id__in=list(site_ids), enabled=True).order_by(
        "site_id", "name"
    ):
        out.setdefault(cam.site_id, []).append(cam)
    return out


def latest_frames(cameras: Iterable[Camera]) -> dict[int, Frame]:
    """The newest stored picture of each camera, in two queries for any number."""
    ids = [c.pk for c in cameras]
    if not ids:
        return {}
    detection = Detection.objects.filter(camera=OuterRef("pk"), snapshot__gt="").order_by("-time")
    photo = TrapPhoto.objects.filter(camera=OuterRef("pk")).order_by("-taken_at")
    rows = Camera.objects.filter(pk__in=ids).annotate(
        d_id=Subquery(detection.values("pk")[:1]),
        d_at=Subquery(detection.values("time")[:1]),
        p_id=Subquery(photo.values("pk")[:1]),
        p_at=Subquery(photo.values("taken_at")[:1]),
    )
    out = {}
    for row in rows.values("pk", "d_id", "d_at", "p_id", "p_at"):
        candidates = []
        if row["d_id"]:
            candidates.append(Frame(row["pk"], "detection", row["d_id"], row["d_at"]))
        if row["p_id"]:
            candidates.append(Frame(row["pk"], "photo", row["p_id"], row["p_at"]))
        if candidates:
            out[row["pk"]] = max(candidates, key=lambda f: f.at)
    return out


def frame_file(frame: Frame):
    """The stored file of a frame (a Django FieldFile)."""
    if frame.kind == "detection":
        return Detection.objects.get(pk=frame.pk).snapshot
    photo = TrapPhoto.objects.get(pk=frame.pk)
    return photo.annotated or photo.image


def badges(site_ids: Iterable[int], now: datetime) -> dict[int, list[Badge]]:
    """Detections of the last hour per site and class, trouble classes only."""
    counts: dict[int, dict[str, int]] = {}
    rows = Detection.objects.filter(
        camera__site_id__in=list(site_ids), time__gte=now - BADGE_WINDOW, time__lte=now
    ).values_list("camera__site_id", "class_name")
    for site_id, name in rows:
        if name not in QUIET_CLASSES:
            counts.setdefault(site_id, {}).setdefault(name, 0)
            counts[site_id][name] += 1
    return {
        site: [Badge(n, class_label(n), c) for n, c in sorted(by.items(), key=lambda x: -x[1])]
        for site, by in counts.items()
    }


def fetch_snapshot(camera: Camera) -> bytes:
    """A fresh JPEG from an HTTP snapshot camera, fetched by our server."""
    if camera.source_kind != Camera.Source.HTTP_SNAPSHOT:
        raise SnapshotError(f"camera {camera.pk} has no snapshot URL")
    try:
        with requests.get(camera.source, timeout=SNAPSHOT_TIMEOUT_S, stream=True) as r:
            if r.status_code != 200:
                raise SnapshotError(f"camera {camera.pk}: HTTP {r.status_code}")
            if not r.headers.get("Content-Type", "").startswith("image/"):
                raise SnapshotError(f"camera {camera.pk}: not an image")
            body = bytearray()
            for chunk in r.iter_content(65536):
                body += chunk
                if len(body) > SNAPSHOT_MAX_BYTES:
                    raise SnapshotError(f"camera {camera.pk}: picture over 5 MiB")
    except requests.RequestException as exc:
        raise SnapshotError(f"camera {camera.pk}: {exc.__class__.__name__}") from exc
    if not body.startswith(b"\xff\xd8"):
        raise SnapshotError(f"camera {camera.pk}: not a JPEG")
    return bytes(body)
