"""China's administrative divisions (GB/T 2260) as a tree of six-digit codes."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

division_code = RegexValidator(r"^\d{6}$", _("A GB/T 2260 code has exactly six digits."))


class Region(models.Model):
    """A province, prefecture-level city or county, keyed by its GB/T 2260 code.

    The code itself encodes the tree (PP CC DD), so subtree queries are a
    prefix match on the code — no recursive SQL, and it works on every backend.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")

    code = models.CharField(
        _("division code"), max_length=6, primary_key=True, validators=[division_code]
    )
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        """The code prefix shared by every division inside this one."""
        if self.level == self.Level.PROVINCE:
            return self.code[:2]
        if self.level == self.Level.CITY:
            return self.code[:4]
        return self.code

    def subtree(self) -> models.QuerySet[Region]:
        return Region.objects.filter(code__startswith=self.prefix)

    def contains(self, other: Region | str) -> bool:
        code = other.code if isinstance(other, Region) else other
        return code.startswith(self.prefix)
