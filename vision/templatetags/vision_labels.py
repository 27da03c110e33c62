"""``{{ d.class_name|class_label }}``, ``{{ camera.health_state|camera_state }}``."""

from __future__ import annotations

from django import template

from vision.labels import health_label
from vocabulary.detector_classes import class_label as _class_label

register = template.Library()


@register.filter
def class_label(name: str) -> str:
    return _class_label(name)


@register.filter
def camera_state(state: str) -> str:
    return health_label(state)
