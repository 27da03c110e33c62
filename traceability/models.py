"""Lots from field or pond to shipment, the inputs applied on the way, and their events.

Events are append-only: a stored ``TraceEvent`` is never updated; a correction
is a new event that points at the one it corrects. Each event carries its
EPCIS event hash and a link in its lot's hash chain, signed with the
organisation's Ed25519 key, so an edited or deleted row shows up in
verification.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# GS1 AI (10) allows 1–20 characters of character set 82, ``/ % & + ?`` included; a
# label's Digital Link percent-encodes them and the resolver reads the raw path
# (``traceability.raw_path``). GB/T 33993 forbids ``% & / < > ?`` in a 批号, so the form's
# help text recommends letters, digits, dot, dash and underscore.
lot_number_validator = RegexValidator(
    r"^[!\"%-?A-Z_a-z]{1,20}\Z",
    _(
        "1–20 characters of the GS1 character set 82: letters, digits and "
        "! \" % & ' ( ) * + , - . / : ; < = > ? _ (no spaces or Chinese characters)."
    ),
)
# Browsers remove "." and ".." path segments (also written %2E, WHATWG URL standard), so a
# code whose lot is one of them would open another page.
lot_number_not_dots = RegexValidator(
    r"^\.{1,2}\Z",
    _("A lot number cannot be “.” or “..”: browsers drop such a part of a link."),
    inverse_match=True,
)
gtin_validator = RegexValidator(r"^\d{14}$", _("A GTIN here has 14 digits (pad with zeros)."))


class Lot(models.Model):
    class Status(models.TextChoices):
        GROWING = "growing", _("Growing")
        HARVESTED = "harvested", _("Harvested")
        RELEASED = "released", _("Released")
        SHIPPED = "shipped", _("Shipped")
        RECALLED = "recalled", _("Recalled")

    # Fields a consumer may see on the scan page when the owner marks them public.
    PUBLIC_FIELD_CHOICES = (
        "product",
        "origin",
        "period",
        "environment",
        "inputs",
        "inspections",
        "custody",
        "producer",
    )

    organisation = models.ForeignKey(
        "farm.Organisation",
        on_delete=models.PROTECT,
        related_name="lots",
        verbose_name=_("organisation"),
    )
    origin = models.ForeignKey(
        "farm.Site",
        on_delete=models.PROTECT,
        related_name="lots",
        verbose_name=_("origin plot or pond"),
    )
    product_name = models.CharField(_("product"), max_length=64)
    product_name_en = models.CharField(_("product (English)"), max_length=64, blank=True)
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True, validators=[gtin_validator])
    lot_number = models.CharField(
        _("lot number"), max_length=20, validators=[lot_number_validator, lot_number_not_dots]
    )
    trace_code = models.CharField(_("trace code"), max_length=32, unique=True, editable=False)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("unit"), max_length=16, default="kg")
    label_count = models.PositiveIntegerField(_("labels issued"), default=0)
    growing_started = models.DateField(_("growing/stocking started"), null=True, blank=True)
    harvest_date = models.DateField(_("harvest date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.GROWING
    )
    requires_inspection = models.BooleanField(_("inspection required before release"), default=True)
    public_fields = models.JSONField(_("public fields"), default=list, blank=True)
    parents = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="children",
        verbose_name=_("made from lots"),
    )
    flagged_reason = models.CharField(_("copy-suspicion flag"), max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "gtin", "lot_number"], name="lot_unique_number_per_gtin"
            ),
        ]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")

    def __str__(self) -> str:
        return f"{self.product_name} {self.lot_number}"

    @property
    def farm(self):
        return self.origin.farm

    def clean(self) -> None:
        bad = set(self.public_fields or []) - set(self.PUBLIC_FIELD_CHOICES)
        if bad:
            raise ValidationError({"public_fields": f"unknown fields: {sorted(bad)}"})

    def is_public(self, field: str) -> bool:
        return field in (self.public_fields or [])


class InputRecord(models.Model):
    """Something applied to a plot or pond: fertiliser, pesticide, feed, veterinary drug."""

    class Kind(models.TextChoices):
        FERTILISER = "fertiliser", _("Fertiliser")
        PESTICIDE = "pesticide", _("Pesticide")
        FEED = "feed", _("Feed")
        VET_DRUG = "vet_drug", _("Veterinary drug")

    site = models.ForeignKey(
        "farm.Site", on_delete=models.PROTECT, related_name="inputs", verbose_name=_("plot or pond")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    product = models.CharField(_("product"), max_length=128)
    active_ingredient = models.CharField(_("active ingredient"), max_length=128, blank=True)
    registration_no = models.CharField(_("registration number"), max_length=64, blank=True)
    dose = models.DecimalField(
        _("dose"), max_digits=10, decimal_places=3, validators=[MinValueValidator(0)]
    )
    dose_unit = models.CharField(_("dose unit"), max_length=16, default="kg")
    applied_on = models.DateField(_("applied on"))
    # Pesticides: pre-harvest interval (安全间隔期) in days.
    phi_days = models.PositiveIntegerField(_("pre-harvest interval (days)"), null=True, blank=True)
    # Veterinary drugs: withdrawal period (休药期) in days or in degree-days (度日).
    withdrawal_days = models.PositiveIntegerField(
        _("withdrawal period (days)"), null=True, blank=True
    )
    withdrawal_degree_days = models.PositiveIntegerField(
        _("withdrawal period (degree-days)"), null=True, blank=True
    )
    disease = models.CharField(_("disease treated"), max_length=128, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-applied_on", "-created"]
        verbose_name = _("input record")
        verbose_name_plural = _("input records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.product} {self.applied_on}"

    def clean(self) -> None:
        if self.kind == self.Kind.PESTICIDE and self.phi_days is None:
            raise ValidationError({"phi_days": _("A pesticide needs its pre-harvest interval.")})
        if self.kind == self.Kind.VET_DRUG and (
            self.withdrawal_days is None and self.withdrawal_degree_days is None
        ):
            raise ValidationError(
                {"withdrawal_days": _("A veterinary drug needs its withdrawal period.")}
            )


class Inspection(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="inspections")
    kind = models.CharField(_("kind"), max_length=64, default="residue")
    tested_on = models.DateField(_("tested on"))
    lab = models.CharField(_("laboratory"), max_length=128, blank=True)
    items = models.JSONField(_("items tested"), default=list, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    report_ref = models.CharField(_("report number"), max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-tested_on"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"{self.lot} {self.kind} {self.tested_on}: {self.get_result_display()}"


class OrganisationKey(models.Model):
    """The Ed25519 key an organisation signs its lot chains with."""

    organisation = models.OneToOneField(
        "farm.Organisation", on_delete=models.CASCADE, related_name="signing_key"
    )
    key_id = models.CharField(max_length=32, unique=True)
    private_key = models.BinaryField()  # raw 32-byte seed; protect the database accordingly
    public_key = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.organisation} key {self.key_id}"


class TraceEvent(models.Model):
    """One EPCIS 2.0 event in a lot's chain. Never updated after it is stored."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    event_type = models.CharField(max_length=32)
    biz_step = models.CharField(max_length=128)
    event_time = models.DateTimeField()
    document = models.JSONField()  # the EPCIS event as JSON-LD
    event_hash = models.CharField(max_length=96)
    prev_link = models.CharField(max_length=64)
    link = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=32)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    input_record = models.ForeignKey(
        InputRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    reason = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    record_time = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lot", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "seq"], name="event_unique_seq_in_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.lot} #{self.seq} {self.biz_step}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("trace events are append-only; record a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("trace events are append-only")


