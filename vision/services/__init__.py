"""What the vision app does, for its views, commands and other apps to call."""

from vision.services.alerting import (
    detections_to_alert_events,
    hand_to_alerts,
    trap_photo_to_alert_events,
)
from vision.services.counts import record_counts, record_trap_counts
from vision.services.traps import (
    MAX_UPLOAD_BYTES,
    TrapReview,
    UploadRejected,
    daily_counts,
    ingest_trap_photo,
    record_trap_photo,
    review_trap_photo,
)

__all__ = [
    "MAX_UPLOAD_BYTES",
    "TrapReview",
    "UploadRejected",
    "daily_counts",
    "detections_to_alert_events",
    "hand_to_alerts",
    "ingest_trap_photo",
    "record_counts",
    "record_trap_counts",
    "record_trap_photo",
    "review_trap_photo",
    "trap_photo_to_alert_events",
]
