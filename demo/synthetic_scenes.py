"""Procedural images and videos in Ultralytics YOLO format.

They let the tests train a real detector on a CPU in seconds and then find its objects in a
generated clip, so the whole chain runs without any downloaded data. Shapes are simple but each
class differs in outline and colour, the way the real species and lesions differ.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

Box = tuple[int, int, int, int]
Painter = Callable[[np.ndarray, np.random.Generator, float, float, float, float], Box]

INSECT_CLASSES = ("aphid", "beetle", "moth")
FISH_CLASSES = ("fish", "white_spot", "red_ulcer")
SCENES = {"insects": INSECT_CLASSES, "fish": FISH_CLASSES}


def _rotated(points: np.ndarray, cx: float, cy: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return points @ rot.T + (cx, cy)


def _bbox(points: np.ndarray, shape: tuple[int, ...]) -> Box:
    h, w = shape[:2]
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    return max(0, int(x0)), max(0, int(y0)), min(w - 1, int(x1)), min(h - 1, int(y1))


def _ellipse(img, cx, cy, rx, ry, angle, colour) -> np.ndarray:
    cv2.ellipse(
        img, (round(cx), round(cy)), (max(1, round(rx)), max(1, round(ry))),
        math.degrees(angle), 0, 360, colour, -1, cv2.LINE_AA,
    )  # fmt: skip
    t = np.linspace(0, 2 * math.pi, 16, endpoint=False)
    return _rotated(np.stack([rx * np.cos(t), ry * np.sin(t)], axis=1), cx, cy, angle)


def _legs(img, cx, cy, length, width, angle, colour) -> np.ndarray:
    """Three legs a side, bent backwards; returns their tips for the box."""
    tips = []
    for side in (-1, 1):
        for k in (-0.5, 0.0, 0.5):
            base = np.array([[k * length, side * width * 0.4]])
            tip = base + [[k * length * 0.6 - length * 0.15, side * width * 1.2]]
            pts = _rotated(np.vstack([base, tip]), cx, cy, angle)
            p0, p1 = (tuple(int(v) for v in p) for p in pts)
            cv2.line(img, p0, p1, colour, 1, cv2.LINE_AA)
            tips.append(pts[1])
    return np.array(tips)


def paint_aphid(img, rng, cx, cy, size, angle) -> Box:
    """Small pear-shaped pale green body with dark legs and antennae."""
    colour = tuple(int(v) for v in rng.integers((40, 150, 120), (90, 210, 170)))
    body = _ellipse(img, cx, cy, size * 0.5, size * 0.33, angle, colour)
    _ellipse(img, *_rotated(np.array([[size * 0.4, 0]]), cx, cy, angle)[0], size * 0.18,
             size * 0.16, angle, (30, 90, 60))  # fmt: skip
    legs = _legs(img, cx, cy, size * 0.6, size * 0.5, angle, (20, 40, 30))
    return _bbox(np.vstack([body, legs]), img.shape)


def paint_beetle(img, rng, cx, cy, size, angle) -> Box:
    """Round shiny dark-red body with black spots, head and six legs."""
    shell = tuple(int(v) for v in rng.integers((10, 10, 140), (40, 40, 200)))
    legs = _legs(img, cx, cy, size * 0.6, size * 0.6, angle, (10, 10, 10))
    body = _ellipse(img, cx, cy, size * 0.5, size * 0.42, angle, shell)
    head = _rotated(np.array([[size * 0.5, 0]]), cx, cy, angle)[0]
    _ellipse(img, head[0], head[1], size * 0.16, size * 0.2, angle, (15, 15, 15))
    for dx, dy in ((-0.2, -0.2), (-0.2, 0.2), (0.15, -0.15), (0.15, 0.15)):
        px, py = _rotated(np.array([[dx * size, dy * size]]), cx, cy, angle)[0]
        cv2.circle(img, (int(px), int(py)), max(1, int(size * 0.08)), (10, 10, 10), -1)
    return _bbox(np.vstack([body, legs]), img.shape)


def paint_moth(img, rng, cx, cy, size, angle) -> Box:
    """Broad triangular brown wings with a darker band and a slim body."""
    wing = tuple(int(v) for v in rng.integers((60, 90, 120), (90, 130, 170)))
    tri = np.array([[size * 0.35, 0], [-size * 0.5, -size * 0.55], [-size * 0.5, size * 0.55]])
    pts = _rotated(tri, cx, cy, angle)
    cv2.fillPoly(img, [pts.astype(np.int32)], wing, cv2.LINE_AA)
    band_ends = np.array([[-size * 0.1, -size * 0.35], [-size * 0.1, size * 0.35]])
    band = _rotated(band_ends, cx, cy, angle)
    cv2.line(img, tuple(band[0].astype(int)), tuple(band[1].astype(int)), (30, 45, 60), 2)
    _ellipse(img, cx, cy, size * 0.45, size * 0.09, angle, (25, 35, 45))
    return _bbox(pts, img.shape)


def paint_fish(img, rng, cx, cy, size, angle, lesion: str | None = None) -> list[tuple[str, Box]]:
    """A grey-orange fish; optionally with white-spot dots or a red ulcer, each boxed apart."""
    body_c = tuple(int(v) for v in rng.integers((60, 110, 140), (120, 170, 210)))
    tail = _rotated(np.array([[-size * 0.45, 0], [-size * 0.75, -size * 0.25],
                              [-size * 0.75, size * 0.25]]), cx, cy, angle)  # fmt: skip
    cv2.fillPoly(img, [tail.astype(np.int32)], body_c, cv2.LINE_AA)
    body = _ellipse(img, cx, cy, size * 0.5, size * 0.22, angle, body_c)
    eye = _rotated(np.array([[size * 0.32, -size * 0.05]]), cx, cy, angle)[0]
    cv2.circle(img, (int(eye[0]), int(eye[1])), max(1, int(size * 0.04)), (20, 20, 20), -1)
    boxes = [("fish", _bbox(np.vstack([body, tail]), img.shape))]
    if lesion == "white_spot":
        offs = rng.uniform((-0.3, -0.12), (0.2, 0.12), size=(int(rng.integers(6, 11)), 2)) * size
        pts = _rotated(offs, cx, cy, angle)
        for px, py in pts:
            cv2.circle(img, (int(px), int(py)), max(1, int(size * 0.03)), (245, 245, 245), -1)
        boxes.append(("white_spot", _bbox(np.vstack([pts - 2, pts + 2]), img.shape)))
    elif lesion == "red_ulcer":
        ox, oy = rng.uniform((-0.25, -0.08), (0.15, 0.08)) * size
        ux, uy = _rotated(np.array([[ox, oy]]), cx, cy, angle)[0]
        ulcer = _ellipse(img, ux, uy, size * 0.12, size * 0.08, angle, (40, 30, 190))
        boxes.append(("red_ulcer", _bbox(ulcer, img.shape)))
    return boxes


INSECT_PAINTERS: dict[str, Painter] = {
    "aphid": paint_aphid,
    "beetle": paint_beetle,
    "moth": paint_moth,
}


def leaf_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Green with a lighter midrib, side veins and mottling."""
    base = np.array(rng.integers((30, 110, 40), (60, 160, 80)), dtype=np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    yy = np.linspace(-1, 1, h, dtype=np.float32)[:, None, None]
    img *= 1.0 + 0.15 * yy
    img += rng.normal(0, 6, (h, w, 3)).astype(np.float32)
    out = np.clip(img, 0, 255).astype(np.uint8)
    mid = int(rng.integers(h // 4, 3 * h // 4))
    vein = tuple(int(v) for v in base + (30, 40, 30))
    cv2.line(out, (0, mid), (w, mid + int(rng.integers(-h // 6, h // 6))), vein, 2, cv2.LINE_AA)
    for x in range(int(rng.integers(0, 30)), w, 35):
        cv2.line(out, (x, mid), (x + 25, 0), vein, 1, cv2.LINE_AA)
        cv2.line(out, (x, mid), (x + 25, h), vein, 1, cv2.LINE_AA)
    return out


def trap_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Yellow sticky card with a printed grid and uneven lighting."""
    base = np.array(rng.integers((20, 190, 210), (60, 230, 250)), dtype=np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    xx = np.linspace(-1, 1, w, dtype=np.float32)[None, :, None]
    img *= 1.0 - 0.12 * xx * rng.choice((-1, 1))
    img += rng.normal(0, 5, (h, w, 3)).astype(np.float32)
    out = np.clip(img, 0, 255).astype(np.uint8)
    step = int(rng.integers(24, 40))
    for x in range(step // 2, w, step):
        cv2.line(out, (x, 0), (x, h), (30, 120, 140), 1)
    for y in range(step // 2, h, step):
        cv2.line(out, (0, y), (w, y), (30, 120, 140), 1)
    return out


def water_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Blue-green water with soft ripples."""
    base = np.array(rng.integers((90, 90, 20), (140, 130, 50)), dtype=np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = rng.uniform(0, 2 * math.pi)
    ripple = 10 * np.sin(xx / rng.uniform(6, 12) + yy / rng.uniform(9, 15) + phase)
    img = base + ripple[..., None] + rng.normal(0, 4, (h, w, 3)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


BACKGROUNDS = {
    "insects": (leaf_background, trap_background),
    "fish": (water_background,),
}


def _paint(scene, name, img, rng, cx, cy, size, angle) -> list[tuple[str, Box]]:
    if scene == "insects":
        return [(name, INSECT_PAINTERS[name](img, rng, cx, cy, size, angle))]
    lesion = None if name == "fish" else name
    return paint_fish(img, rng, cx, cy, size, angle, lesion)


def render_scene(
    rng: np.random.Generator,
    scene: str = "insects",
    size: tuple[int, int] = (160, 160),
    max_objects: int = 3,
    object_px: tuple[float, float] = (22.0, 40.0),
) -> tuple[np.ndarray, list[tuple[str, Box]]]:
    """One BGR image and its labelled boxes (class name, pixel xyxy)."""
    img, labels, _ = render_scene_with_background(rng, scene, size, max_objects, object_px)
    return img, labels


def render_scene_with_background(
    rng: np.random.Generator,
    scene: str = "insects",
    size: tuple[int, int] = (160, 160),
    max_objects: int = 3,
    object_px: tuple[float, float] = (22.0, 40.0),
) -> tuple[np.ndarray, list[tuple[str, Box]], np.ndarray]:
    """As :func:`render_scene`, with the empty background the objects were painted on."""
    if scene not in SCENES:
        raise ValueError(f"unknown scene {scene!r}, expected one of {sorted(SCENES)}")
    w, h = size
    background = BACKGROUNDS[scene][int(rng.integers(len(BACKGROUNDS[scene])))]
    img = background(rng, h, w)
    empty = img.copy()
    labels: list[tuple[str, Box]] = []
    placed: list[tuple[float, float, float]] = []
    classes = SCENES[scene]
    paintable = classes if scene == "insects" else ("fish", "white_spot", "red_ulcer")
    for _ in range(int(rng.integers(1, max_objects + 1))):
        obj = float(rng.uniform(*object_px))
        for _attempt in range(10):
            cx, cy = rng.uniform(obj * 0.6, (w - obj * 0.6, h - obj * 0.6))
            if all(math.hypot(cx - px, cy - py) > (obj + ps) * 0.7 for px, py, ps in placed):
                break
        else:
            continue
        placed.append((cx, cy, obj))
        name = paintable[int(rng.integers(len(paintable)))]
        labels += _paint(scene, name, img, rng, cx, cy, obj, rng.uniform(0, 2 * math.pi))
    return img, labels, empty


def write_reference(
    path: Path, scenes: list[tuple[np.ndarray, list[dict]]], classes: list[str] | tuple[str, ...]
) -> Path:
    """Write a reference file (see :mod:`vision.detectors.reference`) and return its path.

    Each scene is an empty background and its objects, ``{"class": name, "x": column or None,
    "y": row}``; a crossing object has no fixed column.
    """
    from vision.detectors.reference import FORMAT

    encoded = []
    for background, objects in scenes:
        ok, png = cv2.imencode(".png", background)
        if not ok:
            raise ValueError("cannot encode a background as PNG")
        encoded.append({"background": base64.b64encode(png.tobytes()).decode("ascii"),
                        "objects": objects})  # fmt: skip
    spec = {"format": FORMAT, "classes": list(classes), "scenes": encoded}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def _yolo_line(class_id: int, box: Box, w: int, h: int) -> str:
    x0, y0, x1, y1 = box
    return (
        f"{class_id} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} "
        f"{(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}"
    )


def generate_dataset(
    out_dir: Path,
    scene: str = "insects",
    n_train: int = 32,
    n_val: int = 8,
    size: tuple[int, int] = (160, 160),
    max_objects: int = 3,
    object_px: tuple[float, float] = (22.0, 40.0),
    seed: int = 0,
) -> Path:
    """Write images, labels and ``data.yaml`` under ``out_dir``; return the yaml path."""
    out_dir = Path(out_dir).resolve()
    classes = SCENES.get(scene)
    if classes is None:
        raise ValueError(f"unknown scene {scene!r}, expected one of {sorted(SCENES)}")
    rng = np.random.default_rng(seed)
    index = {name: i for i, name in enumerate(classes)}
    w, h = size
    for split, count in (("train", n_train), ("val", n_val)):
        (out_dir / "images" / split).mkdir(parents=True, exist_ok=True)
        (out_dir / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            img, labels = render_scene(rng, scene, size, max_objects, object_px)
            stem = f"{scene}_{split}_{i:04d}"
            cv2.imwrite(str(out_dir / "images" / split / f"{stem}.jpg"), img)
            lines = [_yolo_line(index[name], box, w, h) for name, box in labels]
            (out_dir / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    names = "\n".join(f"  {i}: {name}" for i, name in enumerate(classes))
    yaml_path = out_dir / "data.yaml"
    yaml_path.write_text(
        f"path: {out_dir}\ntrain: images/train\nval: images/val\nnc: {len(classes)}\n"
        f"names:\n{names}\n"
    )
    return yaml_path


@dataclass(frozen=True)
class Crossing:
    """One object passing through the clip: the event a tracker should report once."""

    class_name: str
    first_frame: int
    last_frame: int
    row: float = 0.0  # the object's centre row in pixels, constant while it crosses


@dataclass
class SyntheticClip:
    """Ground truth of a generated clip."""

    size: tuple[int, int]
    fps: float
    n_frames: int
    crossings: list[Crossing] = field(default_factory=list)
    path: Path | None = None
    background: np.ndarray | None = field(default=None, repr=False)

    def reference_scene(self) -> tuple[np.ndarray, list[dict]]:
        """The clip's background and crossings, for :func:`write_reference`."""
        return self.background, [
            {"class": c.class_name, "x": None, "y": c.row} for c in self.crossings
        ]


def clip_frames(
    scene: str = "insects",
    n_objects: int = 3,
    n_frames: int = 200,
    size: tuple[int, int] = (160, 160),
    crossing_frames: int = 24,
    object_px: float = 32.0,
    classes: tuple[str, ...] | None = None,
    seed: int = 0,
) -> tuple[SyntheticClip, Iterator[np.ndarray]]:
    """A static background with objects crossing one at a time, and idle gaps between them.

    Returns the ground truth and a lazy frame iterator (BGR uint8, all of ``size``). The sensor
    noise differs per frame, so a motion gate has to tell noise from movement.
    """
    if scene not in SCENES:
        raise ValueError(f"unknown scene {scene!r}, expected one of {sorted(SCENES)}")
    if n_objects * crossing_frames > n_frames:
        raise ValueError(f"{n_objects} crossings of {crossing_frames} frames exceed {n_frames}")
    rng = np.random.default_rng(seed)
    w, h = size
    background = BACKGROUNDS[scene][0](rng, h, w)
    pool = classes or (INSECT_CLASSES if scene == "insects" else ("fish",))
    gap = (n_frames - n_objects * crossing_frames) // (n_objects + 1)
    plans = []
    crossings = []
    for k in range(n_objects):
        start = gap + k * (crossing_frames + gap)
        name = pool[k % len(pool)]
        y = float(rng.uniform(object_px, h - object_px))
        direction = 1 if k % 2 == 0 else -1
        tilt = float(rng.uniform(-0.3, 0.3))
        plans.append((start, name, y, direction, tilt, int(rng.integers(1 << 30))))
        crossings.append(Crossing(name, start, start + crossing_frames - 1, y))
    clip = SyntheticClip(
        size=size, fps=10.0, n_frames=n_frames, crossings=crossings, background=background
    )

    def frames() -> Iterator[np.ndarray]:
        noise_rng = np.random.default_rng(seed + 1)
        margin = object_px * 0.6
        for t in range(n_frames):
            frame = background.copy()
            for start, name, y, direction, angle, obj_seed in plans:
                step = t - start
                if 0 <= step < crossing_frames:
                    progress = step / max(1, crossing_frames - 1)
                    x = margin + progress * (w - 2 * margin)
                    if direction < 0:
                        x = w - x
                    heading = angle if direction > 0 else angle + math.pi
                    _paint(scene, name, frame, np.random.default_rng(obj_seed), x, y,
                           object_px, heading)  # fmt: skip
            noise = noise_rng.integers(-3, 4, frame.shape, dtype=np.int16)
            yield np.clip(frame.astype(np.int16) + noise, 0, 255).astype(np.uint8)

    return clip, frames()


def synthetic_video(path: Path, scene: str = "insects", **kwargs) -> SyntheticClip:
    """Write :func:`clip_frames` to a video file (MJPG in AVI, which every OpenCV build reads)."""
    clip, frames = clip_frames(scene, **kwargs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), clip.fps, clip.size)
    if not writer.isOpened():
        raise OSError(f"cannot open a video writer for {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    clip.path = path
    return clip


def trap_card_series(
    n_photos: int = 6,
    size: tuple[int, int] = (320, 240),
    new_per_photo: tuple[int, int] = (1, 3),
    object_px: tuple[float, float] = (24.0, 36.0),
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, list[tuple[str, Box]]]]:
    """Photos of one sticky trap over days: caught insects stay put and new ones add up.

    This is what a trap camera posts, and what the trap counting compares photo by photo: only
    the insects not on the previous photo are new.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    background = trap_background(rng, h, w)
    stuck: list[tuple[str, float, float, float, float, int]] = []
    for _ in range(n_photos):
        for _new in range(int(rng.integers(new_per_photo[0], new_per_photo[1] + 1))):
            obj = float(rng.uniform(*object_px))
            for _attempt in range(20):
                cx, cy = rng.uniform(obj * 0.6, (w - obj * 0.6, h - obj * 0.6))
                if all(math.hypot(cx - x, cy - y) > (obj + s) * 0.7 for _, x, y, s, *_ in stuck):
                    name = INSECT_CLASSES[int(rng.integers(len(INSECT_CLASSES)))]
                    angle = float(rng.uniform(0, 2 * math.pi))
                    look = int(rng.integers(1 << 30))
                    stuck.append((name, float(cx), float(cy), obj, angle, look))
                    break
        photo = background.copy()
        labels = [
            (name, INSECT_PAINTERS[name](photo, np.random.default_rng(s), x, y, size_px, angle))
            for name, x, y, size_px, angle, s in stuck
        ]
        noise = rng.integers(-3, 4, photo.shape, dtype=np.int16)
        yield np.clip(photo.astype(np.int16) + noise, 0, 255).astype(np.uint8), labels
