"""The vision worker's side that touches Django: which cameras to run and where results go.

The frame loop (:mod:`vision.pipeline`) never touches the database. Its callbacks only append
to a buffer under a lock; :class:`ResultSink.flush`, called from the worker's main thread every
couple of seconds, writes the buffered detections (with their annotated snapshots), counts and
camera health in bulk.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import QuerySet
from django.utils import timezone

from sensors.timeseries import InfluxError, TimeSeries
from vision.capture import Backoff
from vision.detectors.base import Detection as FrameDetection
from vision.models import Camera, Detection, DetectionModel
from vision.pipeline import CameraConfig, CameraHealth, IntervalCounts
from vision.services.alerting import detections_to_alert_events, hand_to_alerts
from vision.services.counts import count_points, write_points
from vision.services.hypoxia import SURFACE_CLASSES, corroborate_hypoxia
from vision.snapshot import annotate, encode_jpeg
from vision.tracking import TrackEvent
from vocabulary.events import DetectionEvent

log = logging.getLogger(__name__)

STREAM_SOURCES = (
    Camera.Source.RTSP,
    Camera.Source.MJPEG,
    Camera.Source.HTTP_SNAPSHOT,
    Camera.Source.FILE,
)
_EPOCH_2001 = 978307200.0  # frame times below this are positions in a file, not wall clock


@dataclass(frozen=True)
class WorkerSettings:
    worker: str = ""
    device: str = "auto"
    stream_fps: float = 25.0  # assumed frame rate of streams, to turn seconds into frames
    flush_every_s: float = 2.0
    batch_size: int = 8
    max_retries: int | None = None  # reconnect attempts before a stream counts as failed


def cameras_for_worker(worker: str) -> QuerySet[Camera]:
    """Enabled stream cameras with a model, assigned to ``worker`` (``""``: the default one)."""
    return (
        Camera.objects.filter(enabled=True, worker=worker, source_kind__in=STREAM_SOURCES)
        .exclude(model=None)
        .select_related("model", "site__farm")
        .order_by("pk")
    )


def camera_config(camera: Camera, worker: WorkerSettings) -> CameraConfig:
    """The frame loop's view of a camera; raises ValueError for a camera it cannot run."""
    regions = tuple(camera.region_boxes)
    if camera.source_kind == Camera.Source.HTTP_SNAPSHOT:
        interval = max(camera.sample_interval_s, 0.1)
        return CameraConfig(
            camera_id=str(camera.pk),
            source=camera.source,
            snapshot_interval=interval,
            roi=regions,
            backoff=Backoff(max_retries=worker.max_retries),
        )
    source: str | Path = camera.source
    is_file = camera.source_kind == Camera.Source.FILE
    if is_file:
        path = Path(camera.source)
        source = path if path.is_absolute() else Path(settings.MEDIA_ROOT) / path
    return CameraConfig(
        camera_id=str(camera.pk),
        source=source,
        sample_every=max(1, round(camera.sample_interval_s * worker.stream_fps)),
        roi=regions,
        backoff=Backoff(max_retries=worker.max_retries),
        loop=is_file and camera.loop,
    )


def _frame_time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC) if ts > _EPOCH_2001 else timezone.now()


@dataclass
class _Pending:
    detections: list[tuple[int, TrackEvent]] = field(default_factory=list)
    counts: list[tuple[int, IntervalCounts]] = field(default_factory=list)


