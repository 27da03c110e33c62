"""Vision results handed to the alert engine as ``vocabulary.events.DetectionEvent`` values.

The engine judges "objects of one class seen by one camera in one period" against the rules of
the site, so detections are grouped per camera and class before they are handed over. Which
severity an alert gets is the rule's business; a model's per-class severity is shown on pages
and used by rules that ask for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from alerts.engine import evaluate_detections
from vision.models import Detection, TrapPhoto
from vocabulary.events import DetectionEvent

log = logging.getLogger(__name__)


def camera_key(camera_id: int) -> str:
    return f"cam{camera_id}"


def detections_to_alert_events(detections: Iterable[Detection]) -> list[DetectionEvent]:
    """One event per camera and class: how many objects, the best confidence, the latest time."""
    groups: dict[tuple[int, str], list[Detection]] = {}
    for det in detections:
        groups.setdefault((det.camera_id, det.class_name), []).append(det)
    events = []
    for (camera_id, class_name), dets in groups.items():
        site = dets[0].camera.site
        events.append(
            DetectionEvent(
                time=max(d.time for d in dets),
                farm_id=site.farm_id,
                site_id=site.pk,
                camera=camera_key(camera_id),
                class_name=class_name,
                count=len(dets),
                confidence=max(d.confidence for d in dets),
            )
        )
    return sorted(events, key=lambda e: (e.time, e.camera, e.class_name))


def trap_photo_to_alert_events(photo: TrapPhoto) -> list[DetectionEvent]:
    """One event per species with new insects on the photo (reviewed counts preferred)."""
    site = photo.camera.site
    return [
        DetectionEvent(
            time=photo.taken_at,
            farm_id=site.farm_id,
            site_id=site.pk,
            camera=camera_key(photo.camera_id),
            class_name=c.species,
            count=c.count,
        )
        for c in photo.counts.all()
        if c.count > 0
    ]


def hand_to_alerts(events: Sequence[DetectionEvent]) -> bool:
    """Evaluate the events; False (logged) if the engine is missing or failed.

    A failing rule evaluation must not lose the detections already stored, nor stop the
    worker or fail a trap upload, so the error ends here.
    """
    if not events:
        return True
    try:
        evaluate_detections(events)
    except Exception:
        log.exception("alert evaluation of %d vision events failed", len(events))
        return False
    return True
