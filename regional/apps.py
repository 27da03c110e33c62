"""Regional monitoring for agricultural bureaus: drill-down, map, reports, big screen."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "regional"
    verbose_name = _("Regional monitoring")

    def ready(self) -> None:
        # Register the Celery tasks in every process: ``services.reports`` queues the report
        # task by name, so the services never import the tasks that call them.
        from regional import tasks  # noqa: F401