class ResultSink:
    """Callbacks for one pipeline (one model) and the bulk writes behind them."""

    def __init__(
        self,
        cameras: list[Camera],
        model: DetectionModel,
        class_names: list[str],
        timeseries: TimeSeries | None = None,
    ):
        self.cameras = {c.pk: c for c in cameras}
        self.timeseries = timeseries
        self.model = model
        self.class_names = class_names
        self._pending = _Pending()
        self._lock = threading.Lock()

    # loop thread: no I/O beyond a list append
    def on_event(self, camera_id: str, event: TrackEvent) -> None:
        if event.kind == "start":
            with self._lock:
                self._pending.detections.append((int(camera_id), event))

    def on_counts(self, camera_id: str, counts: IntervalCounts) -> None:
        if counts.counts:
            with self._lock:
                self._pending.counts.append((int(camera_id), counts))

    # main thread
    def flush(self) -> list[Detection]:
        with self._lock:
            pending, self._pending = self._pending, _Pending()
        records = []
        for camera_id, event in pending.detections:
            record = Detection(
                camera=self.cameras[camera_id],
                time=_frame_time(event.timestamp),
                class_name=event.class_name,
                confidence=round(event.confidence, 4),
                box=[round(v, 1) for v in event.box],
                track_id=event.track_id,
                model=self.model,
            )
            if event.frame is not None:
                det = FrameDetection(event.class_name, event.confidence, event.box)
                jpeg = encode_jpeg(annotate(event.frame, [det], self.class_names))
                name = f"cam{camera_id}_{record.time:%H%M%S}_t{event.track_id}.jpg"
                record.snapshot.save(name, ContentFile(jpeg), save=False)
            records.append(record)
        if records:
            Detection.objects.bulk_create(records)
            events = detections_to_alert_events(records)
            events += self._hypoxia_events(records)
            hand_to_alerts(events)
        points = [
            point
            for camera_id, window in pending.counts
            for point in count_points(
                self.cameras[camera_id], window.counts, _frame_time(window.end)
            )
        ]
        write_points(points, self.timeseries)
        return records

    def _hypoxia_events(self, records: list[Detection]) -> list[DetectionEvent]:
        """Check the pond's oxygen for pond-surface cameras that just saw surface behaviour."""
        cameras = {
            r.camera_id
            for r in records
            if r.class_name in SURFACE_CLASSES and r.camera.kind == Camera.Kind.POND_SURFACE
        }
        if not cameras:
            return []
        ts = self.timeseries or TimeSeries.from_config()
        events = []
        try:
            for camera_id in sorted(cameras):
                try:
                    event = corroborate_hypoxia(self.cameras[camera_id], timezone.now(), ts)
                except InfluxError as exc:
                    log.warning("camera %s: DO not readable for hypoxia check: %s", camera_id, exc)
                    continue
                if event:
                    events.append(event)
        finally:
            if self.timeseries is None:
                ts.close()
        return events


def update_health(
    cameras: dict[int, Camera], health: dict[str, CameraHealth], pending: dict[str, int]
) -> None:
    """Copy the loop's health counters onto the camera rows in one bulk update."""
    now = timezone.now()
    changed = []
    for camera_id, h in health.items():
        camera = cameras[int(camera_id)]
        camera.health_state = h.state
        camera.fps = round(h.fps, 2)
        # Frames captured but still waiting for the detector, in seconds of video.
        camera.lag_s = round(pending.get(camera_id, 0) / h.fps, 2) if h.fps else 0.0
        if h.last_frame_at:
            camera.last_frame_at = datetime.fromtimestamp(h.last_frame_at, UTC)
        camera.errors = h.errors
        camera.last_error = h.last_error
        camera.health_updated = now
        changed.append(camera)
    Camera.objects.bulk_update(
        changed,
        ["health_state", "fps", "lag_s", "last_frame_at", "errors", "last_error", "health_updated"],
    )


def mark_failed(cameras: list[Camera], message: str) -> None:
    """Cameras whose model could not be loaded: visible on the health page, others run on."""
    now = timezone.now()
    for camera in cameras:
        camera.health_state = "failed"
        camera.errors += 1
        camera.last_error = message[:2000]
        camera.health_updated = now
    Camera.objects.bulk_update(cameras, ["health_state", "errors", "last_error", "health_updated"])
    log.error("cameras %s not started: %s", [c.pk for c in cameras], message)
