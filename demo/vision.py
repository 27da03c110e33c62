"""The vision side of the demo: the shipped detectors on real photos.

The trap camera receives a week of real yellow sticky-trap photos (SPoHF set, CC BY 4.0, credit
kept on each photo), counted by the shipped tiled trap model as an upload would be; the pond
camera replays real underwater frames (DeepFish, CC BY 4.0) through the shipped fish model.
The photos ship in ``demo/vision_data/`` with their attribution. Nothing is trained or
downloaded: registering the shipped weights takes a second. Generated scenes are for tests.
"""

from __future__ import annotations

import filecmp
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from farm.models import Site
from vision.models import Camera, DetectionModel
from vision.shipped import ShippedModelError, shipped

log = logging.getLogger(__name__)

DEMO_DIR = "vision-demo"
DEMO_DATA = Path(__file__).resolve().parent / "vision_data"
TRAP_PHOTO_DIR = DEMO_DATA / "trap_photos"
FISH_FRAME_DIR = DEMO_DATA / "fish_frames"
TRAP_CREDIT = (
    "SPoHF yellow sticky-trap photos (L. Ferger-Andrews et al., via Roboflow Universe), "
    "CC BY 4.0, resized"
)
# Different cards of the set, ordered by how many insects they hold, one per morning.
TRAP_PHOTOS = (
    "IMG_0788.jpg", "IMG_0477.jpg", "IMG_0200.jpg", "IMG_0119.jpg",
    "IMG_0211.jpg", "IMG_0488.jpg", "IMG_0391.jpg",
)  # fmt: skip
TRAP_PHOTO_HOUR = time(8, 0)  # the station photographs its cards each morning
FISH_FPS = 5.0
FISH_REPEAT = 5  # each real frame held for a second of the loop


class DemoError(RuntimeError):
    """The demo cannot be set up (the farm demo is missing, shipped weights missing)."""


@dataclass(frozen=True)
class DemoDetector:
    """A shipped model registered for the demo under ``name``."""

    name: str
    task: str
    class_config: dict[str, dict] = field(default_factory=dict)


DETECTORS = (
    DemoDetector("trap-insects", "trap", {"insect": {"severity": "info"}}),
    DemoDetector("pond-fish", "fish", {"fish": {"severity": "info"}}),
)


@dataclass(frozen=True)
class DemoCamera:
    """A demo camera on a site of the farm demo; ``frames`` is None for an uploading trap."""

    farm: str
    site: str
    name: str
    kind: str
    detector: str
    frames: Path | None = None


CAMERAS = (
    DemoCamera(
        "大沙湖草鱼养殖场", "1号塘", "塘面相机", Camera.Kind.POND_SURFACE, "pond-fish",
        frames=FISH_FRAME_DIR,
    ),
    DemoCamera(
        "程集稻虾共作示范基地", "稻虾田1区", "诱虫板相机", Camera.Kind.INSECT_TRAP, "trap-insects"
    ),
)  # fmt: skip
RETIRED_CAMERAS = ("田间虫情相机",)  # replayed a generated clip; real cameras only now
RETIRED_MODELS = ("demo-insects", "demo-fish")  # trained on generated scenes


@dataclass
class DemoSummary:
    """What a run did, for the command to print."""

    models: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    cameras_created: list[str] = field(default_factory=list)
    trap_photos: int = 0
    upload_tokens: dict[str, str] = field(default_factory=dict)


def demo_dir() -> Path:
    return Path(settings.CONFIG.state_dir) / DEMO_DIR


def ensure_model(spec: DemoDetector, summary: DemoSummary) -> DetectionModel:
    """The registered model holding exactly the shipped weights; a new version when they changed.

    Thresholds are the shipped model's operating threshold, severities the demo's.
    """
    from vision.services.registry import register_model

    model = shipped(spec.task)
    try:
        weights = model.verify()
    except ShippedModelError as exc:
        raise DemoError(str(exc)) from exc
    class_config = {
        cls: {"confidence": model.confidence, **conf} for cls, conf in spec.class_config.items()
    }
    latest = DetectionModel.objects.filter(name=spec.name).order_by("-version").first()
    if latest and latest.weights_path.is_file() and latest.backend == model.backend:
        if filecmp.cmp(latest.weights_path, weights, shallow=False):
            if (latest.class_config, latest.imgsz) != (class_config, model.imgsz):
                latest.class_config, latest.imgsz = class_config, model.imgsz
                latest.save(update_fields=["class_config", "imgsz"])
            return latest
    metrics = {"training_data": "real", "shipped_sha256": model.sha256}
    registered = register_model(
        spec.name, weights, list(model.class_names), metrics, model.imgsz, class_config,
        backend=model.backend,
    )  # fmt: skip
    summary.registered.append(str(registered))
    return registered


