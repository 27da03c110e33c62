"""Corroborated hypoxia: fish at the surface on camera while the pond's oxygen reads low.

Either signal alone is weak: fish crowd the surface at feeding time, and a fouled DO probe reads
low on a healthy pond. Both together within a few minutes are worth waking someone for. The DO
limit is the usual pond-culture stress level for carp-family fish, around 3 mg/L; below about
2 mg/L they gasp at the surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sensors.timeseries import TimeSeries
from vision.models import Camera, Detection
from vision.services.alerting import camera_key
from vocabulary.events import DetectionEvent

SURFACE_CLASSES = ("gasping", "crowding")
EVENT_CLASS = "corroborated_hypoxia"


@dataclass(frozen=True)
class HypoxiaRule:
    window: timedelta = timedelta(minutes=15)
    min_surface_detections: int = 3
    do_below_mg_l: float = 3.0


def corroborate_hypoxia(
    camera: Camera, now: datetime, ts: TimeSeries, rule: HypoxiaRule | None = None
) -> DetectionEvent | None:
    """An event when the camera saw surface behaviour and the pond's latest DO is low, else None.

    Only pond-surface cameras count. No DO data in the window means no corroboration: the camera
    alone raises its own ``gasping`` / ``crowding`` detections through the usual rules.
    """
    rule = rule or HypoxiaRule()
    if camera.kind != Camera.Kind.POND_SURFACE:
        return None
    since = now - rule.window
    seen = Detection.objects.filter(
        camera=camera, class_name__in=SURFACE_CLASSES, time__gte=since, time__lte=now
    ).count()
    if seen < rule.min_surface_detections:
        return None
    # The series end is exclusive; a reading stamped exactly ``now`` belongs in.
    samples = ts.series(camera.site, "do", since, now + timedelta(seconds=1), max_points=60)
    if not samples or samples[-1].value >= rule.do_below_mg_l:
        return None
    return DetectionEvent(
        time=now,
        farm_id=camera.site.farm_id,
        site_id=camera.site_id,
        camera=camera_key(camera.pk),
        class_name=EVENT_CLASS,
        count=seen,
        confidence=1.0,
    )
