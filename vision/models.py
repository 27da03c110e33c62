"""Cameras, registered detection models, detections and insect-trap photos with their counts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SEVERITIES = ("info", "warning", "critical")

NormBox = tuple[float, float, float, float]


def _hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def _is_coord(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def parse_regions(value: object) -> list[NormBox]:
    """Regions of interest as normalised xyxy boxes; raises ValueError with the reason.

    Each region is either a rectangle ``[x0, y0, x1, y1]`` or a polygon ``[[x, y], ...]`` of at
    least three points, every coordinate in 0..1. The frame loop gates and filters on
    rectangles, so a polygon counts by its bounding box.
    """
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValueError("regions must be a list")
    boxes: list[NormBox] = []
    for i, region in enumerate(value):
        if not isinstance(region, list) or not region:
            raise ValueError(f"region {i}: expected [x0, y0, x1, y1] or [[x, y], ...]")
        if all(isinstance(p, list) for p in region):
            if len(region) < 3 or any(len(p) != 2 or not all(map(_is_coord, p)) for p in region):
                raise ValueError(f"region {i}: a polygon needs ≥ 3 points [x, y] within 0..1")
            xs = [float(p[0]) for p in region]
            ys = [float(p[1]) for p in region]
            box = (min(xs), min(ys), max(xs), max(ys))
        elif len(region) == 4 and all(map(_is_coord, region)):
            box = tuple(float(v) for v in region)
        else:
            raise ValueError(f"region {i}: a rectangle is four numbers within 0..1")
        if not (box[0] < box[2] and box[1] < box[3]):
            raise ValueError(f"region {i}: has no area")
        boxes.append(box)  # type: ignore[arg-type]
    return boxes


def validate_regions(value: object) -> None:
    try:
        parse_regions(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class DetectionModel(models.Model):
    """A trained detector: its weights, the classes it knows and how each class is judged.

    ``class_config`` maps a class name to ``{"confidence": 0.4, "severity": "warning"}``;
    classes not listed use ``default_confidence`` and severity ``info``.
    """

    class Task(models.TextChoices):
        DETECT = "detect", _("Object detection")

    name = models.CharField(_("name"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    task = models.CharField(_("task"), max_length=16, choices=Task.choices, default=Task.DETECT)
    backend = models.CharField(
        _("detector backend"),
        max_length=32,
        default="ultralytics_yolo",
        help_text=_("How the weights are run: ultralytics_yolo (YOLO .pt/.onnx) or reference."),
    )
    weights = models.FileField(
        _("weights"), upload_to="vision/models/", max_length=255, help_text=_("Under MEDIA_ROOT.")
    )
    class_names = models.JSONField(_("class names"), default=list)
    class_config = models.JSONField(_("per-class threshold and severity"), default=dict, blank=True)
    default_confidence = models.FloatField(
        _("default confidence"),
        default=0.25,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    imgsz = models.PositiveIntegerField(_("inference image size"), default=640)
    metrics = models.JSONField(_("evaluation metrics"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"], name="detectionmodel_unique_version"
            )
        ]
        verbose_name = _("detection model")
        verbose_name_plural = _("detection models")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def clean(self) -> None:
        from vision.detectors import BACKENDS

        if self.backend not in BACKENDS:
            raise ValidationError(
                {"backend": _("Unknown detector backend; known: %(known)s")
                 % {"known": ", ".join(sorted(BACKENDS))}}
            )  # fmt: skip
        names = self.class_names
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ValidationError({"class_names": _("A non-empty list of class names.")})
        if not isinstance(self.class_config, dict):
            raise ValidationError({"class_config": _("A mapping of class name to settings.")})
        for cls, conf in self.class_config.items():
            if cls not in names:
                raise ValidationError(
                    {"class_config": _("%(cls)s is not one of the model's classes.") % {"cls": cls}}
                )
            if not isinstance(conf, dict):
                raise ValidationError({"class_config": _("Each class maps to an object.")})
            threshold = conf.get("confidence", self.default_confidence)
            if not _is_coord(threshold):
                raise ValidationError({"class_config": _("Confidence must be within 0..1.")})
            if conf.get("severity", "info") not in SEVERITIES:
                raise ValidationError(
                    {"class_config": _("Severity must be info, warning or critical.")}
                )

    @property
    def mAP50(self) -> float | None:  # noqa: N802 - the metric's usual name
        value = self.metrics.get("mAP50")
        return float(value) if value is not None else None

    @property
    def weights_path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.weights.name

    def severity(self, class_name: str) -> str:
        return self.class_config.get(class_name, {}).get("severity", "info")

    def confidences(self) -> dict[str, float]:
        return {
            cls: float(conf["confidence"])
            for cls, conf in self.class_config.items()
            if "confidence" in conf
        }

    @classmethod
    def next_version(cls, name: str) -> int:
        last = cls.objects.filter(name=name).aggregate(v=models.Max("version"))["v"]
        return (last or 0) + 1


class Camera(models.Model):
    """A camera on a site. Health fields are written in bulk by the vision worker."""

    class Kind(models.TextChoices):
        FIELD = "field", _("Field")
        INSECT_TRAP = "insect_trap", _("Insect trap")
        POND_SURFACE = "pond_surface", _("Pond surface")
        UNDERWATER = "underwater", _("Underwater")

    class Source(models.TextChoices):
        RTSP = "rtsp", _("RTSP stream")
        HTTP_SNAPSHOT = "http_snapshot", _("HTTP snapshot")
        MJPEG = "mjpeg", _("MJPEG stream")
        UPLOAD = "upload", _("Uploaded photos")
        FILE = "file", _("Video file")

    site = models.ForeignKey(
        "farm.Site", on_delete=models.CASCADE, related_name="cameras", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    source_kind = models.CharField(_("source"), max_length=16, choices=Source.choices)
    source = models.CharField(
        _("source URL or path"),
        max_length=500,
        blank=True,
        help_text=_("Empty for cameras that upload their photos."),
    )
    sample_interval_s = models.FloatField(
        _("sampling interval (s)"),
        default=1.0,
        validators=[MinValueValidator(0.0)],
        help_text=_("Seconds between analysed frames; 0 analyses every frame."),
    )
    regions = models.JSONField(
        _("regions of interest"),
        default=list,
        blank=True,
        validators=[validate_regions],
        help_text=_("Normalised [x0, y0, x1, y1] rectangles or [[x, y], …] polygons."),
    )
    loop = models.BooleanField(
        _("loop the video file"),
        default=False,
        help_text=_("Video files only: replay the file without end, like a live camera."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    model = models.ForeignKey(
        DetectionModel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cameras",
        verbose_name=_("detection model"),
    )
    worker = models.CharField(
        _("vision worker"),
        max_length=64,
        blank=True,
        help_text=_("Name of the worker that runs this camera; empty for the default worker."),
    )
    upload_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # health, from the worker
    health_state = models.CharField(_("state"), max_length=16, blank=True)
    fps = models.FloatField(_("fps"), default=0.0)
    lag_s = models.FloatField(_("lag (s)"), default=0.0)
    last_frame_at = models.DateTimeField(_("last frame"), null=True, blank=True)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    health_updated = models.DateTimeField(_("health updated"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site__farm__name", "site__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="camera_unique_name_in_site")
        ]
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")

    def __str__(self) -> str:
        return f"{self.site} / {self.name}"

    def clean(self) -> None:
        if self.source_kind != self.Source.UPLOAD and not self.source:
            raise ValidationError({"source": _("This source needs a URL or a path.")})
        if self.loop and self.source_kind != self.Source.FILE:
            raise ValidationError({"loop": _("Only a video file can be looped.")})
        schemes = {
            self.Source.RTSP: ("rtsp://", "rtsps://"),
            self.Source.HTTP_SNAPSHOT: ("http://", "https://"),
            self.Source.MJPEG: ("http://", "https://"),
        }.get(self.source_kind)
        if schemes and not self.source.lower().startswith(schemes):
            raise ValidationError(
                {"source": _("Expected a URL starting with %(s)s.") % {"s": " | ".join(schemes)}}
            )

    @property
    def region_boxes(self) -> list[NormBox]:
        return parse_regions(self.regions)

    def issue_upload_token(self) -> str:
        """A new upload token; only its hash is kept, so show the return value once."""
        token = secrets.token_urlsafe(32)
        self.upload_token_hash = _hash_token(token)
        return token

    def check_upload_token(self, token: str) -> bool:
        # Hash and compare even without a stored hash, so a refusal always takes as long.
        expected = self.upload_token_hash or "-" * 64
        ok = hmac.compare_digest(_hash_token(token or ""), expected)
        return ok and bool(self.upload_token_hash) and bool(token)


class Detection(models.Model):
    """An object confirmed by tracking over several frames: one per object, not per frame."""

    camera = models.ForeignKey(
        Camera, on_delete=models.CASCADE, related_name="detections", verbose_name=_("camera")
    )
    time = models.DateTimeField(_("time"), db_index=True)
    class_name = models.CharField(_("class"), max_length=64)
    confidence = models.FloatField(_("confidence"))
    box = models.JSONField(_("box (x0, y0, x1, y1 px)"))
    track_id = models.PositiveIntegerField(_("track"), null=True, blank=True)
    snapshot = models.ImageField(
        _("annotated snapshot"), upload_to="vision/snapshots/%Y/%m/%d/", blank=True
    )
    model = models.ForeignKey(
        DetectionModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed = models.BooleanField(_("reviewed"), default=False)

    class Meta:
        ordering = ["-time"]
        indexes = [models.Index(fields=["camera", "-time"], name="detection_camera_time")]
        verbose_name = _("detection")
        verbose_name_plural = _("detections")

    def __str__(self) -> str:
        return f"{self.class_name} {self.confidence:.2f} @ {self.camera.name}"


class TrapPhoto(models.Model):
    """One photo posted by an insect-trap camera, its detected boxes and its review.

    ``boxes`` holds every box the model found, each with ``new`` telling whether the insect was
    already on the previous photo of this trap; ``labels`` is what staff confirmed, the same
    boxes with corrected classes, and is what the YOLO label file is written from.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        REVIEWED = "reviewed", _("Reviewed")
        NO_MODEL = "no_model", _("No model assigned")

    camera = models.ForeignKey(
        Camera, on_delete=models.CASCADE, related_name="trap_photos", verbose_name=_("camera")
    )
    taken_at = models.DateTimeField(_("taken at"), db_index=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    image = models.ImageField(_("photo"), upload_to="vision/traps/%Y/%m/%d/")
    annotated = models.ImageField(
        _("annotated photo"), upload_to="vision/traps/%Y/%m/%d/", blank=True
    )
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    model = models.ForeignKey(
        DetectionModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    boxes = models.JSONField(_("detected boxes"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    credit = models.CharField(
        _("photo credit"),
        max_length=300,
        blank=True,
        help_text=_("Source and licence of a photo that is not the farm's own."),
    )
    labels = models.JSONField(_("reviewed labels"), default=list, blank=True)
    labels_file = models.FileField(
        _("YOLO labels"), upload_to="vision/labels/", blank=True, max_length=255
    )
    labels_complete = models.BooleanField(
        _("labels complete"),
        default=False,
        help_text=_("False when the reviewed counts include insects without a box."),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["camera", "-taken_at"], name="trapphoto_camera_time")]
        verbose_name = _("trap photo")
        verbose_name_plural = _("trap photos")

    def __str__(self) -> str:
        return f"{self.camera.name} {self.taken_at:%Y-%m-%d %H:%M}"


class TrapCount(models.Model):
    """Insects of one species on one trap photo: as the model counted them and as staff did.

    ``raw_new`` counts only insects not already on the previous photo (what a day's total adds
    up); ``raw_present`` everything on the photo. ``reviewed_new`` is empty until a review.
    """

    photo = models.ForeignKey(
        TrapPhoto, on_delete=models.CASCADE, related_name="counts", verbose_name=_("photo")
    )
    species = models.CharField(pgettext_lazy("insect", "species"), max_length=64)
    raw_present = models.PositiveIntegerField(_("on the photo (model)"), default=0)
    raw_new = models.PositiveIntegerField(_("new (model)"), default=0)
    reviewed_new = models.PositiveIntegerField(_("new (reviewed)"), null=True, blank=True)

    class Meta:
        ordering = ["species"]
        constraints = [
            models.UniqueConstraint(fields=["photo", "species"], name="trapcount_unique_species")
        ]
        verbose_name = _("trap count")
        verbose_name_plural = _("trap counts")

    def __str__(self) -> str:
        return f"{self.species}: {self.count}"

    @property
    def count(self) -> int:
        """The reviewed count when there is one, else the model's."""
        return self.reviewed_new if self.reviewed_new is not None else self.raw_new
