from __future__ import annotations

import pytest

from vision.detectors.base import Detection
from vision.tracking import IoUTracker, TrackerConfig


def _det(x: float, y: float = 50.0, name: str = "beetle", conf: float = 0.8, size: float = 30.0):
    return Detection(name, conf, (x, y, x + size, y + size))


def _run(tracker, per_frame):
    events = []
    for index, detections in enumerate(per_frame):
        events += tracker.update(detections, index, index / 10)
    return events + tracker.flush(len(per_frame) / 10)


def test_object_crossing_the_scene_is_one_event():
    frames = [[_det(10 + 6 * i)] for i in range(20)]
    events = _run(IoUTracker(), frames)
    starts = [e for e in events if e.kind == "start"]
    assert len(starts) == 1
    assert [e.kind for e in events] == ["start", "end"]
    assert starts[0].first_frame == 0


def test_single_frame_false_positive_is_never_reported():
    frames = [[], [_det(40)], [], [], [], [], []]
    assert _run(IoUTracker(TrackerConfig(min_hits=3, window=5)), frames) == []


def test_detection_missed_in_some_frames_still_counts_once():
    frames = [[_det(10 + 5 * i)] if i % 3 else [] for i in range(24)]
    starts = [e for e in _run(IoUTracker(), frames) if e.kind == "start"]
    assert len(starts) == 1


def test_two_objects_at_once_get_two_track_ids():
    frames = [[_det(10 + 4 * i, 10), _det(150 - 4 * i, 120)] for i in range(10)]
    starts = [e for e in _run(IoUTracker(), frames) if e.kind == "start"]
    assert len({e.track_id for e in starts}) == 2


def test_track_class_is_the_confidence_weighted_vote():
    names = ["moth", "moth", "aphid", "moth", "moth"]
    frames = [[_det(10 + 3 * i, name=n, conf=0.6)] for i, n in enumerate(names)]
    end = [e for e in _run(IoUTracker(), frames) if e.kind == "end"][0]
    assert end.class_name == "moth"


def test_object_that_leaves_and_a_new_one_are_two_events():
    frames = [[_det(10 + 5 * i)] for i in range(8)] + [[] for _ in range(6)]
    frames += [[_det(10 + 5 * i)] for i in range(8)]
    starts = [e for e in _run(IoUTracker(), frames) if e.kind == "start"]
    assert len(starts) == 2
    assert starts[0].track_id != starts[1].track_id


def test_min_hits_of_one_reports_on_first_sight():
    events = IoUTracker(TrackerConfig(min_hits=1, window=1)).update([_det(5)], 0)
    assert [e.kind for e in events] == ["start"]


def test_n_larger_than_m_is_refused():
    with pytest.raises(ValueError):
        TrackerConfig(min_hits=4, window=3)


def test_fast_object_seen_every_fifth_frame_keeps_its_track():
    # After the first steps it moves 24 px between inferred frames: IoU 0.11 with its last
    # box, so only the velocity prediction keeps it one track.
    xs = [10, 20, 30] + [30 + 24 * k for k in range(1, 8)]
    tracker = IoUTracker(TrackerConfig(iou_threshold=0.2))
    events = []
    for step, x in enumerate(xs):
        events += tracker.update([_det(x, size=30)], step * 5, step / 2)
    assert len([e for e in events if e.kind == "start"]) == 1
    assert tracker.tracks[0].hits == 10
