"""Cameras, detection models and detections from the YOLO pipeline."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vision"
    verbose_name = _("Vision")