class Scan(models.Model):
    """One consumer scan, kept coarse: the hour and hashed network prefixes, no place."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="scans")
    hour = models.DateTimeField(db_index=True)
    client = models.CharField(max_length=16)  # truncated hash of the /24 (or /48) prefix
    block = models.CharField(max_length=16, blank=True)  # same, of the /16 (or /32)

    class Meta:
        indexes = [models.Index(fields=["lot", "hour"])]

    def __str__(self) -> str:
        return f"scan of {self.lot} at {self.hour:%Y-%m-%d %H}h"


class EPCISImport(models.Model):
    """One partner document we accepted: who brought it in, and what it added."""

    organisation = models.ForeignKey(
        "farm.Organisation", on_delete=models.PROTECT, related_name="epcis_imports"
    )
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    events_total = models.PositiveIntegerField(default=0)
    events_added = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("EPCIS import")
        verbose_name_plural = _("EPCIS imports")

    def __str__(self) -> str:
        return f"{self.filename or self.sha256[:12]} ({self.events_added}/{self.events_total})"


class PartnerEvent(models.Model):
    """An EPCIS event a partner sent us, kept exactly as sent.

    Separate from ``TraceEvent`` on purpose: we did not witness or sign it, so it has
    no place in our lots' signed chains (and cannot break their verification). It is
    linked to the lots of ours it names, and known by the partner's ``eventID`` (or,
    when they gave none, its CBV Event Hash ID), which makes re-imports idempotent.
    """

    organisation = models.ForeignKey(
        "farm.Organisation", on_delete=models.PROTECT, related_name="partner_events"
    )
    source = models.ForeignKey(EPCISImport, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=255)
    event_hash = models.CharField(max_length=96)  # recomputed here with the document's @context
    event_type = models.CharField(max_length=32)
    biz_step = models.CharField(max_length=255, blank=True)
    event_time = models.DateTimeField()
    document = models.JSONField()
    context = models.JSONField(default=list)  # the document's @context: it gives CURIEs meaning
    lots = models.ManyToManyField(Lot, blank=True, related_name="partner_events")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event_time", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "event_id"], name="partner_event_unique_id_per_org"
            ),
        ]
        verbose_name = _("partner event")
        verbose_name_plural = _("partner events")

    def __str__(self) -> str:
        return f"{self.event_type} {self.biz_step} {self.event_time:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("partner events are kept as received")
        super().save(*args, **kwargs)


class ProducerDetails(models.Model):
    """What a 承诺达标合格证 says about its issuer beyond the organisation's name and phone."""

    organisation = models.OneToOneField(
        "farm.Organisation",
        on_delete=models.CASCADE,
        related_name="producer_details",
        verbose_name=_("organisation"),
    )
    address = models.CharField(_("address"), max_length=255)

    class Meta:
        verbose_name = _("producer details")
        verbose_name_plural = _("producer details")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.address}"


class PrintJob(models.Model):
    """One print of a lot's labels or certificate: who, when, how many, on which stock.

    Kept for the life of the lot (the 合格证 rules ask issuers to keep an issuing
    record); a reprint points at the job it repeats.
    """

    class Kind(models.TextChoices):
        LABELS = "labels", _("QR labels")
        CERTIFICATE = "certificate", _("compliance certificate")

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="print_jobs")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    template = models.CharField(_("label size"), max_length=32)
    copies = models.PositiveIntegerField(_("copies"))
    code = models.CharField(_("code printed"), max_length=512)
    reprint_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reprints",
        verbose_name=_("reprint of"),
    )
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("printed by"),
    )
    printed_at = models.DateTimeField(_("printed at"), auto_now_add=True)

    class Meta:
        ordering = ["-printed_at", "-pk"]
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")

    def __str__(self) -> str:
        return f"{self.lot} {self.kind} ×{self.copies} ({self.template})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("print jobs are an audit record; they are never changed")
        super().save(*args, **kwargs)
