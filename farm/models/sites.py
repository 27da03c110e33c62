"""Farms and the sites on them: crop plots and fish ponds.

``Site`` is a concrete parent (multi-table inheritance) so devices, cameras,
rules and lots can point at "a plot or a pond" with one foreign key.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Farm(models.Model):
    class Kind(models.TextChoices):
        CROP = "crop", _("Crop")
        AQUACULTURE = "aquaculture", _("Aquaculture")
        MIXED = "mixed", _("Mixed")

    organisation = models.ForeignKey(
        "farm.Organisation",
        on_delete=models.PROTECT,
        related_name="farms",
        verbose_name=_("organisation"),
    )
    region = models.ForeignKey(
        "farm.Region",
        on_delete=models.PROTECT,
        related_name="farms",
        verbose_name=_("county"),
        limit_choices_to={"level": "county"},
    )
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="farm_unique_name_in_org")
        ]
        verbose_name = _("farm")
        verbose_name_plural = _("farms")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """A monitored place on a farm; concretely a ``Plot`` or a ``Pond``."""

    class Kind(models.TextChoices):
        PLOT = "plot", _("Plot")
        POND = "pond", _("Pond")

    farm = models.ForeignKey(
        Farm, on_delete=models.CASCADE, related_name="sites", verbose_name=_("farm")
    )
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, editable=False)
    area_m2 = models.DecimalField(
        _("area (m²)"), max_digits=12, decimal_places=1, validators=[MinValueValidator(0)]
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["farm__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["farm", "name"], name="site_unique_name_in_farm")
        ]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return f"{self.farm} / {self.name}"

    @property
    def area_mu(self) -> float:
        """Area in 亩 (1 mu = 666.67 m²), the unit farmers in China think in."""
        return float(self.area_m2) / 666.6667

    def concrete(self) -> Site:
        """The Plot or Pond behind this site."""
        return getattr(self, self.kind, self)


class Plot(Site):
    class SoilTexture(models.TextChoices):
        SAND = "sand", _("Sand")
        LOAMY_SAND = "loamy_sand", _("Loamy sand")
        SANDY_LOAM = "sandy_loam", _("Sandy loam")
        LOAM = "loam", _("Loam")
        SILT_LOAM = "silt_loam", _("Silt loam")
        CLAY_LOAM = "clay_loam", _("Clay loam")
        CLAY = "clay", _("Clay")

    class Cultivation(models.TextChoices):
        OPEN_FIELD = "open_field", _("Open field")
        GREENHOUSE = "greenhouse", _("Greenhouse")

    crop = models.CharField(_("crop"), max_length=64)
    soil_texture = models.CharField(
        _("soil texture"), max_length=16, choices=SoilTexture.choices, default=SoilTexture.LOAM
    )
    cultivation = models.CharField(
        _("cultivation"), max_length=16, choices=Cultivation.choices, default=Cultivation.OPEN_FIELD
    )

    class Meta:
        verbose_name = _("plot")
        verbose_name_plural = _("plots")

    def save(self, *args, **kwargs) -> None:
        self.kind = Site.Kind.PLOT
        super().save(*args, **kwargs)


class Pond(Site):
    class Aeration(models.TextChoices):
        NONE = "none", _("None")
        PADDLEWHEEL = "paddlewheel", _("Paddlewheel")
        IMPELLER = "impeller", _("Impeller / jet")
        DIFFUSED = "diffused", _("Diffused air / micro-pore")
        OXYGEN_CONE = "oxygen_cone", _("Pure oxygen")

    class Water(models.TextChoices):
        FRESH = "fresh", _("Fresh water")
        BRACKISH = "brackish", _("Brackish")
        SEA = "sea", _("Sea water")

    species = models.CharField(_("species"), max_length=64)
    depth_m = models.DecimalField(
        _("depth (m)"), max_digits=4, decimal_places=2, validators=[MinValueValidator(0)]
    )
    aeration = models.CharField(
        _("aeration"), max_length=16, choices=Aeration.choices, default=Aeration.PADDLEWHEEL
    )
    aerator_kw = models.DecimalField(
        _("aerator power (kW)"), max_digits=6, decimal_places=2, default=0
    )
    water = models.CharField(_("water"), max_length=8, choices=Water.choices, default=Water.FRESH)

    class Meta:
        verbose_name = _("pond")
        verbose_name_plural = _("ponds")

    def save(self, *args, **kwargs) -> None:
        self.kind = Site.Kind.POND
        super().save(*args, **kwargs)
