"""The shipped trap and fish detectors on real photos: quality, and speed per CPU runtime.

    python -m bench.vision_bench [--data-root ../shared/data/vision] [--split val] [--repeats 5]

Quality: ``vision.evaluate`` on each set's split (the trap model tiled, as the product runs it).
Speed, for every runtime that is installed and exported beside the weights (PyTorch, ONNX
Runtime, OpenVINO): one 1280 px trap photo end to end — JPEG bytes decoded, cut into tiles,
detected, merged — median over ``--repeats`` photos after a warm-up; and fish frames per second
one frame per call, as a camera stream is run. The cores may be shared with other work: each
figure is the best of a few rounds. The last line holds ``key=value`` pairs for the README.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent

DEFAULT_DATA_ROOT = _HERE.parent.parent / "shared" / "data" / "vision"


def trap_photo_ms(detector, photos: list[bytes], rounds: int) -> float:
    from vision.capture import decode_image

    detector.detect([decode_image(photos[0])])  # warm-up
    best = float("inf")
    for _ in range(rounds):
        times = []
        for data in photos:
            start = time.perf_counter()
            detector.detect([decode_image(data)])
            times.append((time.perf_counter() - start) * 1000)
        best = min(best, statistics.median(times))
    return best


def fish_fps(detector, frames: list, rounds: int) -> float:
    detector.detect(frames[:1])  # warm-up
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for frame in frames:
            detector.detect([frame])
        best = max(best, len(frames) / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT)
    parser.add_argument("--split", default="val")
    parser.add_argument("--repeats", type=int, default=5, help="trap photos timed per round")
    parser.add_argument("--frames", type=int, default=60, help="fish frames timed per round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from vision.offline import configure_offline

    configure_offline(Path(tempfile.mkdtemp(prefix="vision-bench-")))
    import cv2
    import numpy as np

    from vision.detectors import create_detector
    from vision.evaluate import evaluate, format_result, load_split
    from vision.runtime import available
    from vision.shipped import shipped

    trap_yaml = args.data_root / "yellow_trap_spohf" / "data.yaml"
    fish_yaml = args.data_root / "deepfish" / "data.yaml"
    summary: dict[str, float] = {}
    for task, data in (("trap", trap_yaml), ("fish", fish_yaml)):
        result = evaluate(task, data, args.split, runtime="torch")
        detail, last = format_result(result)
        print(f"{task} [{args.split}]: {detail} {last}")
        summary[f"{task}_map50"] = result["map50"]
        if task == "trap":
            summary["trap_count_mape"] = result["count_mape"]
            summary["trap_count_mae"] = result["count_mae"]

    _, trap_items = load_split(trap_yaml, args.split)
    photos = [item.image.read_bytes() for item in trap_items[: args.repeats]]
    _, fish_items = load_split(fish_yaml, args.split)
    frames = [cv2.imread(str(item.image)) for item in fish_items[: args.frames]]
    size = cv2.imdecode(np.frombuffer(photos[0], np.uint8), cv2.IMREAD_COLOR).shape
    speed: dict[str, float] = {}
    for task in ("trap", "fish"):
        model = shipped(task)
        for runtime in available(model.verify()):
            detector = create_detector(model.detector_config(runtime=runtime, device="cpu"))
            if task == "trap":
                ms = trap_photo_ms(detector, photos, args.rounds)
                print(f"trap photo {size[1]}x{size[0]}, {runtime}: {ms:.0f} ms end to end")
                speed[f"trap_photo_ms_{runtime}"] = ms
            else:
                fps = fish_fps(detector, frames, args.rounds)
                print(f"fish frames {frames[0].shape[1]}x{frames[0].shape[0]}, {runtime}: "
                      f"{fps:.1f} frames/s")  # fmt: skip
                speed[f"fish_fps_{runtime}"] = fps

    items = [
        ("trap_map50", summary["trap_map50"]),
        ("trap_count_mape", summary["trap_count_mape"]),
        ("fish_map50", summary["fish_map50"]),
        *sorted((k, v) for k, v in speed.items() if k.startswith("trap_photo_ms_")),
        *sorted((k, v) for k, v in speed.items() if k.startswith("fish_fps_")),
    ]
    print(" ".join(f"{k}={v:.3f}" if "map" in k else f"{k}={v:.1f}" for k, v in items))


if __name__ == "__main__":
    main()
