"""Insect-trap photos: accept an upload, count what is new on it, and take staff corrections."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from vision.capture import CaptureError, decode_image
from vision.detectors.base import Detection as FrameDetection
from vision.models import Camera, TrapCount, TrapPhoto
from vision.services.detector_cache import detector_for
from vision.snapshot import annotate, encode_jpeg
from vision.trap_counts import TrapBox, new_catch

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class UploadRejected(ValueError):
    """The uploaded bytes are not a photo we can count; ``code`` names the reason for clients."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


def sniff_image(data: bytes) -> str:
    """``"jpg"`` or ``"png"`` from the magic bytes; anything else is rejected."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            "too_large", f"{len(data)} bytes exceeds the {MAX_UPLOAD_BYTES} byte limit", 413
        )
    if data.startswith(_JPEG_MAGIC):
        return "jpg"
    if data.startswith(_PNG_MAGIC):
        # OpenCV fills a cut-off PNG with black rather than failing, like a cut-off JPEG.
        if b"IEND" not in data[-12:]:
            raise UploadRejected("truncated", f"truncated PNG ({len(data)} bytes, no IEND chunk)")
        return "png"
    raise UploadRejected("not_an_image", "expected JPEG or PNG data", 415)


def decode_upload(data: bytes) -> tuple[str, np.ndarray]:
    ext = sniff_image(data)
    try:
        image = decode_image(data, max_pixels=MAX_UPLOAD_PIXELS)
    except CaptureError as exc:
        code = "truncated" if "truncated" in str(exc) else "undecodable"
        raise UploadRejected(code, str(exc)) from exc
    return ext, image


def _in_regions(camera: Camera, det: FrameDetection, width: int, height: int) -> bool:
    regions = camera.region_boxes
    if not regions:
        return True
    cx = (det.box[0] + det.box[2]) / 2 / width
    cy = (det.box[1] + det.box[3]) / 2 / height
    return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in regions)


def ingest_trap_photo(
    camera: Camera,
    data: bytes,
    taken_at: datetime | None = None,
    device: str = "auto",
    credit: str = "",
) -> TrapPhoto:
    """Check, store and count one uploaded trap photo.

    Runs the camera's detector in the caller's process: trap cameras post every few minutes at
    most, the detector is loaded once per process, and the camera gets its counts back in the
    response. Raises :class:`UploadRejected` for bytes that are not a whole JPEG or PNG and
    ``DetectorError`` when the assigned model cannot be loaded.
    """
    ext, image = decode_upload(data)
    detections: list[FrameDetection] | None = None
    if camera.model is not None:
        detections = detector_for(camera.model, device).detect([image])[0]
    return record_trap_photo(camera, image, data, ext, detections, taken_at, credit)


def record_trap_photo(
    camera: Camera,
    image: np.ndarray,
    data: bytes,
    ext: str,
    detections: list[FrameDetection] | None,
    taken_at: datetime | None = None,
    credit: str = "",
) -> TrapPhoto:
    """Store a photo with its detections (``None``: no model ran) and its per-species counts."""
    taken_at = taken_at or timezone.now()
    height, width = image.shape[:2]
    class_names = list(camera.model.class_names) if camera.model else []
    kept = [d for d in detections or [] if _in_regions(camera, d, width, height)]
    annotated = encode_jpeg(annotate(image, kept, class_names)) if detections is not None else b""
    with transaction.atomic():
        # One photo of a trap at a time, so each is compared with the one before it.
        Camera.objects.select_for_update().filter(pk=camera.pk).first()
        previous = (
            TrapPhoto.objects.filter(camera=camera, taken_at__lte=taken_at)
            .exclude(status=TrapPhoto.Status.NO_MODEL)
            .order_by("-taken_at", "-pk")
            .first()
        )
        prev_boxes = [
            TrapBox(b["class_name"], tuple(b["box"]))
            for b in (previous.labels or previous.boxes if previous else [])
        ]
        current = [TrapBox(d.class_name, d.box, d.confidence) for d in kept]
        catch = new_catch(prev_boxes, current) if detections is not None else None
        photo = TrapPhoto(
            camera=camera,
            taken_at=taken_at,
            width=width,
            height=height,
            model=camera.model,
            status=TrapPhoto.Status.PENDING if catch else TrapPhoto.Status.NO_MODEL,
            credit=credit,
            boxes=[
                {
                    "class_name": d.class_name,
                    "confidence": round(d.confidence, 4),
                    "box": [round(v, 1) for v in d.box],
                    "new": is_new,
                }
                for d, is_new in zip(kept, catch.new if catch else [], strict=True)
            ],
        )
        stem = f"trap{camera.pk}_{taken_at:%Y%m%dT%H%M%S}"
        photo.image.save(f"{stem}.{ext}", ContentFile(data), save=False)
        if annotated:
            photo.annotated.save(f"{stem}_boxes.jpg", ContentFile(annotated), save=False)
        photo.save()
        if catch:
            TrapCount.objects.bulk_create(
                TrapCount(
                    photo=photo,
                    species=species,
                    raw_present=catch.present_counts.get(species, 0),
                    raw_new=catch.new_counts.get(species, 0),
                )
                for species in sorted(catch.present_counts)
            )
        transaction.on_commit(lambda: _after_counting(photo))
    return photo


def _after_counting(photo: TrapPhoto) -> None:
    from vision.services.alerting import hand_to_alerts, trap_photo_to_alert_events
    from vision.services.counts import record_trap_counts

    record_trap_counts(photo)  # logs and returns False when InfluxDB is down
    hand_to_alerts(trap_photo_to_alert_events(photo))  # logs and returns False on failure


@dataclass(frozen=True)
class TrapReview:
    """Staff's verdict: a class (or ``None``: not an insect) per detected box, new per species."""

    box_classes: list[str | None]
    new_counts: dict[str, int]


