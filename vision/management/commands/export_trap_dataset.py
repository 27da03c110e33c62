"""Export reviewed trap photos as a YOLO data set the trap recipe retrains on.

    python manage.py export_trap_dataset OUT [--camera ID]
    python -m vision.train_real --task trap --dataset OUT

Only photos whose review boxed every counted insect (``labels_complete``) are exported: a photo
with unboxed insects would teach the model that those insects are background.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vision.models import TrapPhoto


class Command(BaseCommand):
    help = "Write reviewed, completely labelled trap photos as images/train + labels/train."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="folder to create (must not exist)")
        parser.add_argument("--camera", type=int, help="only this camera's photos")

    def handle(self, *args, **opts) -> None:
        out: Path = opts["out"]
        if out.exists():
            raise CommandError(f"{out} exists: choose a new folder")
        photos = TrapPhoto.objects.filter(
            status=TrapPhoto.Status.REVIEWED, labels_complete=True
        ).exclude(labels_file="")
        if opts["camera"] is not None:
            photos = photos.filter(camera_id=opts["camera"])
        images, labels = out / "images" / "train", out / "labels" / "train"
        images.mkdir(parents=True)
        labels.mkdir(parents=True)
        names: list[str] | None = None
        written = 0
        for photo in photos.select_related("model").order_by("pk"):
            classes = list(photo.model.class_names) if photo.model else []
            if names is None:
                names = classes
            if classes != names:
                self.stderr.write(f"skipped photo {photo.pk}: classes {classes} differ")
                continue
            stem = f"trap{photo.camera_id}_{photo.pk}"
            with (
                photo.image.open("rb") as src,
                open(images / f"{stem}{Path(photo.image.name).suffix}", "wb") as dst,
            ):
                shutil.copyfileobj(src, dst)
            with photo.labels_file.open("rb") as src:
                (labels / f"{stem}.txt").write_bytes(src.read())
            written += 1
        data = {"train": "images/train", "val": "images/train", "nc": len(names or [])}
        data["names"] = dict(enumerate(names or []))
        (out / "data.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        self.stdout.write(f"exported {written} reviewed trap photos to {out}")
