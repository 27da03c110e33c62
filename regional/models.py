"""Weekly reports, their subscribers, and the pest thresholds a station reports against."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class PestThreshold(models.Model):
    """An economic threshold: insects of a species per trap per week.

    ``region`` empty: the default for every region; a region's own threshold wins
    (a county's over its city's over the default).
    """

    species = models.CharField(_("species"), max_length=64)
    region = models.ForeignKey(
        "farm.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
    )
    per_trap_week = models.FloatField(
        _("insects per trap per week"), validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        ordering = ["species", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["species", "region"], name="pestthreshold_unique_species_region"
            )
        ]
        verbose_name = _("pest threshold")
        verbose_name_plural = _("pest thresholds")

    def __str__(self) -> str:
        return f"{self.species} {self.per_trap_week:g}"


class WeeklyReport(models.Model):
    """One region's report for one week (Monday 00:00 to Monday 00:00, site time)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being generated")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    region = models.ForeignKey(
        "farm.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    week_start = models.DateField(_("week starting"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created = models.DateTimeField(_("requested at"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    seconds = models.FloatField(_("generation time (s)"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="regional/reports/", blank=True)
    xlsx = models.FileField(_("XLSX"), upload_to="regional/reports/", blank=True)
    error = models.TextField(_("error"), blank=True)
    mail_log = models.JSONField(_("mailing"), default=list, blank=True)

    class Meta:
        ordering = ["-week_start", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "week_start"], name="weeklyreport_unique_region_week"
            )
        ]
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")

    def __str__(self) -> str:
        return f"{self.region} {self.week_start}"


class ReportSubscription(models.Model):
    """Someone who gets a region's weekly report by e-mail, while they may still read it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    region = models.ForeignKey(
        "farm.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="subscription_unique")
        ]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")

    def __str__(self) -> str:
        return f"{self.user} · {self.region}"
