"""IoU tracking with N-of-M persistence, so one object crossing the scene is one event.

A detection must be matched in at least ``min_hits`` of the last ``window`` inferred frames before
its track is confirmed and reported; a confirmed track ends after ``max_age`` inferred frames
without a match. Matching is greedy on IoU against each track's box moved by its last velocity,
and ignores the class: look-alike species flicker between classes, so the track's class is the
confidence-weighted vote over its life.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from vision.boxes import box_iou
from vision.detectors.base import Detection

BoxF = tuple[float, float, float, float]


@dataclass(frozen=True)
class TrackerConfig:
    iou_threshold: float = 0.2
    min_hits: int = 3  # N ...
    window: int = 5  # ... of M inferred frames
    max_age: int = 5  # inferred frames without a match before a confirmed track ends

    def __post_init__(self) -> None:
        if not 1 <= self.min_hits <= self.window or self.max_age < 1:
            raise ValueError(f"invalid tracker config {self}")


@dataclass
class TrackEvent:
    """A track became real (``start``) or finished (``end``)."""

    kind: Literal["start", "end"]
    track_id: int
    class_name: str
    confidence: float  # best confidence so far
    box: BoxF  # latest matched box, frame pixels
    first_frame: int
    last_frame: int
    timestamp: float
    hits: int
    frame: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass
class Track:
    track_id: int
    box: BoxF
    first_frame: int
    last_frame: int
    history: deque[bool]
    velocity: tuple[float, float] = (0.0, 0.0)
    votes: dict[str, float] = field(default_factory=dict)
    best_confidence: float = 0.0
    hits: int = 0
    misses: int = 0
    confirmed: bool = False

    @property
    def class_name(self) -> str:
        return max(self.votes, key=self.votes.__getitem__)

    def predicted(self, frame_index: int) -> BoxF:
        """The last box moved on at the last velocity, for however many frames have passed."""
        steps = frame_index - self.last_frame
        dx, dy = self.velocity[0] * steps, self.velocity[1] * steps
        x0, y0, x1, y1 = self.box
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)

    def add(self, det: Detection, frame_index: int) -> None:
        steps = max(1, frame_index - self.last_frame)
        if self.hits:
            (ox, oy), (nx, ny) = _centre(self.box), _centre(det.box)
            self.velocity = ((nx - ox) / steps, (ny - oy) / steps)
        self.box = det.box
        self.last_frame = frame_index
        self.votes[det.class_name] = self.votes.get(det.class_name, 0.0) + det.confidence
        self.best_confidence = max(self.best_confidence, det.confidence)
        self.hits += 1
        self.misses = 0
        self.history.append(True)


def _centre(box: BoxF) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


class IoUTracker:
    """Tracks for one camera; call :meth:`update` once per frame that went through the detector."""

    def __init__(self, config: TrackerConfig | None = None):
        self.config = config or TrackerConfig()
        self.tracks: list[Track] = []
        self._next_id = 1

    def update(
        self,
        detections: list[Detection],
        frame_index: int,
        timestamp: float = 0.0,
        frame: np.ndarray | None = None,
    ) -> list[TrackEvent]:
        cfg = self.config
        matched_tracks: set[int] = set()
        matched_dets: set[int] = set()
        if self.tracks and detections:
            predicted = np.array([t.predicted(frame_index) for t in self.tracks], np.float32)
            boxes = np.array([d.box for d in detections], np.float32)
            ious = box_iou(predicted, boxes)
            for flat in np.argsort(-ious, axis=None):
                ti, di = divmod(int(flat), len(detections))
                if ious[ti, di] < cfg.iou_threshold:
                    break
                if ti in matched_tracks or di in matched_dets:
                    continue
                self.tracks[ti].add(detections[di], frame_index)
                matched_tracks.add(ti)
                matched_dets.add(di)

        events: list[TrackEvent] = []
        survivors: list[Track] = []
        for i, track in enumerate(self.tracks):
            if i not in matched_tracks:
                track.misses += 1
                track.history.append(False)
            if not track.confirmed and sum(track.history) >= cfg.min_hits:
                track.confirmed = True
                events.append(self._event("start", track, timestamp, frame))
            if track.confirmed:
                if track.misses >= cfg.max_age:
                    events.append(self._event("end", track, timestamp, None))
                    continue
            elif track.misses > cfg.window - cfg.min_hits:
                continue  # can no longer reach N of M: a passing false positive
            survivors.append(track)
        for di, det in enumerate(detections):
            if di not in matched_dets:
                track = Track(
                    self._next_id, det.box, frame_index, frame_index, deque(maxlen=cfg.window)
                )
                self._next_id += 1
                track.add(det, frame_index)
                if cfg.min_hits == 1:
                    track.confirmed = True
                    events.append(self._event("start", track, timestamp, frame))
                survivors.append(track)
        self.tracks = survivors
        return events

    def flush(self, timestamp: float = 0.0) -> list[TrackEvent]:
        """End every confirmed track, e.g. when the source closes."""
        events = [self._event("end", t, timestamp, None) for t in self.tracks if t.confirmed]
        self.tracks = []
        return events

    @staticmethod
    def _event(kind, track: Track, timestamp: float, frame: np.ndarray | None) -> TrackEvent:
        return TrackEvent(
            kind=kind,
            track_id=track.track_id,
            class_name=track.class_name,
            confidence=track.best_confidence,
            box=track.box,
            first_frame=track.first_frame,
            last_frame=track.last_frame,
            timestamp=timestamp,
            hits=track.hits,
            frame=frame,
        )
