"""LoRaWAN ingestion: devices, codecs, the MQTT bridge and the InfluxDB time series."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sensors"
    verbose_name = _("Sensors")
