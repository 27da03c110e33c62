"""Choose inference settings on the held-out part of train, never on the val split.

    python -m vision.tune --task trap --data HOLDOUT.yaml [--weights PATH]

``vision.train_real`` writes ``holdout_photos.yaml`` (photos or frames kept out of training)
under its work folder. For each tile overlap (trap) this runs the model the product's way,
then picks the operating confidence for counting (see :func:`choose`) and prints the table; the
chosen values go into ``vision/shipped.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

# Steps of 0.025: at ~100 insects a photo, 0.05 moves the count by ~10 % (vision/weights/README.md).
THRESHOLDS = tuple(round(float(t), 3) for t in np.arange(0.10, 0.8001, 0.025))
OVERLAPS = (0, 32, 64)
TILES = (320,)


# A confidence whose per-photo errors match or beat the best one's in at least this share of
# bootstrap resamples of the held-out photos is "as good as the best" on so few photos.
AS_GOOD_SHARE = 0.25
RESAMPLES = 2000


def _scores(preds, operating: float) -> dict:
    from vision.detection_metrics import DetectionScore

    score = DetectionScore(operating_conf=operating)
    for pred, conf, truth in preds:
        score.add(pred, conf, truth)
    summary = score.summary()
    counted = np.array([c[0] for c in score.counts], np.float64)
    true = np.array([c[1] for c in score.counts], np.float64)
    has = true > 0
    summary["photo_count_errors"] = [
        round(float(e), 4) for e in abs(counted - true)[has] / true[has]
    ]
    summary["count_total_error"] = (
        float((counted.sum() / true.sum() - 1) * 100) if true.sum() else 0.0
    )
    return summary


def tune(
    task: str,
    data_yaml: Path,
    weights: Path | None,
    overlaps: tuple[int, ...] = OVERLAPS,
    tiles: tuple[int, ...] = TILES,
) -> dict:
    from vision.detectors import create_detector
    from vision.detectors.tiled import TiledYoloDetector
    from vision.evaluate import MAP_CONF, iter_predictions, load_split
    from vision.shipped import shipped

    model = shipped(task)
    names, items = load_split(data_yaml, "val")
    config = model.detector_config(MAP_CONF, "cpu", "torch", weights)
    rows = []
    tiled = model.backend == "ultralytics_tiled"
    settings = [(t, o) for t in tiles for o in overlaps] if tiled else [(None, None)]
    for tile, overlap in settings:
        if overlap is None:
            detector = create_detector(config)
        else:
            detector = TiledYoloDetector(config, overlap=overlap, tile=tile)
        preds = [(p, c, t) for _, p, c, t in iter_predictions(detector, items, len(names))]
        for threshold in THRESHOLDS:
            s = _scores(preds, threshold)
            rows.append({"tile": tile, "overlap": overlap, "confidence": threshold, **s})
            sys.stdout.write(
                f"tile={tile} overlap={overlap} conf={threshold:.3f} map50={s['map50']:.4f} "
                f"count_mae={s['count_mae']:.2f} count_mape={s['count_mape']:.2f} "
                f"bias={s['count_bias']:.2f}\n"
            )
            sys.stdout.flush()
    return {"task": task, "holdout": str(data_yaml.name), "chosen": choose(rows), "table": rows}


def _cost(row: dict) -> float:
    """Relative inference cost of a setting: tiles per photo grow as 1/(tile - overlap)²."""
    if row["tile"] is None:
        return 0.0
    return 1.0 / (row["tile"] - (row["overlap"] or 0)) ** 2


def _as_good_as(best: dict, rows: list[dict]) -> list[dict]:
    """Rows a bootstrap over the held-out photos cannot tell from ``best`` by count error."""
    if not all(r.get("photo_count_errors") for r in rows):
        return [best]
    errors = np.array([r["photo_count_errors"] for r in rows])  # rows × photos
    picks = np.random.default_rng(0).integers(0, errors.shape[1], (RESAMPLES, errors.shape[1]))
    means = errors[:, picks].mean(axis=2)  # rows × resamples
    best_means = means[next(i for i, r in enumerate(rows) if r is best)]
    share = (means <= best_means + 1e-12).mean(axis=1)
    return [r for r, s in zip(rows, share, strict=True) if s >= AS_GOOD_SHARE]


def choose(rows: list[dict]) -> dict:
    """The cheapest setting within 0.005 mAP50 of the best, then its counting confidence.

    mAP50 does not depend on the threshold, so it picks tiles and overlap. The confidence is
    the one with the lowest mean per-photo count error only when that lead is real: on a dozen
    photos one card with unlabelled debris moves the mean by points, so among confidences a
    bootstrap over the photos cannot tell from the lowest, the one whose total count is
    nearest the truth wins (stations add counts up over cards and weeks).
    """
    best_map = max(r["map50"] for r in rows)
    good = [r for r in rows if r["map50"] >= best_map - 0.005]
    cheapest = min(_cost(r) for r in good)
    setting = [r for r in good if _cost(r) == cheapest]
    best = min(setting, key=lambda r: r["count_mape"])
    candidates = _as_good_as(best, setting)
    return min(candidates, key=lambda r: (abs(r.get("count_total_error", 0.0)), r["count_mape"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=("trap", "fish"), required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--out", type=Path, help="write the table as JSON here")
    parser.add_argument("--overlaps", default=",".join(map(str, OVERLAPS)), help="trap: px")
    parser.add_argument("--tiles", default=",".join(map(str, TILES)), help="trap: tile px")
    args = parser.parse_args(argv)
    from vision.offline import configure_offline

    configure_offline(Path(tempfile.mkdtemp(prefix="vision-tune-")))
    overlaps = tuple(int(v) for v in args.overlaps.split(","))
    tiles = tuple(int(v) for v in args.tiles.split(","))
    result = tune(args.task, args.data, args.weights, overlaps, tiles)
    chosen = result["chosen"]
    sys.stdout.write(
        f"chosen: tile={chosen['tile']} overlap={chosen['overlap']} "
        f"confidence={chosen['confidence']} (held-out map50={chosen['map50']:.4f} "
        f"count_mape={chosen['count_mape']:.2f})\n"
    )
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
