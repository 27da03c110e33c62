"""Device register of the sensors app: profiles, devices, gateways and dead letters."""

from __future__ import annotations

import base64

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from sensors.calibration import CalibrationError, parse_calibration

eui64 = RegexValidator(r"^[0-9a-f]{16}$", _("An EUI-64 is 16 lowercase hexadecimal digits."))


def normalise_eui(value: str) -> str:
    """EUIs arrive as upper case (TTS), lower case (ChirpStack) or with separators."""
    return value.strip().replace("-", "").replace(":", "").lower()


class DeviceProfile(models.Model):
    """A kind of device; its id is the codec profile id that decodes its payloads."""

    id = models.SlugField(_("codec profile"), max_length=64, primary_key=True)
    name = models.CharField(_("name"), max_length=128)
    vendor = models.CharField(_("vendor"), max_length=64, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("device profile")
        verbose_name_plural = _("device profiles")

    def __str__(self) -> str:
        return self.name or self.id


class Device(models.Model):
    """A LoRaWAN node. Status fields are written in bulk by the bridge, never per uplink."""

    dev_eui = models.CharField(_("DevEUI"), max_length=16, unique=True, validators=[eui64])
    name = models.CharField(_("name"), max_length=128, blank=True)
    farm = models.ForeignKey(
        "farm.Farm", on_delete=models.CASCADE, related_name="devices", verbose_name=_("farm")
    )
    site = models.ForeignKey(
        "farm.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("site"),
    )
    profile = models.ForeignKey(
        DeviceProfile, on_delete=models.PROTECT, related_name="devices", verbose_name=_("profile")
    )
    install_depth_cm = models.IntegerField(
        _("installation depth (cm)"),
        null=True,
        blank=True,
        help_text=_("Below the soil surface or the water surface."),
    )
    calibration = models.JSONField(
        _("calibration"),
        default=dict,
        blank=True,
        help_text=_(
            'Per metric: {"do": {"offset": 0.1, "gain": 1.02}} or '
            '{"ph": {"points": [[6.9, 7.0], [9.8, 10.0]]}} (raw, reference).'
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created = models.DateTimeField(auto_now_add=True)
    # Status, refreshed by the bridge in bulk.
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    battery_v = models.FloatField(_("battery (V)"), null=True, blank=True)
    rssi = models.FloatField(_("RSSI (dBm)"), null=True, blank=True)
    snr = models.FloatField(_("SNR (dB)"), null=True, blank=True)
    f_cnt = models.BigIntegerField(_("frame counter"), null=True, blank=True)

    class Meta:
        ordering = ["dev_eui"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return self.name or self.dev_eui

    def clean(self) -> None:
        self.dev_eui = normalise_eui(self.dev_eui or "")
        errors = {}
        try:
            parse_calibration(self.calibration)
        except CalibrationError as exc:
            errors["calibration"] = str(exc)
        if self.site_id and self.farm_id and self.site.farm_id != self.farm_id:
            errors["site"] = _("The site belongs to another farm.")
        if errors:
            raise ValidationError(errors)


class Gateway(models.Model):
    gateway_eui = models.CharField(_("gateway EUI"), max_length=16, unique=True, validators=[eui64])
    farm = models.ForeignKey(
        "farm.Farm",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="gateways",
        verbose_name=_("farm"),
    )
    name = models.CharField(_("name"), max_length=128, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        ordering = ["gateway_eui"]
        verbose_name = _("gateway")
        verbose_name_plural = _("gateways")

    def __str__(self) -> str:
        return self.name or self.gateway_eui


class DeadLetter(models.Model):
    """An MQTT message (or a point) the bridge could not turn into stored readings.

    The body is kept up to ``DEAD_LETTER_BODY_BYTES`` (4 KiB; verbatim below that, so
    it can be replayed) with the full ``size`` and ``sha256``. Rows older than the
    retention are deleted by the ``sensors.purge_dead_letters`` task.
    """

    class Reason(models.TextChoices):
        UNKNOWN_DEVICE = "unknown_device", _("Unknown device")
        DISABLED_DEVICE = "disabled_device", _("Disabled device")
        DECODE_ERROR = "decode_error", _("Payload does not fit the profile")
        BAD_MESSAGE = "bad_message", _("Message is not a valid network-server event")
        NO_PAYLOAD = "no_payload", _("Uplink without application payload")
        TOO_LARGE = "too_large", _("Message larger than the bridge accepts")
        PROCESSING_ERROR = "processing_error", _("Message broke the bridge's processing")
        INFLUX_REJECTED = "influx_rejected", _("Point refused by the time-series database")

    class NetworkServer(models.TextChoices):
        CHIRPSTACK = "chirpstack", "ChirpStack v4"
        TTS = "tts", "The Things Stack v3"
        UNKNOWN = "unknown", _("Unknown")

    received_at = models.DateTimeField(_("received at"), db_index=True)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices, db_index=True)
    detail = models.TextField(_("detail"), blank=True)
    topic = models.CharField(_("topic"), max_length=512)
    message_b64 = models.TextField(_("raw message (base64)"))
    size = models.PositiveIntegerField(_("message size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256 of the whole message"), max_length=64, blank=True)
    dev_eui = models.CharField(_("DevEUI"), max_length=16, blank=True, db_index=True)
    network_server = models.CharField(
        _("network server"), max_length=16, choices=NetworkServer.choices
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.topic}"

    @property
    def truncated(self) -> bool:
        """Only the first bytes of the message were kept."""
        return self.size > len(base64.b64decode(self.message_b64))
