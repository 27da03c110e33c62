"""A demo world with something on every page: farms and people, alert rules with open and
resolved incidents, devices and rejected uplinks, cameras with detections and trap photos,
and lots at every stage — all without training a detector or running a server process.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
from django.utils import timezone

from alerts import rule_templates
from alerts.engine import evaluate
from alerts.models import Incident, NotificationPolicy, Silence
from demo.farm import seed_demo
from demo.fleet import Fleet, register_fleet
from demo.traceability import seed_trace_demo
from farm.models import Organisation, Plot, Pond
from sensors.models import DeadLetter
from vision.detectors.base import Detection as FrameDetection
from vision.models import Camera, Detection, DetectionModel
from vocabulary.events import ReadingEvent

INSECTS = ["aphid", "beetle", "moth"]
FISH = ["fish", "white_spot", "red_ulcer"]


def _jpeg(seed: int) -> tuple[np.ndarray, bytes]:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 255, (150, 200, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return image, buf.tobytes()


def _model(media_root: Path, name: str, classes: list[str]) -> DetectionModel:
    weights = media_root / "vision" / "models" / f"{name}.pt"
    weights.parent.mkdir(parents=True, exist_ok=True)
    weights.write_bytes(b"never loaded: the pages only read the record")
    return DetectionModel.objects.create(
        name=name,
        weights=f"vision/models/{name}.pt",
        class_names=classes,
        class_config={c: {"confidence": 0.3, "severity": "warning"} for c in classes},
        metrics={"mAP50": 0.5},
    )


def _vision(media_root: Path) -> None:
    from vision.services import record_trap_photo

    insects = _model(media_root, "demo-insects", INSECTS)
    fish = _model(media_root, "demo-fish", FISH)
    plot = Plot.objects.get(farm__name="程集稻虾共作示范基地", name="稻虾田1区")
    pond = Pond.objects.get(farm__name="大沙湖草鱼养殖场", name="1号塘")
    now = timezone.now()
    field = Camera.objects.create(
        site=plot, name="田间虫情相机", kind=Camera.Kind.FIELD, source_kind=Camera.Source.RTSP,
        source="rtsp://127.0.0.1/field", model=insects, health_state="running", fps=4.8,
    )  # fmt: skip
    surface = Camera.objects.create(
        site=pond, name="塘面相机", kind=Camera.Kind.POND_SURFACE,
        source_kind=Camera.Source.HTTP_SNAPSHOT, source="http://127.0.0.1/snap.jpg", model=fish,
        health_state="starting",
    )  # fmt: skip
    Camera.objects.create(
        site=pond, name="水下相机", kind=Camera.Kind.UNDERWATER, source_kind=Camera.Source.RTSP,
        source="rtsp://127.0.0.1/under", model=fish, health_state="failed", enabled=False,
    )  # fmt: skip
    for i, (camera, cls) in enumerate([(field, c) for c in INSECTS] + [(surface, c) for c in FISH]):
        Detection.objects.create(
            camera=camera, time=now - timedelta(minutes=10 * i), class_name=cls,
            confidence=0.8, box=[1, 2, 30, 40], track_id=i,
        )  # fmt: skip
    trap = Camera(
        site=plot, name="诱虫板相机", kind=Camera.Kind.INSECT_TRAP,
        source_kind=Camera.Source.UPLOAD, model=insects, health_state="running",
    )  # fmt: skip
    trap.issue_upload_token()
    trap.save()
    for i in range(3):
        image, data = _jpeg(i)
        dets = [FrameDetection(cls, 0.9, (10.0 + 30 * j, 20.0, 30.0 + 30 * j, 40.0))
                for j, cls in enumerate(INSECTS[: i + 1])]  # fmt: skip
        record_trap_photo(trap, image, data, "jpg", dets, now - timedelta(hours=8 * (3 - i)))


def _alerts() -> None:
    rule_templates.seed()
    for org in Organisation.objects.all():
        rule_templates.adopt(org.pk)
        NotificationPolicy.objects.get_or_create(
            organisation=org, name="值班",
            defaults={"recipient_roles": ["operator"], "channels": {"critical": ["sms"]}},
        )  # fmt: skip
    pond = Pond.objects.get(farm__name="大沙湖草鱼养殖场", name="1号塘")
    shrimp = Pond.objects.filter(species__contains="对虾").first()
    tomato = Plot.objects.filter(crop="番茄", cultivation="greenhouse").first()
    start = timezone.now() - timedelta(hours=12)

    def at(minutes: float):
        return start + timedelta(minutes=minutes)

    def reading(site, minutes, metric, value, eui="a000000000000001", fault=None):
        return ReadingEvent.at(at(minutes), site.farm_id, site.pk, eui, metric, value, fault)

    # Nine hours of DO at 4.0 mg/L: the cumulative rule fires (hours at or below 5 mg/L).
    evaluate([reading(pond, m, "do", 4.0) for m in range(0, 9 * 60 + 1, 30)], now=at(9 * 60))
    # A crash below 2 mg/L, then recovery: opened and resolved incidents.
    evaluate([reading(pond, 560 + m, "do", 1.5) for m in range(0, 21, 5)], now=at(580))
    evaluate([reading(pond, 600 + m, "do", 6.5) for m in range(0, 21, 5)], now=at(620))
    evaluate([reading(pond, 600, "ph", 9.2), reading(pond, 700, "ph", 9.3)], now=at(700))
    evaluate([reading(shrimp, 0, "do", 0.8)], now=at(0))
    evaluate([reading(tomato, m, "air_temp", 41.0, "b000000000000001") for m in (0, 20)],
             now=at(20))  # fmt: skip
    evaluate([reading(pond, 650, "do", None, "a000000000000002", fault="no_response")], now=at(650))
    incident = Incident.objects.filter(resolved_at__isnull=True).first()
    if incident is not None:
        Silence.objects.create(
            organisation=incident.farm.organisation, farm=incident.farm,
            starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=2),
            reason="清塘维护",
        )  # fmt: skip


def _sensors() -> None:
    register_fleet(Fleet(12, seed=3))
    now = timezone.now()
    body = base64.b64encode(b'{"deviceInfo": {}}').decode()
    for i, (reason, detail) in enumerate(
        [
            ("unknown_device", ""),
            ("disabled_device", ""),
            ("decode_error", "payload 7 bytes, core record needs 11"),
            ("decode_error", "unknown payload version 9"),
            ("bad_message", "message is not a JSON object"),
            ("no_payload", ""),
        ]
    ):
        DeadLetter.objects.create(
            received_at=now - timedelta(minutes=i), reason=reason, detail=detail,
            topic="application/demo/device/0000000000000abc/event/up", message_b64=body,
            dev_eui="0000000000000abc", network_server="chirpstack",
        )  # fmt: skip


def populate(media_root: Path) -> None:
    """Everything above, in the order each part needs the one before."""
    seed_demo()
    seed_trace_demo()
    _alerts()
    _sensors()
    _vision(media_root)
