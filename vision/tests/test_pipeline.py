"""The frame loop end to end: generated videos through a detector that knows their ground truth.

The reference detector returns the same boxes on any machine, so these tests check the frame
loop, motion gate, tracker and counting — not a training run. Model quality has its own tests
(``test_detection_models.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from demo.synthetic_scenes import INSECT_CLASSES, clip_frames, synthetic_video, write_reference
from vision.detectors import DetectorConfig, create_detector
from vision.pipeline import CameraConfig, PipelineConfig, VisionPipeline


@pytest.fixture
def detector_for(tmp_path):
    """A reference detector knowing the ground truth of the given clips."""

    def build(*clips):
        scenes = [clip.reference_scene() for clip in clips]
        path = write_reference(tmp_path / "reference.json", scenes, INSECT_CLASSES)
        return create_detector(DetectorConfig(weights=path, backend="reference"))

    return build


def _run(detector, *cameras, **kwargs):
    events, counts = [], []
    pipeline = VisionPipeline(
        PipelineConfig(cameras=tuple(cameras), **kwargs),
        detector,
        on_event=lambda cid, e: events.append((cid, e)),
        on_counts=lambda cid, c: counts.append((cid, c)),
    )
    health = pipeline.run()
    return pipeline, health, events, counts


def _starts(events, camera_id=None):
    return [e for cid, e in events if e.kind == "start" and camera_id in (None, cid)]


def test_each_object_crossing_a_video_is_one_event_of_its_class(detector_for, tmp_path):
    clip = synthetic_video(tmp_path / "trap.avi", n_objects=6, n_frames=300, crossing_frames=24)
    _, health, events, counts = _run(detector_for(clip), CameraConfig("trap-1", clip.path))

    starts = _starts(events)
    assert len(starts) == len(clip.crossings)
    for crossing in clip.crossings:
        hits = [e for e in starts if crossing.first_frame <= e.first_frame <= crossing.last_frame]
        assert [e.class_name for e in hits] == [crossing.class_name]
    assert health["trap-1"].state == "finished"
    assert health["trap-1"].frames_read == 300
    total = sum(sum(c.counts.values()) for _, c in counts)
    assert total == len(starts)


def test_counts_are_reported_once_per_interval_of_frame_time(detector_for):
    clip, frames = clip_frames(n_objects=2, n_frames=100, crossing_frames=20)
    camera = CameraConfig("cam", frames, fps=10.0, counts_interval=2.0)
    _, _, events, counts = _run(detector_for(clip), camera)
    assert [(c.start, c.end) for _, c in counts] == [
        (t, t + 2.0) for t in (0.0, 2.0, 4.0, 6.0, 8.0)
    ]
    assert sum(sum(c.counts.values()) for _, c in counts) == len(_starts(events)) == 2


def test_motion_gate_saves_inference_without_losing_events(detector_for):
    def camera(motion):
        _, frames = clip_frames(n_objects=2, n_frames=300, crossing_frames=20, seed=5)
        kwargs = {} if motion else {"motion": None}
        return CameraConfig("pond", frames, **kwargs)

    detector = detector_for(clip_frames(n_objects=2, n_frames=300, crossing_frames=20, seed=5)[0])
    _, gated, gated_events, _ = _run(detector, camera(True))
    _, ungated, ungated_events, _ = _run(detector, camera(False))
    assert ungated["pond"].frames_inferred == 300
    assert gated["pond"].frames_inferred * 3 <= 300
    assert gated["pond"].inference_saved + gated["pond"].frames_inferred == 300
    assert len(_starts(gated_events)) == len(_starts(ungated_events)) == 2


def test_frames_of_several_cameras_share_detector_calls(detector_for):
    clips = {}

    def camera(cid, seed):
        clips[cid], frames = clip_frames(n_objects=2, n_frames=80, crossing_frames=20, seed=seed)
        return CameraConfig(cid, frames, motion=None)

    cameras = camera("a", 1), camera("b", 2)
    detector = detector_for(*clips.values())
    pipeline, health, events, _ = _run(detector, *cameras, batch_size=8)
    inferred = sum(h.frames_inferred for h in health.values())
    assert inferred == 160
    assert pipeline.detector_calls < inferred / 2
    assert len(_starts(events, "a")) == len(_starts(events, "b")) == 2


def test_a_failing_camera_is_reported_while_the_others_keep_running(detector_for, tmp_path):
    clip, frames = clip_frames(n_objects=2, n_frames=100, crossing_frames=20)
    _, health, events, _ = _run(
        detector_for(clip),
        CameraConfig("gone", tmp_path / "missing.avi"),
        CameraConfig("ok", frames),
    )
    assert health["gone"].state == "failed"
    assert "not found" in health["gone"].last_error
    assert health["ok"].state == "finished"
    assert len(_starts(events, "ok")) == 2


def test_a_source_that_breaks_mid_stream_fails_only_its_camera(detector_for):
    def dropping():
        yield np.zeros((64, 64, 3), np.uint8)
        raise ConnectionResetError("camera went away")

    clip, frames = clip_frames(n_objects=1, n_frames=40, crossing_frames=20)
    cameras = CameraConfig("flaky", dropping()), CameraConfig("ok", frames)
    _, health, _, _ = _run(detector_for(clip), *cameras)
    assert health["flaky"].state == "failed"
    assert "camera went away" in health["flaky"].last_error
    assert health["ok"].state == "finished" and health["ok"].frames_read == 40


def test_a_failing_event_sink_is_counted_and_the_loop_goes_on(detector_for):
    clip, frames = clip_frames(n_objects=2, n_frames=100, crossing_frames=20)
    detector = detector_for(clip)

    def broken_sink(camera_id, event):
        raise ConnectionError("database down")

    pipeline = VisionPipeline(
        PipelineConfig(cameras=(CameraConfig("cam", frames),)), detector, on_event=broken_sink
    )
    health = pipeline.run()["cam"]
    assert health.state == "finished" and health.frames_read == 100
    assert health.errors >= 2 and "database down" in health.last_error


def test_detections_outside_the_regions_of_interest_are_dropped(detector_for):
    clip, frames = clip_frames(n_objects=2, n_frames=100, crossing_frames=20)
    roi = ((0.0, 0.0, 0.01, 0.01),)  # a corner no object reaches
    detector = detector_for(clip)
    _, _, events, _ = _run(detector, CameraConfig("cam", frames, roi=roi, motion=None))
    assert events == []
    _, frames = clip_frames(n_objects=2, n_frames=100, crossing_frames=20)
    _, _, events, _ = _run(detector, CameraConfig("cam", frames, motion=None))
    assert len(_starts(events)) == 2  # the same clip without the ROI


def test_every_nth_frame_is_sampled(detector_for):
    frames = (np.zeros((64, 64, 3), np.uint8) for _ in range(30))
    detector = detector_for(clip_frames(n_objects=1, n_frames=30)[0])
    _, health, _, _ = _run(detector, CameraConfig("cam", frames, sample_every=3, motion=None))
    assert health["cam"].frames_read == 30
    assert health["cam"].frames_inferred == 10


def test_duplicate_camera_ids_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        PipelineConfig(cameras=(CameraConfig("a", []), CameraConfig("a", [])))


def test_region_of_interest_must_be_normalised():
    with pytest.raises(ValueError, match="ROI"):
        CameraConfig("a", [], roi=((0, 0, 200, 100),))