def ensure_clip(frames_dir: Path) -> Path:
    """A looping clip of the real frames in ``frames_dir``, written once per set of frames."""
    files = sorted(frames_dir.glob("*.jpg"))
    if not files:
        raise DemoError(f"no frames in {frames_dir.name}")
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    path = demo_dir() / "clips" / f"{frames_dir.name}-{digest.hexdigest()[:10]}.avi"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    first = cv2.imread(str(files[0]))
    if first is None:
        raise DemoError(f"cannot read {files[0].name}")
    size = (first.shape[1], first.shape[0])
    tmp = path.with_suffix(".part.avi")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"MJPG"), FISH_FPS, size)
    try:
        for f in files:
            frame = cv2.imread(str(f))
            if frame is None:
                raise DemoError(f"cannot read {f.name}")
            for _ in range(FISH_REPEAT):
                writer.write(cv2.resize(frame, size))
    finally:
        writer.release()
    tmp.replace(path)
    return path


def demo_site(spec: DemoCamera) -> Site:
    site = Site.objects.filter(farm__name=spec.farm, name=spec.site).first()
    if site is None:
        raise DemoError(f"site {spec.farm} / {spec.site} not found: run seed_demo first")
    return site


def ensure_camera(
    spec: DemoCamera, site: Site, model: DetectionModel, summary: DemoSummary
) -> Camera:
    """Create the camera, or bring an existing one back to the demo's settings."""
    fields: dict = {"kind": spec.kind, "model": model, "enabled": True, "worker": ""}
    if spec.frames is None:
        fields |= {"source_kind": Camera.Source.UPLOAD, "source": "", "loop": False}
    else:
        fields |= {
            "source_kind": Camera.Source.FILE,
            "source": str(ensure_clip(spec.frames)),
            "loop": True,
            "sample_interval_s": 0.0,
        }
    camera, created = Camera.objects.update_or_create(site=site, name=spec.name, defaults=fields)
    if created:
        summary.cameras_created.append(str(camera))
    if spec.frames is None and not camera.upload_token_hash:
        summary.upload_tokens[str(camera)] = camera.issue_upload_token()
        camera.save(update_fields=["upload_token_hash"])
    return camera


def retire_generated_cameras() -> None:
    """Earlier demos had a field camera replaying a generated clip: switch it off."""
    Camera.objects.filter(
        name__in=RETIRED_CAMERAS, source__startswith=str(demo_dir() / "clips")
    ).update(enabled=False)


def ensure_trap_photos(camera: Camera, device: str) -> int:
    """A week of real trap photos, one each morning, counted as uploads are; once per trap.

    Generated photos left by an earlier demo (counted by a model trained on generated scenes)
    are removed first.
    """
    from vision.services import ingest_trap_photo

    if camera.trap_photos.filter(credit=TRAP_CREDIT).exists():
        return 0
    camera.trap_photos.filter(model__name__in=RETIRED_MODELS).delete()
    files = [TRAP_PHOTO_DIR / name for name in TRAP_PHOTOS]
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.now().astimezone(zone).date()
    with transaction.atomic():  # all or none, so a failed run is redone in full next time
        for i, path in enumerate(files):
            day = today - timedelta(days=len(files) - 1 - i)
            taken_at = datetime.combine(day, TRAP_PHOTO_HOUR, tzinfo=zone)
            ingest_trap_photo(camera, path.read_bytes(), taken_at, device, credit=TRAP_CREDIT)
    return len(files)


def seed_vision_demo(device: str = "auto") -> DemoSummary:
    """Set up (or check) the demo's detectors, cameras and trap photos; safe to repeat."""
    sites = [demo_site(spec) for spec in CAMERAS]  # fail fast without the farm demo
    summary = DemoSummary()
    models: dict[str, DetectionModel] = {}
    for spec in DETECTORS:
        models[spec.name] = ensure_model(spec, summary)
        summary.models.append(str(models[spec.name]))
    for spec, site in zip(CAMERAS, sites, strict=True):
        camera = ensure_camera(spec, site, models[spec.detector], summary)
        if spec.kind == Camera.Kind.INSECT_TRAP:
            summary.trap_photos += ensure_trap_photos(camera, device)
    retire_generated_cameras()
    return summary
