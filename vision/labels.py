"""What people call the camera states (the worker records them as codes such as
``running``). Detector class names are shared vocabulary: ``vocabulary.detector_classes``.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

HEALTH_LABELS = {
    "starting": pgettext_lazy("camera state", "starting"),
    "running": pgettext_lazy("camera state", "running"),
    "finished": pgettext_lazy("camera state", "finished"),
    "failed": pgettext_lazy("camera state", "failed"),
}


def health_label(state: str) -> str:
    label = HEALTH_LABELS.get(state)
    return str(label) if label is not None else state
