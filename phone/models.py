"""What the phone did, keyed by the id the phone gave it, so a replay applies nothing twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientOperation(models.Model):
    """One acknowledge or snooze made on a phone, possibly offline and sent many times.

    The primary key is the UUID the phone generated when the farmer tapped; the first
    request that carries it decides the outcome, and every later one gets that outcome
    back unchanged (``status`` and ``answer``).
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", _("Acknowledge")
        SNOOZE = "snooze", _("Snooze")

    client_id = models.UUIDField(_("client id"), primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="phone_operations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    incident = models.ForeignKey(
        "alerts.Incident", on_delete=models.CASCADE, related_name="phone_operations"
    )
    minutes = models.PositiveIntegerField(_("snooze minutes"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    made_at = models.DateTimeField(_("made on the phone at"))
    received_at = models.DateTimeField(_("first received at"))
    replays = models.PositiveIntegerField(_("times sent again"), default=0)
    status = models.PositiveSmallIntegerField(_("HTTP status of the outcome"))
    answer = models.JSONField(_("outcome"), default=dict)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("phone operation")
        verbose_name_plural = _("phone operations")

    def __str__(self) -> str:
        return f"{self.kind} #{self.incident_id} ({self.client_id})"
