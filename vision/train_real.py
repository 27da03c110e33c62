"""Train the shipped trap and fish detectors on the real data sets, reproducibly, on a CPU.

    python -m vision.train_real --task trap [--data-root ../shared/data/vision] [--hours 1.35]
    python -m vision.train_real --task fish

One command per task: it splits the set's *train* part into a fitting part and a held-out part
used for every choice (checkpoint selection, inference settings) so the set's own val split is
only ever reported, prepares the images (trap photos are cut into tiles at full resolution),
trains a small YOLO from its architecture YAML (never from downloaded weights) with fixed
seeds for a wall-clock budget, and writes the weights and a JSON record (versions, arguments,
split, time taken) to ``vision/weights/``. Runs for hours in the background if asked to.

Held-out parts: trap — every 7th photo of train (sorted by name, starting at the 4th); fish —
whole habitats (the product must work on a camera it has never seen, and consecutive frames of
one video are near-duplicates, so holding out frames would measure memory, not generalisation).

``--all-train`` is for a last stage once every choice has been made: it fits on the whole train
split, held-out part included, and ships the last epoch (no choice is made on data it fitted).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_DATA_ROOT = REPO_ROOT.parent / "shared" / "data" / "vision"
SEED = 0

log = logging.getLogger("vision.train_real")


@dataclass(frozen=True)
class TaskRecipe:
    """Everything that defines how one task's model is trained."""

    task: str
    dataset: str  # folder under the data root
    model_yaml: str
    weights_name: str
    imgsz: int
    batch: int
    tile: int | None  # trap photos are tiled; fish frames are used whole
    tile_overlap: int
    augment: dict[str, float]
    # Ultralytics' optimizer="auto" switches from AdamW to MuSGD (another optimizer and learning
    # rate) once epochs x batches passes 10,000, so a change of tile size would change it: pinned.
    optimizer: dict[str, Any] = field(default_factory=dict)
    holdout_habitats: tuple[str, ...] = ()


