"""Organisations and the memberships that give people their roles."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", _("Cooperative")
        ENTERPRISE = "enterprise", _("Enterprise")
        FAMILY_FARM = "family_farm", _("Family farm")

    name = models.CharField(_("name"), max_length=128, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.COOPERATIVE
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        help_text=_("统一社会信用代码, printed on compliance certificates."),
    )
    region = models.ForeignKey(
        "farm.Region",
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("region"),
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OPERATOR = "operator", _("Operator (given farms)")
    MANAGER = "manager", _("Manager (whole organisation)")
    BUREAU = "bureau", _("Bureau reviewer (region, read-only)")
    ADMIN = "admin", _("Administrator")


class Membership(models.Model):
    """One role for one person: which farms, organisation or region it covers.

    * operator — ``organisation`` and the listed ``farms`` of it;
    * manager — every farm of ``organisation``;
    * bureau — every farm inside ``region`` and its subtree, read-only;
    * admin — everything.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    region = models.ForeignKey(
        "farm.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("region"),
    )
    farms = models.ManyToManyField(
        "farm.Farm", blank=True, related_name="operator_memberships", verbose_name=_("farms")
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        scope = self.organisation or self.region or "*"
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def clean(self) -> None:
        if self.role in (Role.OPERATOR, Role.MANAGER) and not self.organisation_id:
            raise ValidationError({"organisation": _("This role needs an organisation.")})
        if self.role == Role.BUREAU and not self.region_id:
            raise ValidationError({"region": _("A bureau reviewer needs a region.")})
