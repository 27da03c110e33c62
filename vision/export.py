"""Export a shipped model for the CPU runtimes: ONNX Runtime and OpenVINO, beside the weights.

    python -m vision.export --task trap|fish [--weights PATH]

The worker picks the fastest installed runtime at start (``vision.runtime``), so exporting is a
build step: the exports are shipped with the weights, never made on a farm's PC. Dynamic input
shapes, so one export serves tiles, whole frames and batches of any size.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("vision.export")


def export(weights: Path, imgsz: int, runtimes: tuple[str, ...] = ("onnx", "openvino")) -> dict:
    """Write each runtime's export beside ``weights``; return runtime -> path (or the error)."""
    from ultralytics import YOLO

    from vision.runtime import exported_path, installed

    out: dict[str, str] = {}
    for runtime in runtimes:
        if not installed(runtime):
            out[runtime] = "not installed"
            continue
        target = exported_path(weights, runtime)
        if target.is_dir():
            shutil.rmtree(target)
        model = YOLO(str(weights), task="detect")
        kwargs = {"format": runtime, "imgsz": imgsz, "dynamic": True, "half": False}
        if runtime == "onnx":
            kwargs["simplify"] = False
        path = Path(model.export(**kwargs))
        out[runtime] = str(path)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=("trap", "fish"), required=True)
    parser.add_argument("--weights", type=Path, help="default: the shipped weights of the task")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    from vision.offline import configure_offline

    with tempfile.TemporaryDirectory(prefix="vision-export-") as state:
        configure_offline(Path(state))
        from vision.shipped import shipped

        model = shipped(args.task)
        weights = args.weights or model.verify()
        for runtime, path in export(weights, model.imgsz).items():
            sys.stdout.write(f"{runtime}: {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
