"""Rules, incidents and the notifications that reach farmers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = _("Alerts")

    def ready(self) -> None:
        # Register the Celery tasks in every process: ``alerts.dispatch`` queues the
        # delivery task by name, so nothing else imports this module.
        from alerts import tasks  # noqa: F401
