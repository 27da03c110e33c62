"""The vision side of the demo: detectors trained here on generated pictures, cameras that replay
generated clips, and an insect trap with a few days of photos.

Nothing is downloaded: the pictures come from :mod:`vision.synthetic` and the detectors are
trained from an architecture YAML. Training happens once, its weights cached under the state
dir, so every later demo start only checks that the records are in place.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import cv2
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from farm.models import Site
from vision.models import Camera, DetectionModel

DEMO_DIR = "vision-demo"
ARCHITECTURE = "yolo11-pico.yaml"
TRAIN_IMGSZ = 160  # the generated training images are 160 px: objects at their own scale
IMGSZ = 320  # clips and trap photos are 320×240 with objects of the trained pixel size
FRAME_SIZE = (320, 240)
TRAP_PHOTOS = 6
TRAP_PHOTO_EVERY = timedelta(hours=8)


class DemoError(RuntimeError):
    """The demo cannot be set up (the farm demo is missing, training failed)."""


@dataclass(frozen=True)
class DemoDetector:
    """A detector for one generated scene, with the recipe it is trained by."""

    name: str
    scene: str
    train_images: int
    epochs: int
    class_config: dict[str, dict] = field(default_factory=dict)


DETECTORS = (
    DemoDetector(
        "demo-insects", "insects", train_images=96, epochs=50,
        class_config={
            "aphid": {"confidence": 0.3, "severity": "info"},
            "beetle": {"confidence": 0.3, "severity": "warning"},
            "moth": {"confidence": 0.25, "severity": "warning"},
        },
    ),
    DemoDetector(
        "demo-fish", "fish", train_images=96, epochs=50,
        class_config={
            "fish": {"confidence": 0.4, "severity": "info"},
            "white_spot": {"confidence": 0.3, "severity": "warning"},
            "red_ulcer": {"confidence": 0.3, "severity": "critical"},
        },
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoCamera:
    """A demo camera on a site of the farm demo; ``clip`` is None for an uploading trap."""

    farm: str
    site: str
    name: str
    kind: str
    detector: str
    clip: dict | None = None


CAMERAS = (
    DemoCamera(
        "程集稻虾共作示范基地", "稻虾田1区", "田间虫情相机", Camera.Kind.FIELD, "demo-insects",
        clip={"scene": "insects", "n_objects": 6, "n_frames": 600, "crossing_frames": 40,
              "object_px": 32.0, "seed": 1},
    ),
    DemoCamera(
        "大沙湖草鱼养殖场", "1号塘", "塘面相机", Camera.Kind.POND_SURFACE, "demo-fish",
        clip={"scene": "fish", "n_objects": 4, "n_frames": 600, "crossing_frames": 50,
              "object_px": 36.0, "seed": 2},
    ),
    DemoCamera(
        "程集稻虾共作示范基地", "稻虾田1区", "诱虫板相机", Camera.Kind.INSECT_TRAP, "demo-insects"
    ),
)  # fmt: skip


@dataclass
class DemoSummary:
    """What a run did, for the command to print."""

    models: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)
    cameras_created: list[str] = field(default_factory=list)
    trap_photos: int = 0
    upload_tokens: dict[str, str] = field(default_factory=dict)


def demo_dir() -> Path:
    return Path(settings.CONFIG.state_dir) / DEMO_DIR


@dataclass(frozen=True)
class CachedWeights:
    """Trained weights kept under the state dir, with what registering them needs."""

    path: Path
    class_names: list[str]
    metrics: dict[str, float]


def _recipe(spec: DemoDetector, epochs: int | None, images: int | None) -> dict:
    return {
        "scene": spec.scene,
        "architecture": ARCHITECTURE,
        "imgsz": TRAIN_IMGSZ,
        "epochs": epochs or spec.epochs,
        "train_images": images or spec.train_images,
    }


def cached_weights(spec: DemoDetector, recipe: dict) -> CachedWeights | None:
    """The weights trained by ``recipe`` earlier, if they are still there."""
    root = demo_dir() / "weights"
    meta_path, weights = root / f"{spec.name}.json", root / f"{spec.name}.pt"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    if meta.get("recipe") != recipe or not weights.is_file():
        return None
    return CachedWeights(weights, meta["class_names"], meta["metrics"])


def train_detector(spec: DemoDetector, recipe: dict, device: str) -> CachedWeights:
    """Generate the scene's dataset, train on it and cache the best weights.

    The recipe is the tests' (small images, no mosaic, AdamW with a short warm-up) with twice
    their data and epochs: about a minute of CPU per detector, enough that moths on a yellow
    trap and fish swimming either way are found at a usable confidence.
    """
    from vision.synthetic import generate_dataset
    from vision.training import TrainingError, train

    root = demo_dir()
    dataset = root / "datasets" / spec.scene
    shutil.rmtree(dataset, ignore_errors=True)
    data = generate_dataset(
        dataset, spec.scene, n_train=recipe["train_images"], n_val=8,
        size=(TRAIN_IMGSZ, TRAIN_IMGSZ), seed=0,
    )  # fmt: skip
    try:
        result = train(
            data, ARCHITECTURE, epochs=recipe["epochs"], imgsz=TRAIN_IMGSZ, batch=4,
            runs_dir=root / "runs", name=spec.name, device=device,
            optimizer="AdamW", lr0=0.01, warmup_epochs=1, mosaic=0.0,
        )  # fmt: skip
    except TrainingError as exc:
        raise DemoError(f"training {spec.name} failed: {exc}") from exc
    weights = root / "weights" / f"{spec.name}.pt"
    weights.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.weights_path, weights)
    meta = {"recipe": recipe, "class_names": result.class_names, "metrics": result.metrics}
    weights.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    return CachedWeights(weights, result.class_names, result.metrics)


def ensure_model(spec: DemoDetector, weights: CachedWeights) -> DetectionModel:
    """The registered model holding exactly these weights; a new version when they changed.

    Thresholds and severities are brought to the demo's, so tuning them needs no retraining.
    """
    from vision.services.registry import register_model

    latest = DetectionModel.objects.filter(name=spec.name).order_by("-version").first()
    if latest and latest.weights_path.is_file():
        if filecmp.cmp(latest.weights_path, weights.path, shallow=False):
            if (latest.class_config, latest.imgsz) != (spec.class_config, IMGSZ):
                latest.class_config, latest.imgsz = spec.class_config, IMGSZ
                latest.save(update_fields=["class_config", "imgsz"])
            return latest
    return register_model(
        spec.name, weights.path, weights.class_names, weights.metrics, IMGSZ, spec.class_config
    )


def ensure_clip(clip: dict) -> Path:
    """A camera's generated clip, written once per set of clip settings."""
    from vision.synthetic import synthetic_video

    params = dict(clip)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    path = demo_dir() / "clips" / f"{params['scene']}-{digest}.avi"  # new settings, new clip
    if not path.is_file():
        scene = params.pop("scene")
        tmp = path.with_suffix(".part.avi")
        synthetic_video(tmp, scene, size=FRAME_SIZE, **params)
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
    if spec.clip is None:
        fields |= {"source_kind": Camera.Source.UPLOAD, "source": "", "loop": False}
    else:
        fields |= {
            "source_kind": Camera.Source.FILE,
            "source": str(ensure_clip(spec.clip)),
            "loop": True,
            "sample_interval_s": 0.0,
        }
    camera, created = Camera.objects.update_or_create(site=site, name=spec.name, defaults=fields)
    if created:
        summary.cameras_created.append(str(camera))
    if spec.clip is None and not camera.upload_token_hash:
        summary.upload_tokens[str(camera)] = camera.issue_upload_token()
        camera.save(update_fields=["upload_token_hash"])
    return camera


