"""The shared farm domain: organisations, regions, farms, sites and who may see them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FarmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "farm"
    verbose_name = _("Farms")

    def ready(self) -> None:
        from farm import signals  # noqa: F401  (connects the live-socket access receivers)
