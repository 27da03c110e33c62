"""Aerators on ponds and the audited commands that switch them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AerationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aeration"
    verbose_name = _("Aeration")
