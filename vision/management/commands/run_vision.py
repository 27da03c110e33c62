"""Run the enabled stream cameras assigned to this worker until their sources end or a signal."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from vision.detectors import DetectorError
from vision.models import Camera, DetectionModel
from vision.offline import configure_offline
from vision.pipeline import PipelineConfig, VisionPipeline
from vision.services.worker import (
    ResultSink,
    WorkerSettings,
    camera_config,
    cameras_for_worker,
    mark_failed,
    update_health,
)

log = logging.getLogger("vision.worker")


@dataclass
class _Run:
    pipeline: VisionPipeline
    sink: ResultSink
    cameras: dict[int, Camera]
    thread: threading.Thread


class Command(BaseCommand):
    help = "Run the vision pipeline for the cameras assigned to this worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--worker", default="", help="worker name cameras are assigned to")
        parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
        parser.add_argument("--stream-fps", type=float, default=25.0)
        parser.add_argument("--batch-size", type=int, default=8)
        parser.add_argument("--flush-every", type=float, default=2.0, help="seconds")
        parser.add_argument(
            "--max-retries",
            type=int,
            default=None,
            help="reconnect attempts before a stream is marked failed (default: forever)",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="with no cameras yet, re-check every SECONDS instead of exiting",
        )

    def handle(self, *args, **opts) -> None:
        # Before anything imports Ultralytics: no downloads, no telemetry.
        configure_offline(settings.CONFIG.state_dir)
        from vision.device import select_device
        from vision.services.detector_cache import detector_for

        worker = WorkerSettings(
            worker=opts["worker"],
            device=opts["device"],
            stream_fps=opts["stream_fps"],
            flush_every_s=opts["flush_every"],
            batch_size=opts["batch_size"],
            max_retries=opts["max_retries"],
        )
        device = select_device(worker.device).device
        cameras = list(cameras_for_worker(worker.worker))
        while not cameras and opts["wait"] > 0:
            # A process manager restarts nothing here: an idle worker waits for its first camera.
            log.info("no cameras for worker %r yet; checking again later", worker.worker)
            time.sleep(opts["wait"])
            cameras = list(cameras_for_worker(worker.worker))
        if not cameras:
            self.stdout.write(f"no enabled cameras with a model for worker {worker.worker!r}")
            return
        by_model: dict[DetectionModel, list[Camera]] = defaultdict(list)
        for camera in cameras:
            by_model[camera.model].append(camera)

        stop = threading.Event()
        runs: list[_Run] = []
        for model, group in by_model.items():
            try:
                detector = detector_for(model, device)
            except DetectorError as exc:
                mark_failed(group, f"model {model}: {exc}")
                continue
            configs, running = [], []
            for camera in group:
                try:
                    configs.append(camera_config(camera, worker))
                    running.append(camera)
                except ValueError as exc:
                    mark_failed([camera], str(exc))
            if not configs:
                continue
            sink = ResultSink(running, model, list(detector.class_names))
            pipeline = VisionPipeline(
                PipelineConfig(tuple(configs), batch_size=worker.batch_size),
                detector,
                on_event=sink.on_event,
                on_counts=sink.on_counts,
            )
            thread = threading.Thread(
                target=self._run_pipeline, args=(pipeline,), name=f"pipeline-{model.pk}"
            )
            runs.append(_Run(pipeline, sink, {c.pk: c for c in running}, thread))

        restore = self._on_signals(stop, runs)
        try:
            for run in runs:
                run.thread.start()
            log.info("vision worker %r: %d cameras on %s", worker.worker, len(cameras), device)
            while any(run.thread.is_alive() for run in runs):
                if stop.wait(worker.flush_every_s):
                    for run in runs:
                        run.pipeline.stop()
                self._flush(runs)
            for run in runs:
                run.thread.join()
            self._flush(runs)
        finally:
            restore()
        total = sum(len(run.cameras) for run in runs)
        self.stdout.write(f"vision worker stopped: {total} cameras ran")

    @staticmethod
    def _run_pipeline(pipeline: VisionPipeline) -> None:
        try:
            pipeline.run()
        except Exception:
            log.exception("pipeline stopped by an error")

    @staticmethod
    def _flush(runs: list[_Run]) -> None:
        for run in runs:
            run.sink.flush()
            pending = {cid: w.pending for cid, w in run.pipeline.workers.items()}
            update_health(run.cameras, run.pipeline.health(), pending)

    @staticmethod
    def _on_signals(stop: threading.Event, runs: list[_Run]):
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum, frame) -> None:
            log.info("signal %s: stopping the vision worker", signum)
            stop.set()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore
