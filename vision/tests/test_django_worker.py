"""The vision worker's Django side: cameras to run, persisted detections, health, counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from agrimon.config import load
from demo.synthetic_scenes import synthetic_video
from sensors.timeseries import TimeSeries
from vision.models import Camera, Detection, DetectionModel
from vision.pipeline import CameraHealth, IntervalCounts
from vision.services import detections_to_alert_events, hand_to_alerts, record_counts
from vision.services.worker import (
    ResultSink,
    WorkerSettings,
    camera_config,
    cameras_for_worker,
    update_health,
)
from vision.tests import django_support as support
from vision.tests.django_support import INSECTS, demo_plot, register_weights, trap_camera
from vision.tracking import TrackEvent

pytestmark = pytest.mark.django_db
demo, media, login = support.demo, support.media, support.login
offline_state, untrained_weights = support.offline_state, support.untrained_weights


@pytest.fixture
def influx():
    ts = TimeSeries.from_config(load(), database=f"test_vision_{uuid.uuid4().hex[:12]}")
    ts.ensure_database("30d")
    try:
        yield ts
    finally:
        ts.drop_database()
        ts.close()


@pytest.fixture
def model(media, offline_state, untrained_weights):
    return register_weights(untrained_weights)


def stream_camera(model, name="田间相机", source="rtsp://192.0.2.1/live", **fields) -> Camera:
    camera = Camera(
        site=demo_plot(),
        name=name,
        kind=Camera.Kind.FIELD,
        source_kind=fields.pop("source_kind", Camera.Source.RTSP),
        source=source,
        model=model,
        **fields,
    )
    camera.full_clean()
    camera.save()
    return camera


def event(track_id: int, kind="start", frame=True) -> TrackEvent:
    return TrackEvent(
        kind=kind,
        track_id=track_id,
        class_name="moth",
        confidence=0.87,
        box=(10.0, 12.0, 40.0, 44.0),
        first_frame=3,
        last_frame=5,
        timestamp=datetime(2026, 6, 1, 3, 0, tzinfo=UTC).timestamp(),
        hits=3,
        frame=np.zeros((96, 128, 3), np.uint8) if frame else None,
    )


def test_a_worker_runs_only_its_enabled_stream_cameras_with_a_model(demo, model):
    mine = stream_camera(model)
    stream_camera(model, name="停用", enabled=False)
    stream_camera(None, name="无模型")
    stream_camera(model, name="别的", worker="gpu-2")
    trap_camera(demo_plot(), model=model)
    assert list(cameras_for_worker("")) == [mine]
    assert [c.name for c in cameras_for_worker("gpu-2")] == ["别的"]


def test_a_camera_config_carries_sampling_regions_and_media_relative_files(demo, model, media):
    stream = stream_camera(model, sample_interval_s=2.0, regions=[[0.1, 0.1, 0.6, 0.9]])
    config = camera_config(stream, WorkerSettings(stream_fps=10))
    assert (config.camera_id, config.sample_every) == (str(stream.pk), 20)
    assert config.roi == ((0.1, 0.1, 0.6, 0.9),)
    clip = stream_camera(model, name="录像", source="clips/a.avi", source_kind="file")
    assert camera_config(clip, WorkerSettings()).source == media / "clips/a.avi"
    still = stream_camera(
        model, name="快照", source="http://192.0.2.1/snap.jpg", source_kind="http_snapshot",
        sample_interval_s=30,
    )  # fmt: skip
    assert camera_config(still, WorkerSettings()).snapshot_interval == 30


@pytest.mark.parametrize(
    "source_kind, source",
    [("rtsp", "http://cam/live"), ("http_snapshot", "rtsp://cam"), ("file", "")],
)
def test_a_source_that_does_not_fit_its_kind_is_refused(demo, source_kind, source):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        stream_camera(None, source_kind=source_kind, source=source)


def test_only_a_video_file_can_be_looped_and_its_config_says_so(demo, model, media):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="'loop'"):
        stream_camera(model, loop=True)
    clip = stream_camera(model, name="录像", source="clips/a.avi", source_kind="file", loop=True)
    assert camera_config(clip, WorkerSettings()).loop is True
    assert camera_config(stream_camera(model), WorkerSettings()).loop is False


def test_regions_that_are_not_normalised_are_refused_on_the_camera(demo):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="region 0"):
        stream_camera(None, regions=[[10, 10, 200, 200]])


def test_confirmed_tracks_become_detections_with_an_annotated_snapshot(demo, model, influx):
    camera = stream_camera(model)
    sink = ResultSink([camera], model, INSECTS, timeseries=influx)
    sink.on_event(str(camera.pk), event(7))
    sink.on_event(str(camera.pk), event(7, kind="end"))  # the end of a track is no new object
    assert Detection.objects.count() == 0  # nothing is written on the loop thread
    records = sink.flush()
    assert len(records) == 1
    detection = Detection.objects.get()
    assert (detection.class_name, detection.track_id, detection.model) == ("moth", 7, model)
    assert detection.time == datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    assert detection.snapshot.read(3) == b"\xff\xd8\xff"
    assert sink.flush() == []


def test_interval_counts_go_to_influxdb_per_class(demo, model, influx):
    camera = stream_camera(model)
    sink = ResultSink([camera], model, INSECTS, timeseries=influx)
    end = datetime.now(UTC).replace(microsecond=0).timestamp()
    sink.on_counts(str(camera.pk), IntervalCounts(end - 60, end, {"moth": 3, "aphid": 1}))
    sink.flush()
    rows = influx.query(
        'SELECT "count", "class" FROM "raw"."vision" WHERE "camera" = $c', {"c": str(camera.pk)}
    )
    values = sorted((r[2], r[1]) for s in rows for r in s["values"])
    assert values == [("aphid", 1), ("moth", 3)]


def test_counts_are_not_lost_silently_when_influxdb_is_down(demo, model):
    camera = stream_camera(model)
    down = TimeSeries("http://127.0.0.1:9", "nowhere", timeout=2)
    assert record_counts(camera, {"moth": 1}, datetime.now(UTC), down) is False


def test_health_of_every_camera_is_written_in_one_update(demo, model, django_assert_num_queries):
    a, b = stream_camera(model), stream_camera(model, name="二号")
    health = {
        str(a.pk): CameraHealth(state="running", fps=9.5, errors=0, last_frame_at=1780000000.0),
        str(b.pk): CameraHealth(state="failed", errors=3, last_error="cannot open rtsp://x"),
    }
    with django_assert_num_queries(1):
        update_health({a.pk: a, b.pk: b}, health, {str(a.pk): 19})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.health_state, a.fps, a.lag_s) == ("running", 9.5, 2.0)
    assert a.last_frame_at == datetime.fromtimestamp(1780000000, UTC)
    assert (b.health_state, b.errors, b.last_error) == ("failed", 3, "cannot open rtsp://x")


def test_detections_become_one_alert_event_per_camera_and_class(demo, model):
    camera = stream_camera(model)
    at = datetime.now(UTC)
    detections = [
        Detection.objects.create(
            camera=camera, time=at, class_name=cls, confidence=conf, box=[1, 2, 3, 4]
        )
        for cls, conf in (("moth", 0.5), ("moth", 0.9), ("aphid", 0.7))
    ]
    events = {e.class_name: e for e in detections_to_alert_events(detections)}
    assert (events["moth"].count, events["moth"].confidence) == (2, 0.9)
    assert events["aphid"].count == 1
    assert (events["moth"].site_id, events["moth"].farm_id) == (camera.site_id, camera.site.farm_id)


def test_the_alert_engine_evaluates_vision_events_without_rules_quietly(demo, model):
    camera = stream_camera(model)
    detection = Detection.objects.create(
        camera=camera, time=datetime.now(UTC), class_name="moth", confidence=0.8, box=[1, 2, 3, 4]
    )
    assert hand_to_alerts(detections_to_alert_events([detection])) is True


def test_run_vision_marks_an_unreachable_stream_failed_and_serves_the_other_camera(
    demo, model, media, tmp_path
):
    clip = synthetic_video(tmp_path / "clip.avi", n_objects=1, n_frames=30, crossing_frames=10)
    good = stream_camera(model, name="录像", source=str(clip.path), source_kind="file",
                         sample_interval_s=0)  # fmt: skip
    dead = stream_camera(model, name="断线", source="rtsp://127.0.0.1:9/none")
    call_command("run_vision", "--device", "cpu", "--max-retries", "0", "--flush-every", "0.2")
    good.refresh_from_db()
    dead.refresh_from_db()
    assert good.health_state == "finished" and good.errors == 0 and good.last_frame_at
    assert dead.health_state == "failed" and "127.0.0.1:9" in dead.last_error


def test_run_vision_reports_a_model_with_the_wrong_classes_on_its_cameras(
    demo, media, offline_state, untrained_weights, tmp_path
):
    wrong = register_weights(untrained_weights, name="wrong", classes=["fish", "a", "b"])
    camera = stream_camera(wrong, source=str(tmp_path / "missing.avi"), source_kind="file")
    call_command("run_vision", "--device", "cpu")
    camera.refresh_from_db()
    assert camera.health_state == "failed" and "classes" in camera.last_error


def test_run_vision_with_no_cameras_says_so(demo, offline_state, capsys):
    call_command("run_vision", "--worker", "nobody")
    assert "no enabled cameras" in capsys.readouterr().out


def test_the_worker_records_each_crossing_of_a_video_once(demo, media, offline_state, tmp_path):
    from demo.synthetic_scenes import write_reference
    from vision.services.registry import register_model

    clip = synthetic_video(tmp_path / "clip.avi", n_objects=3, n_frames=120, crossing_frames=24)
    reference = write_reference(tmp_path / "ref.json", [clip.reference_scene()], INSECTS)
    model = register_model("insects", reference, INSECTS, {}, imgsz=160, backend="reference")
    stream_camera(
        model, name="录像", source=str(clip.path), source_kind="file", sample_interval_s=0
    )
    call_command("run_vision", "--device", "cpu", "--flush-every", "0.5")
    found = sorted(Detection.objects.values_list("class_name", flat=True))
    assert found == sorted(c.class_name for c in clip.crossings)
    assert all(d.snapshot for d in Detection.objects.all())


def test_vision_eval_refuses_a_dataset_whose_classes_differ(demo, model, tmp_path):
    from django.core.management.base import CommandError

    data = tmp_path / "data.yaml"
    data.write_text("path: .\ntrain: images\nval: images\nnames:\n  0: insect\n")
    with pytest.raises(CommandError, match="do not match"):
        call_command("vision_eval", "--model", model.name, "--data", str(data), "--device", "cpu")


def test_vision_eval_of_an_unknown_model_is_a_clear_error(demo, offline_state, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no detection model"):
        call_command("vision_eval", "--model", "nope", "--data", str(tmp_path / "d.yaml"))


@pytest.mark.slow
def test_vision_train_registers_weights_and_vision_eval_stores_map50(
    demo, media, offline_state, tmp_path, capsys
):
    from demo.synthetic_scenes import generate_dataset
    from vision.models import DetectionModel

    data = generate_dataset(tmp_path / "ds", "insects", n_train=8, n_val=4, size=(96, 96))
    call_command(
        "vision_train", "--data", str(data), "--model", "yolo11-pico.yaml", "--epochs", "2",
        "--imgsz", "96", "--batch", "4", "--name", "tiny", "--device", "cpu",
        "--class-config", '{"moth": {"confidence": 0.3, "severity": "warning"}}', "--onnx",
    )  # fmt: skip
    model = DetectionModel.objects.get(name="tiny")
    assert model.version == 1 and model.class_names == INSECTS
    assert Path(model.weights_path).is_file() and "mAP50" in model.metrics
    assert model.severity("moth") == "warning"
    assert model.weights_path.with_suffix(".onnx").is_file()
    call_command("vision_eval", "--model", "tiny", "--data", str(data), "--device", "cpu")
    out = capsys.readouterr().out
    assert "mAP50=" in out.splitlines()[-1]
    model.refresh_from_db()
    assert list(model.metrics["evaluations"]) == ["ds:val"]


def test_vision_eval_reports_map50_on_a_real_labelled_trap_set(
    demo, media, offline_state, shared_data, tmp_path, capsys
):
    import shutil

    source = shared_data / "vision" / "yellow_trap_sample"
    data_dir = tmp_path / "yellow_trap"  # a copy: evaluation writes label caches beside the data
    for part in ("images/val", "labels/val"):
        shutil.copytree(source / part, data_dir / part)
    (data_dir / "data.yaml").write_text(
        "train: images/val\nval: images/val\nnc: 1\nnames:\n  0: insect\n"
    )
    weights = support.untrained_checkpoint(tmp_path / "insect.pt", ["insect"])
    register_weights(weights, name="trap-insects", classes=["insect"])
    call_command(
        "vision_eval", "--model", "trap-insects", "--data", str(data_dir / "data.yaml"),
        "--imgsz", "128", "--device", "cpu",
    )  # fmt: skip
    assert capsys.readouterr().out.splitlines()[-1].startswith("mAP50=")
    model = DetectionModel.objects.get(name="trap-insects")
    assert "yellow_trap:val" in model.metrics["evaluations"] and "mAP50" in model.metrics


def test_run_vision_stops_on_sigterm_and_restores_the_signal_handler(demo, model):
    import os
    import signal
    import threading
    import time

    camera = stream_camera(model, source="rtsp://127.0.0.1:9/none")  # retried forever
    original = signal.getsignal(signal.SIGTERM)

    def terminate_once_the_worker_listens() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if signal.getsignal(signal.SIGTERM) is not original:
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.02)  # polling for the handler, not waiting for a result

    sender = threading.Thread(target=terminate_once_the_worker_listens, daemon=True)
    sender.start()
    call_command("run_vision", "--device", "cpu", "--flush-every", "0.2")
    sender.join(timeout=5)
    assert signal.getsignal(signal.SIGTERM) is original
    camera.refresh_from_db()
    assert camera.health_updated is not None