def yolo_labels(labels: Iterable[Mapping], class_names: list[str], width: int, height: int) -> str:
    """YOLO label text: ``class cx cy w h`` normalised, one line per box."""
    lines = []
    for label in labels:
        x0, y0, x1, y1 = label["box"]
        x0, x1 = max(0.0, x0), min(float(width), x1)
        y0, y1 = max(0.0, y0), min(float(height), y1)
        lines.append(
            f"{class_names.index(label['class_name'])} {(x0 + x1) / 2 / width:.6f} "
            f"{(y0 + y1) / 2 / height:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def review_trap_photo(photo: TrapPhoto, user, review: TrapReview) -> TrapPhoto:
    """Keep the reviewed counts beside the raw ones and the corrected boxes as YOLO labels.

    The label file is marked incomplete when staff counted more new insects of a species than
    there are confirmed new boxes of it: the photo then has insects without a box and must not be
    used for training as it is.
    """
    if photo.model is None:
        raise ValueError("a photo no model has looked at has no boxes to review")
    class_names = list(photo.model.class_names)
    if len(review.box_classes) != len(photo.boxes):
        raise ValueError(f"{len(review.box_classes)} verdicts for {len(photo.boxes)} boxes")
    unknown = {c for c in review.box_classes if c is not None} | set(review.new_counts)
    unknown -= set(class_names)
    if unknown:
        raise ValueError(f"classes the model does not know: {sorted(unknown)}")
    if any(n < 0 for n in review.new_counts.values()):
        raise ValueError("counts cannot be negative")
    labels = [
        {"class_name": cls, "box": box["box"], "new": box.get("new", True)}
        for box, cls in zip(photo.boxes, review.box_classes, strict=True)
        if cls is not None
    ]
    boxed_new = Counter(lab["class_name"] for lab in labels if lab["new"])
    with transaction.atomic():
        photo.labels = labels
        photo.labels_complete = all(
            n <= boxed_new.get(species, 0) for species, n in review.new_counts.items()
        )
        photo.status = TrapPhoto.Status.REVIEWED
        photo.reviewer = user
        photo.reviewed_at = timezone.now()
        stem = photo.image.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if photo.labels_file:
            photo.labels_file.delete(save=False)
        text = yolo_labels(labels, class_names, photo.width, photo.height)
        photo.labels_file.save(f"{stem}.txt", ContentFile(text.encode()), save=False)
        photo.save()
        existing = {c.species: c for c in photo.counts.all()}
        for species in set(existing) | {s for s, n in review.new_counts.items() if n > 0}:
            count = existing.get(species) or TrapCount(photo=photo, species=species)
            count.reviewed_new = review.new_counts.get(species, 0)
            count.save()
    return photo


def daily_counts(photos: QuerySet[TrapPhoto], start: date, end: date) -> dict[str, dict[date, int]]:
    """New insects per species per local day in ``[start, end]``, reviewed counts preferred."""
    rows = (
        TrapCount.objects.filter(
            photo__in=photos, photo__taken_at__date__gte=start, photo__taken_at__date__lte=end
        )
        .annotate(day=TruncDate("photo__taken_at"))
        .values("species", "day")
        .annotate(total=Sum(Coalesce(F("reviewed_new"), F("raw_new"))))
        .order_by("species", "day")
    )
    out: dict[str, dict[date, int]] = {}
    for row in rows:
        out.setdefault(row["species"], {})[row["day"]] = int(row["total"] or 0)
    return out
