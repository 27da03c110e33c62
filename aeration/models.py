"""Aerators and the commands that switch them.

An aerator is one relay channel of a LoRaWAN relay controller (a ``sensors.Device``).
Its reported state is only what the device's own uplinks said; a command is a
request for a state that counts as done only when an uplink reports that state
(DESIGN.md §8c). Every request — including a refused one — is a row here, so the
table is the audit log.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    MANUAL = "manual", _("Manual")
    AUTO = "auto", _("Automatic")


class RelayController(models.Model):
    """A relay controller and how to reach it through its network server for downlinks.

    Uplinks name the device only by DevEUI; a downlink needs the network server's own
    address: ChirpStack v4 the application id (UUID), The Things Stack v3 the
    application id, tenant and its device id. They are typed here once per device.
    """

    class Network(models.TextChoices):
        CHIRPSTACK = "chirpstack", _("ChirpStack v4")
        TTS = "tts", _("The Things Stack v3")

    device = models.OneToOneField(
        "sensors.Device",
        on_delete=models.CASCADE,
        related_name="relay_controller",
        verbose_name=_("device"),
    )
    network = models.CharField(
        _("network server"), max_length=16, choices=Network.choices, default=Network.CHIRPSTACK
    )
    application_id = models.CharField(
        _("application id"),
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_.\-]+$", _("Letters, digits, '.', '_', '-'."))],
    )
    tenant_id = models.CharField(
        _("tenant id"),
        max_length=36,
        blank=True,
        validators=[RegexValidator(r"^[a-z0-9\-]*$", _("Lower-case letters, digits, '-'."))],
        help_text=_("The Things Stack Cloud and Enterprise only; empty for Open Source."),
    )
    network_device_id = models.CharField(
        _("device id on the network server"),
        max_length=36,
        blank=True,
        validators=[RegexValidator(r"^[a-z0-9\-]*$", _("Lower-case letters, digits, '-'."))],
        help_text=_("The Things Stack only; ChirpStack addresses devices by DevEUI."),
    )
    confirmed = models.BooleanField(
        _("confirmed downlinks"),
        default=False,
        help_text=_("The state in the next uplink confirms a command either way."),
    )
    confirm_minutes = models.PositiveSmallIntegerField(
        _("confirmation window (min)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text=_("A command not confirmed by an uplink within this time expires."),
    )

    class Meta:
        verbose_name = _("relay controller")
        verbose_name_plural = _("relay controllers")

    def __str__(self) -> str:
        return str(self.device.name or self.device.dev_eui)

    def clean(self) -> None:
        if self.network == self.Network.TTS and not self.network_device_id:
            raise ValidationError(
                {"network_device_id": _("The Things Stack addresses a device by its id.")}
            )
        if self.network == self.Network.CHIRPSTACK and (self.tenant_id or self.network_device_id):
            raise ValidationError(_("ChirpStack needs only the application id."))


class Aerator(models.Model):
    """One aerator on a pond, wired to one relay channel of a relay controller."""

    pond = models.ForeignKey(
        "farm.Pond", on_delete=models.CASCADE, related_name="aerators", verbose_name=_("pond")
    )
    name = models.CharField(_("name"), max_length=64)
    controller = models.ForeignKey(
        RelayController,
        on_delete=models.PROTECT,
        related_name="aerators",
        verbose_name=_("relay controller"),
    )
    channel = models.PositiveSmallIntegerField(
        _("relay channel"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(2)],
        help_text=_("RO1 = 1, RO2 = 2 on a Dragino LT-22222-L."),
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.MANUAL)
    # Protect the motor: a contactor and a paddlewheel motor must not cycle fast.
    min_on_minutes = models.PositiveSmallIntegerField(_("minimum on time (min)"), default=20)
    min_off_minutes = models.PositiveSmallIntegerField(_("minimum off time (min)"), default=10)
    hysteresis_mg_l = models.DecimalField(
        _("hysteresis (mg/L)"),
        max_digits=4,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("Automatic mode switches off only above the threshold plus this margin."),
    )
    override_minutes = models.PositiveSmallIntegerField(
        _("manual override (min)"),
        default=120,
        help_text=_("How long a manual switch wins over automatic mode."),
    )
    # Reported by the device, written only from its uplinks.
    reported_on = models.BooleanField(_("reported on"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    current_a = models.FloatField(_("current (A)"), null=True, blank=True)
    current_full_scale_a = models.FloatField(
        _("current sensor full scale (A)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1)],
        help_text=_(
            "For a 4–20 mA current transducer on the controller's current input: "
            "the amps it reports as 20 mA. Empty when no current is measured."
        ),
    )
    changed_at = models.DateTimeField(
        _("state changed at"),
        null=True,
        blank=True,
        help_text=_("When the reported state last changed; minimum on/off times count from here."),
    )
    override_until = models.DateTimeField(_("manual override until"), null=True, blank=True)
    # The pond's last dissolved oxygen as the bridge handed it over, for automatic mode
    # and its fail-safe when the data goes stale or the probe reports a fault.
    last_do = models.FloatField(_("last DO (mg/L)"), null=True, blank=True, editable=False)
    last_do_at = models.DateTimeField(null=True, blank=True, editable=False)
    do_fault = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["pond__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["pond", "name"], name="aerator_unique_name_in_pond"),
            models.UniqueConstraint(
                fields=["controller", "channel"], name="aerator_unique_channel"
            ),
        ]
        verbose_name = _("aerator")
        verbose_name_plural = _("aerators")

    def __str__(self) -> str:
        return f"{self.pond.name} / {self.name}"

    def clean(self) -> None:
        if self.pond_id and self.controller_id:
            if self.controller.device.farm_id != self.pond.farm_id:
                raise ValidationError(
                    {"controller": _("The relay controller belongs to another farm.")}
                )


class Command(models.Model):
    """A request to switch an aerator, with who or which rule asked and why."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        EXPIRED = "expired", _("Expired unconfirmed")
        FAILED = "failed", _("Failed")
        SUPERSEDED = "superseded", _("Superseded")
        REFUSED = "refused", _("Refused")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Manual")
        AUTO = "auto", _("Automatic rule")

    aerator = models.ForeignKey(
        Aerator, on_delete=models.CASCADE, related_name="commands", verbose_name=_("aerator")
    )
    desired_on = models.BooleanField(_("switch on"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    rule = models.CharField(_("rule"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    network = models.CharField(_("network server"), max_length=16, blank=True)
    topic = models.CharField(_("topic"), max_length=255, blank=True)
    payload_hex = models.CharField(_("payload (hex)"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"])]
        verbose_name = _("aerator command")
        verbose_name_plural = _("aerator commands")

    def __str__(self) -> str:
        return f"{self.aerator} → {'on' if self.desired_on else 'off'} ({self.status})"
