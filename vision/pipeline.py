"""The frame loop: capture → sample → motion gate → batched detection → tracking → events.

Each camera's capture runs in its own thread and feeds one shared queue; the loop thread gates
frames per camera, sends what passed to the detector in batches across cameras, and hands
confirmed tracks and per-interval counts to callbacks. Persistence (Django records, InfluxDB) is
the callers' business: the loop never touches a database, so a slow write cannot stall capture
beyond the bounded queue.

A camera whose source fails is marked failed in its health and the others keep running.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vision.capture import Backoff, is_stream, open_source
from vision.detectors.base import Detection, Detector
from vision.motion import MotionConfig, MotionGate
from vision.tracking import IoUTracker, TrackerConfig, TrackEvent

log = logging.getLogger(__name__)

NormBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class CameraConfig:
    """One camera as the worker runs it; validated when the pipeline is built."""

    camera_id: str
    source: str | Path | Iterable[np.ndarray]
    sample_every: int = 1  # keep every n-th captured frame
    roi: tuple[NormBox, ...] = ()  # normalised xyxy regions; empty means the whole frame
    motion: MotionConfig | None = field(default_factory=MotionConfig)  # None: infer every frame
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    refresh_every: int = 25  # while tracks live, infer at least every n sampled frames
    counts_interval: float = 60.0  # seconds of frame time per counts record
    live: bool | None = None  # drop frames when behind; default: streams yes, files no
    fps: float = 10.0  # frame clock for plain iterables of images
    snapshot_interval: float | None = None  # poll an http(s) source as stills this often
    backoff: Backoff = field(default_factory=Backoff)
    loop: bool = False  # replay a video file without end, paced like a live camera

    def __post_init__(self) -> None:
        if not self.camera_id:
            raise ValueError("camera_id is empty")
        if self.sample_every < 1 or self.refresh_every < 1 or self.counts_interval <= 0:
            raise ValueError(f"camera {self.camera_id}: sampling and intervals must be positive")
        for box in self.roi:
            x0, y0, x1, y1 = box
            if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
                raise ValueError(f"camera {self.camera_id}: ROI {box} is not a normalised xyxy box")

    @property
    def drops_frames(self) -> bool:
        if self.live is not None:
            return self.live
        return isinstance(self.source, str | Path) and is_stream(self.source)


@dataclass(frozen=True)
class PipelineConfig:
    cameras: tuple[CameraConfig, ...]
    batch_size: int = 8  # frames per detector call, across cameras
    queue_size: int = 32

    def __post_init__(self) -> None:
        ids = [c.camera_id for c in self.cameras]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate camera ids in {ids}")
        if self.batch_size < 1 or self.queue_size < 1:
            raise ValueError("batch_size and queue_size must be positive")


@dataclass
class IntervalCounts:
    """Objects (confirmed tracks) first seen per class in ``[start, end)`` of frame time."""

    start: float
    end: float
    counts: dict[str, int]


@dataclass
class CameraHealth:
    state: str = "starting"  # starting, running, finished, failed
    frames_read: int = 0
    frames_dropped: int = 0
    frames_gated: int = 0  # sampled frames the motion gate let through
    frames_inferred: int = 0
    inference_saved: int = 0
    events: int = 0
    errors: int = 0
    reconnects: int = 0
    last_error: str = ""
    last_frame_at: float = 0.0  # wall clock (time.time()) of the last captured frame
    fps: float = 0.0  # captured frames per second, smoothed


_END = object()

EventCallback = Callable[[str, TrackEvent], Any]
CountsCallback = Callable[[str, IntervalCounts], Any]


class CameraWorker:
    """Per-camera state on the loop thread: gate, tracker, counts window, health."""

    def __init__(self, config: CameraConfig):
        self.config = config
        self.gate = MotionGate(config.motion, config.roi) if config.motion else None
        self.tracker = IoUTracker(config.tracker)
        self.health = CameraHealth()
        self._since_inference = 0
        self._since_motion = 0
        self._window_start: float | None = None
        self._counts: Counter[str] = Counter()
        self.last_ts = 0.0
        self.pending = 0  # frames queued and not yet taken, for live cameras' dropping

    def wants_inference(self, image: np.ndarray) -> bool:
        self._since_inference += 1
        if self.gate is None:
            return True
        if self.gate.check(image).moved:
            self.health.frames_gated += 1
            self._since_motion = 0
            return True
        self._since_motion += 1
        if self.tracker.tracks:
            # An object that leaves may leave no motion behind (its ghost in the background is
            # faint), so keep looking until the tracker could have aged its track out.
            if self._since_motion <= self.config.tracker.max_age + 1:
                return True
            # Stationary objects (an insect stuck on a trap) raise no motion: look again now
            # and then so their tracks neither die nor go stale.
            if self._since_inference >= self.config.refresh_every:
                return True
        self.health.inference_saved += 1
        return False

    def in_roi(self, det: Detection, width: int, height: int) -> bool:
        if not self.config.roi:
            return True
        cx = (det.box[0] + det.box[2]) / 2 / width
        cy = (det.box[1] + det.box[3]) / 2 / height
        return any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in self.config.roi)

    def consume(
        self, index: int, ts: float, image: np.ndarray, detections: list[Detection]
    ) -> list[TrackEvent]:
        self._since_inference = 0
        self.health.frames_inferred += 1
        if self.config.roi:
            h, w = image.shape[:2]
            detections = [d for d in detections if self.in_roi(d, w, h)]
        events = self.tracker.update(detections, index, ts, image)
        for event in events:
            if event.kind == "start":
                self._counts[event.class_name] += 1
                self.health.events += 1
        return events

    def roll_counts(self, ts: float, final: bool = False) -> IntervalCounts | None:
        """Close the counts window if ``ts`` is past it (or on ``final``)."""
        interval = self.config.counts_interval
        if self._window_start is None:
            if final:
                return None  # no frame ever arrived: nothing was counted, nothing to report
            self._window_start = math.floor(ts / interval) * interval
        self.last_ts = max(self.last_ts, ts)
        end = self._window_start + interval
        if ts < end and not final:
            return None
        closed = IntervalCounts(self._window_start, end, dict(self._counts))
        self._counts.clear()
        self._window_start = math.floor(ts / interval) * interval
        return closed


class VisionPipeline:
    """Runs a set of cameras through one detector until their sources end or :meth:`stop`."""

    def __init__(
        self,
        config: PipelineConfig,
        detector: Detector,
        on_event: EventCallback | None = None,
        on_counts: CountsCallback | None = None,
    ):
        self.config = config
        self.detector = detector
        self.on_event = on_event
        self.on_counts = on_counts
        self.workers = {c.camera_id: CameraWorker(c) for c in config.cameras}
        self._queue: queue.Queue = queue.Queue(maxsize=config.queue_size)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.detector_calls = 0

    def health(self) -> dict[str, CameraHealth]:
        return {cid: w.health for cid, w in self.workers.items()}

    def stop(self) -> None:
        self._stop.set()

    # capture side (one thread per camera)

    def _put(self, item: tuple) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _copy_source_health(self, source, health: CameraHealth, seen_errors: int) -> int:
        """Carry the source's reconnects and skipped-frame errors over; return errors seen."""
        health.reconnects = getattr(source, "reconnects", 0)
        errors = getattr(source, "errors", 0)
        if errors > seen_errors:
            with self._lock:
                health.errors += errors - seen_errors
                health.last_error = source.last_error
        return errors

    def _capture(self, worker: CameraWorker) -> None:
        cfg = worker.config
        health = worker.health
        source = None
        index = -1
        last_read: float | None = None
        seen_errors = 0
        try:
            source = open_source(
                cfg.source, cfg.backoff, self._stop, cfg.snapshot_interval, cfg.fps, cfg.loop
            )
            health.state = "running"
            for ts, image in source:
                index += 1
                now = time.monotonic()
                if last_read is not None and now > last_read:
                    rate = 1.0 / (now - last_read)
                    health.fps = 0.9 * health.fps + 0.1 * rate if health.fps else rate
                last_read = now
                health.last_frame_at = time.time()
                health.frames_read += 1
                if index % cfg.sample_every:
                    continue
                if cfg.drops_frames and worker.pending > 0:
                    health.frames_dropped += 1
                    continue
                with self._lock:
                    worker.pending += 1
                if not self._put((cfg.camera_id, index, ts, image)):
                    return
                seen_errors = self._copy_source_health(source, health, seen_errors)
        except Exception as exc:  # any source failure ends this camera only, and says why
            self._copy_source_health(source, health, seen_errors)
            self._put((cfg.camera_id, exc, 0, None))
            return
        self._copy_source_health(source, health, seen_errors)
        self._put((cfg.camera_id, _END, 0, None))

    # loop side

    def _fail(self, worker: CameraWorker, message: str) -> None:
        with self._lock:
            worker.health.errors += 1
            worker.health.last_error = message
        log.error("camera %s: %s", worker.config.camera_id, message)

    def _emit_event(self, camera_id: str, event: TrackEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(camera_id, event)
        except Exception as exc:  # a failing sink must not stop the other cameras
            self._fail(self.workers[camera_id], f"event callback failed: {exc!r}")

    def _emit_counts(self, camera_id: str, counts: IntervalCounts | None) -> None:
        if counts is None or self.on_counts is None:
            return
        try:
            self.on_counts(camera_id, counts)
        except Exception as exc:
            self._fail(self.workers[camera_id], f"counts callback failed: {exc!r}")

    def _detect(self, batch: list[tuple[CameraWorker, int, float, np.ndarray]]) -> None:
        size = self.config.batch_size
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            self.detector_calls += 1
            try:
                results = self.detector.detect([item[3] for item in chunk])
            except Exception as exc:  # the detector failed on these frames; keep serving
                for worker, *_ in chunk:
                    self._fail(worker, f"detector failed: {exc!r}")
                continue
            for (worker, index, ts, image), detections in zip(chunk, results, strict=True):
                for event in worker.consume(index, ts, image, detections):
                    self._emit_event(worker.config.camera_id, event)

    def _finish(self, worker: CameraWorker) -> None:
        for event in worker.tracker.flush(worker.last_ts):
            self._emit_event(worker.config.camera_id, event)
        self._emit_counts(worker.config.camera_id, worker.roll_counts(worker.last_ts, final=True))

    def run(self) -> dict[str, CameraHealth]:
        """Process until every source has ended or failed, or :meth:`stop` is called."""
        threads = [
            threading.Thread(target=self._capture, args=(w,), name=f"capture-{cid}", daemon=True)
            for cid, w in self.workers.items()
        ]
        for thread in threads:
            thread.start()
        open_cameras = set(self.workers)
        try:
            while open_cameras and not self._stop.is_set():
                try:
                    items = [self._queue.get(timeout=0.2)]
                except queue.Empty:
                    continue
                while len(items) < self.config.batch_size:
                    try:
                        items.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                batch = []
                for camera_id, index, ts, image in items:
                    worker = self.workers[camera_id]
                    if index is _END or isinstance(index, BaseException):
                        if isinstance(index, BaseException):
                            self._fail(worker, str(index))
                            worker.health.state = "failed"
                        else:
                            worker.health.state = "finished"
                        open_cameras.discard(camera_id)
                        continue
                    with self._lock:
                        worker.pending -= 1
                    self._emit_counts(camera_id, worker.roll_counts(ts))
                    if worker.wants_inference(image):
                        batch.append((worker, index, ts, image))
                if batch:
                    self._detect(batch)
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=5)
            for worker in self.workers.values():
                self._finish(worker)
        return self.health()