RECIPES: dict[str, TaskRecipe] = {
    "trap": TaskRecipe(
        task="trap",
        dataset="yellow_trap_spohf",
        model_yaml="yolo11-pico.yaml",
        weights_name="trap-insect-pico-t320",
        imgsz=320,
        batch=16,
        # 224 px tiles, enlarged 1.43x to imgsz 320 by the loader: the scale the product infers
        # at (vision.detectors.tiled). Stages 1-4 used 320 px tiles at 1:1, stage 5 256 px.
        tile=224,
        tile_overlap=0,
        # Cards are photographed in any orientation; insect size varies little between cameras.
        augment={
            "fliplr": 0.5,
            "flipud": 0.5,
            "degrees": 10.0,
            "scale": 0.3,
            "translate": 0.1,
            "hsv_h": 0.02,
            "hsv_s": 0.6,
            "hsv_v": 0.4,
            "mosaic": 1.0,
            "mixup": 0.0,
        },
        # What "auto" chose for stages 1-5: AdamW, lr0 = 0.002 * 5 / (4 + classes).
        optimizer={"optimizer": "AdamW", "lr0": 0.002, "momentum": 0.9, "warmup_bias_lr": 0.0},
    ),
    "fish": TaskRecipe(
        task="fish",
        dataset="deepfish",
        model_yaml="yolo11-pico.yaml",
        weights_name="fish-pico-320",
        imgsz=320,
        batch=16,
        tile=None,
        tile_overlap=0,
        # Water colour and light differ by site: strong colour jitter and mixing of scenes.
        augment={
            "fliplr": 0.5,
            "flipud": 0.0,
            "degrees": 5.0,
            "scale": 0.5,
            "translate": 0.1,
            "hsv_h": 0.05,
            "hsv_s": 0.8,
            "hsv_v": 0.5,
            "mosaic": 1.0,
            "mixup": 0.15,
        },
        holdout_habitats=("7482", "9866"),
    ),
}

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_yolo_boxes(label: Path, width: int, height: int) -> np.ndarray:
    """Pixel boxes (N×4 x0 y0 x1 y1) of a YOLO label file; missing file means no objects."""
    if not label.is_file():
        return np.zeros((0, 4), np.float32)
    rows = [line.split() for line in label.read_text().splitlines() if line.strip()]
    if not rows:
        return np.zeros((0, 4), np.float32)
    arr = np.array([[float(v) for v in r[1:5]] for r in rows], np.float32)
    cx, cy, w, h = arr[:, 0] * width, arr[:, 1] * height, arr[:, 2] * width, arr[:, 3] * height
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def _write_yolo(label: Path, boxes: np.ndarray, width: int, height: int) -> None:
    lines = []
    for x0, y0, x1, y1 in boxes:
        cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
        w, h = (x1 - x0) / width, (y1 - y0) / height
        if w > 0 and h > 0:
            lines.append(f"0 {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    label.write_text("".join(line + "\n" for line in lines))


def split_train(recipe: TaskRecipe, images: list[Path]) -> tuple[list[Path], list[Path]]:
    """The fitting part and the held-out part of the set's train split (see module doc)."""
    if recipe.holdout_habitats:
        held = [p for p in images if p.stem.split("_", 1)[0] in recipe.holdout_habitats]
    else:
        held = [p for i, p in enumerate(images) if i % 7 == 3]
    held_set = set(held)
    return [p for p in images if p not in held_set], held


def _label_for(image: Path) -> Path:
    return image.parent.parent.parent / "labels" / image.parent.name / (image.stem + ".txt")


def _prepare_part(recipe: TaskRecipe, images: list[Path], out: Path) -> int:
    """Copy or tile ``images`` with their labels into ``out/images`` and ``out/labels``."""
    import cv2

    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(parents=True, exist_ok=True)
    count = 0
    for image in images:
        label = _label_for(image)
        if recipe.tile is None:
            shutil.copyfile(image, out / "images" / image.name)
            if label.is_file():
                shutil.copyfile(label, out / "labels" / label.name)
            else:
                (out / "labels" / label.name).write_text("")
            count += 1
            continue
        from vision.tiling import clip_boxes_to_tile, iter_tiles

        photo = cv2.imread(str(image))
        if photo is None:
            raise SystemExit(f"cannot read {image}")
        height, width = photo.shape[:2]
        boxes = read_yolo_boxes(label, width, height)
        for t, crop in iter_tiles(photo, recipe.tile, recipe.tile_overlap):
            stem = f"{image.stem}_x{t.x}_y{t.y}"
            cv2.imwrite(str(out / "images" / f"{stem}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 95])
            tile_boxes, _ = clip_boxes_to_tile(boxes, t, min_visible=0.5)
            _write_yolo(out / "labels" / f"{stem}.txt", tile_boxes, t.w, t.h)
            count += 1
    return count


def write_holdout_yaml(recipe: TaskRecipe, source: Path, work: Path, held: list[Path]) -> Path:
    """A data.yaml of the held-out photos as they are (untiled), for ``vision.evaluate``."""
    listing = work / "holdout_photos.txt"
    listing.write_text("".join(f"{p.relative_to(source)}\n" for p in held))
    data_yaml = work / "holdout_photos.yaml"
    data_yaml.write_text(
        f"path: {source}\nval: {listing}\nnc: 1\n"
        f"names:\n  0: {'insect' if recipe.task == 'trap' else 'fish'}\n"
    )
    return data_yaml


def prepare_dataset(recipe: TaskRecipe, source: Path, work: Path, all_train: bool = False) -> dict:
    """Build the training copy under ``work`` and return a description of the split.

    With ``all_train`` the held-out part is fitted too; it stays the run's per-epoch val only
    because Ultralytics needs one (those figures are then not held-out figures).
    """
    train_images = _images(source / "images" / "train")
    fit, held = split_train(recipe, train_images)
    if all_train:
        fit = train_images
    if work.exists():
        shutil.rmtree(work)
    n_fit = _prepare_part(recipe, fit, work / "fit")
    n_held = _prepare_part(recipe, held, work / "holdout")
    data_yaml = work / "data.yaml"
    data_yaml.write_text(
        f"path: {work}\ntrain: fit/images\nval: holdout/images\nnc: 1\n"
        f"names:\n  0: {'insect' if recipe.task == 'trap' else 'fish'}\n"
    )
    write_holdout_yaml(recipe, source, work, held)
    digest = hashlib.sha256()
    for p in train_images:
        digest.update(p.name.encode())
        digest.update(p.read_bytes())
    return {
        "data_yaml": str(data_yaml),
        "fit_images": [p.name for p in fit],
        "holdout_images": [p.name for p in held],
        "fit_samples": n_fit,
        "holdout_samples": n_held,
        "train_split_sha256": digest.hexdigest(),
    }


def scrub_checkpoint(weights: Path, recipe: TaskRecipe) -> None:
    """Replace this machine's paths in the checkpoint's recorded arguments with plain names.

    Ultralytics keeps the training arguments (data, project and run folders) and the git state
    in the file, and copies the data path into every export's description. Also strips the
    optimizer state, as Ultralytics does at the end of a run that was not cut short.
    """
    import torch
    from ultralytics.utils.torch_utils import strip_optimizer

    strip_optimizer(weights)  # EMA weights in half precision, no optimizer state (a stopped run)
    ckpt = torch.load(weights, map_location="cpu", weights_only=False)
    args = dict(ckpt.get("train_args") or {})
    args["model"] = recipe.model_yaml
    args["data"] = f"{recipe.dataset} (python -m vision.train_real --task {recipe.task})"
    args["project"] = "runs"
    args["save_dir"] = f"runs/{recipe.weights_name}"
    ckpt["train_args"] = args
    ckpt["git"] = {}
    for key in ("model", "ema"):
        net = ckpt.get(key)
        if net is None:
            continue
        if isinstance(getattr(net, "yaml", None), dict) and "yaml_file" in net.yaml:
            net.yaml["yaml_file"] = recipe.model_yaml
        if hasattr(net, "yaml_file"):
            net.yaml_file = recipe.model_yaml
        if isinstance(getattr(net, "pt_path", None), str):  # the --init file a stage started from
            net.pt_path = Path(net.pt_path).name
        if getattr(net, "args", None) is not None:
            old = vars(net.args) if hasattr(net.args, "__dict__") else dict(net.args)
            net.args = {**old, **{k: args[k] for k in ("model", "data", "project", "save_dir")}}
    torch.save(ckpt, weights)


def versions() -> dict[str, str]:
    """Library versions that decide the result, recorded beside the weights."""
    import cv2
    import torch
    import ultralytics

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "ultralytics": ultralytics.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
    }


def run(
    recipe: TaskRecipe,
    data_root: Path,
    work_root: Path,
    hours: float,
    epochs: int,
    dataset: Path | None = None,
    init: Path | None = None,
    all_train: bool = False,
) -> Path:
    """Prepare, train and write ``vision/weights/<name>.pt`` and ``<name>.train.json``.

    ``dataset`` replaces the public set by another folder of the same layout
    (``images/train``, ``labels/train``), such as a station's own reviewed trap photos.
    ``init`` continues from one of our own checkpoints instead of random weights.
    """
    from vision.offline import configure_offline

    configure_offline(work_root / "state")
    from vision.training import resolve_model_config, train

    source = dataset or data_root / recipe.dataset
    if not (source / "images" / "train").is_dir():
        raise SystemExit(f"no train images under {source}")
    split = prepare_dataset(recipe, source, work_root / f"{recipe.task}-data", all_train)
    log.info("prepared %s: %s fit, %s held out", recipe.task, split["fit_samples"],
             split["holdout_samples"])  # fmt: skip
    overrides = {"time": hours} if hours > 0 else {}
    train(
        Path(split["data_yaml"]),
        resolve_model_config(init or recipe.model_yaml),
        epochs=epochs,
        imgsz=recipe.imgsz,
        batch=recipe.batch,
        runs_dir=work_root / "runs",
        name=run_name(recipe, init, all_train),
        device="cpu",
        seed=SEED,
        deterministic=True,
        patience=1000,
        max_det=300,
        **recipe.augment,
        **recipe.optimizer,
        **overrides,
    )
    return finish(recipe, work_root, hours, source.name, init, all_train)


def run_name(recipe: TaskRecipe, init: Path | None, all_train: bool = False) -> str:
    name = recipe.weights_name if init is None else f"{recipe.weights_name}-from-{init.stem}"
    return f"{name}-all" if all_train else name


def _read_csv(path: Path) -> list[dict[str, float]]:
    lines = [line.split(",") for line in path.read_text().splitlines() if line.strip()]
    header = [h.strip() for h in lines[0]]
    return [dict(zip(header, map(float, row), strict=True)) for row in lines[1:]]


def finish(
    recipe: TaskRecipe,
    work_root: Path,
    hours: float,
    dataset: str,
    init: Path | None = None,
    all_train: bool = False,
) -> Path:
    """Ship the run's best checkpoint: copy, strip, scrub, and write its record.

    Also serves a run stopped before its budget (``--finish-only``): the best checkpoint by
    held-out fitness so far is shipped, and the record says how many epochs it had. A run on
    all of train ships its last epoch: its per-epoch figures are on data it fitted.
    """
    import yaml

    run_dir = work_root / "runs" / run_name(recipe, init, all_train)
    best = run_dir / "weights" / ("last.pt" if all_train else "best.pt")
    if not best.is_file():
        best = run_dir / "weights" / "last.pt"
    if not best.is_file():
        raise SystemExit(f"no checkpoint in {run_dir}")
    WEIGHTS_DIR.mkdir(exist_ok=True)
    target = WEIGHTS_DIR / f"{recipe.weights_name}.pt"
    shutil.copyfile(best, target)
    scrub_checkpoint(target, recipe)
    rows = _read_csv(run_dir / "results.csv") if (run_dir / "results.csv").is_file() else []

    def fitness(row: dict[str, float]) -> float:  # Ultralytics' default weighting
        return 0.1 * row.get("metrics/mAP50(B)", 0) + 0.9 * row.get("metrics/mAP50-95(B)", 0)

    chosen = (rows[-1] if all_train else max(rows, key=fitness)) if rows else {}
    data = work_root / f"{recipe.task}-data"
    args = (
        yaml.safe_load((run_dir / "args.yaml").read_text())
        if (run_dir / "args.yaml").is_file()
        else {}
    )
    record = {
        "task": recipe.task,
        "command": f"python -m vision.train_real --task {recipe.task} --hours {hours}"
        + (f" --init {init.name}" if init else "")
        + (" --all-train" if all_train else ""),
        "dataset": dataset,
        "model_yaml": recipe.model_yaml,
        "imgsz": recipe.imgsz,
        "tile": recipe.tile,
        "tile_overlap": recipe.tile_overlap,
        "seed": SEED,
        "hours_budget": hours,
        "epochs_done": len(rows),
        "train_seconds": round(rows[-1]["time"]) if rows else None,
        "shipped_epoch": int(chosen["epoch"]) if chosen else None,
        "fitted_holdout": all_train,
        "holdout_metrics_of_shipped_epoch": {
            k.split("/")[1].replace("(B)", ""): v for k, v in chosen.items() if "metrics/" in k
        },
        "epochs_log": (run_dir / "results.csv").read_text() if rows else "",
        "weights_sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "versions": versions(),
        "split": {
            "fit_samples": len(list((data / "fit" / "images").glob("*"))),
            "holdout_samples": len(list((data / "holdout" / "images").glob("*"))),
            "holdout_images": (data / "holdout_photos.txt").read_text().split(),
        },
        "train_args": {
            k: v
            for k, v in args.items()
            if k not in ("data", "project", "save_dir", "model", "name")
        },
    }
    (WEIGHTS_DIR / f"{recipe.weights_name}.train.json").write_text(
        json.dumps(record, indent=1, default=str) + "\n"
    )
    log.info("wrote %s (epoch %s)", target, record["shipped_epoch"])
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=sorted(RECIPES), required=True)
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument(
        "--dataset", type=Path, help="a folder with images/train and labels/train instead"
    )
    parser.add_argument("--work", type=Path, default=REPO_ROOT / ".state" / "vision-train")
    parser.add_argument(
        "--hours", type=float, default=1.35, help="wall-clock budget; 0 trains --epochs"
    )
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--init", type=Path, help="continue from this checkpoint of ours")
    parser.add_argument(
        "--all-train",
        action="store_true",
        help="last stage: fit the held-out part too and ship the last epoch",
    )
    parser.add_argument(
        "--finish-only", action="store_true", help="ship the best checkpoint of a stopped run"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    dataset = args.dataset.resolve() if args.dataset else None
    recipe = RECIPES[args.task]
    if args.finish_only:
        from vision.offline import configure_offline

        configure_offline(args.work.resolve() / "state")
        name = dataset.name if dataset else recipe.dataset
        finish(recipe, args.work.resolve(), args.hours, name, args.init, args.all_train)
        return 0
    init = args.init.resolve() if args.init else None
    run(
        recipe,
        args.data_root.resolve(),
        args.work.resolve(),
        args.hours,
        args.epochs,
        dataset,
        init,
        args.all_train,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
