"""The detector of each registered model, loaded once per process and reused (a cache)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from vision.detectors import Detector, DetectorConfig, create_detector
from vision.models import DetectionModel

log = logging.getLogger(__name__)

_cache: dict[tuple, Detector] = {}
_lock = threading.Lock()


def detector_config(model: DetectionModel, device: str = "auto") -> DetectorConfig:
    return DetectorConfig(
        weights=model.weights_path,
        backend=model.backend,
        class_names=list(model.class_names),
        confidence=model.default_confidence,
        class_confidence=model.confidences(),
        imgsz=model.imgsz,
        device=device,
    )


def detector_for(model: DetectionModel, device: str = "auto") -> Detector:
    """The model's detector, built on first use; raises DetectorError if it cannot load.

    Keyed by the weights file as well as the id, so re-registering weights under the same
    record loads them afresh.
    """
    key = (model.pk, model.weights.name, model.version, device, str(settings.MEDIA_ROOT))
    with _lock:
        detector = _cache.get(key)
        if detector is None:
            _ensure_offline()
            detector = create_detector(detector_config(model, device))
            _cache[key] = detector
            log.info("loaded detection model %s on %s", model, device)
        return detector


def _ensure_offline() -> None:
    # Ultralytics must be configured before its first import in this process.
    import sys

    if "ultralytics" not in sys.modules:
        from vision.offline import configure_offline

        configure_offline(settings.CONFIG.state_dir)