def ensure_trap_photos(camera: Camera, device: str) -> int:
    """A few days of trap photos, counted as the upload endpoint counts them; once per trap."""
    from vision.services import ingest_trap_photo
    from vision.synthetic import trap_card_series

    if camera.trap_photos.exists():
        return 0
    last = timezone.now().replace(minute=0, second=0, microsecond=0)
    photos = trap_card_series(TRAP_PHOTOS, size=FRAME_SIZE, seed=3)
    with transaction.atomic():  # all or none, so a failed run is redone in full next time
        for i, (image, _labels) in enumerate(photos):
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            if not ok:
                raise DemoError("cannot encode a trap photo")
            taken_at = last - (TRAP_PHOTOS - 1 - i) * TRAP_PHOTO_EVERY
            ingest_trap_photo(camera, jpeg.tobytes(), taken_at, device)
    return TRAP_PHOTOS


def seed_vision_demo(
    device: str = "auto", epochs: int | None = None, train_images: int | None = None
) -> DemoSummary:
    """Set up (or check) the demo's detectors, cameras and trap photos; safe to repeat.

    ``epochs`` and ``train_images`` override every detector's recipe, for quick runs; weights
    trained by another recipe are retrained.
    """
    sites = [demo_site(spec) for spec in CAMERAS]  # before training: fail fast without them
    summary = DemoSummary()
    models: dict[str, DetectionModel] = {}
    for spec in DETECTORS:
        recipe = _recipe(spec, epochs, train_images)
        weights = cached_weights(spec, recipe)
        if weights is None:
            weights = train_detector(spec, recipe, device)
            summary.trained.append(spec.name)
        models[spec.name] = ensure_model(spec, weights)
        summary.models.append(f"{models[spec.name]} (mAP50 {weights.metrics.get('mAP50', 0):.2f})")
    for spec, site in zip(CAMERAS, sites, strict=True):
        camera = ensure_camera(spec, site, models[spec.detector], summary)
        if spec.kind == Camera.Kind.INSECT_TRAP:
            summary.trap_photos += ensure_trap_photos(camera, device)
    return summary
