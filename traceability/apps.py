"""Lots, EPCIS events, QR labels and the public scan page."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TraceabilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "traceability"
    verbose_name = _("Traceability")

    def ready(self) -> None:
        from traceability import checks  # noqa: F401  (registers the system check)
