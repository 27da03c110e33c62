"""Forms for lot records, built for a phone: few fields, sensible defaults."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from farm.models import Organisation, Site
from traceability.lots import MAX_CASES
from traceability.models import (
    InputRecord,
    Inspection,
    Lot,
    lot_number_not_dots,
    lot_number_validator,
)


class DateInput(forms.DateInput):
    input_type = "date"


class LotForm(forms.ModelForm):
    origin = forms.ModelChoiceField(queryset=Site.objects.none(), label=_("origin plot or pond"))

    class Meta:
        model = Lot
        fields = [
            "origin",
            "product_name",
            "product_name_en",
            "gtin",
            "lot_number",
            "quantity",
            "unit",
            "growing_started",
            "requires_inspection",
        ]
        widgets = {"growing_started": DateInput()}
        help_texts = {
            "lot_number": _(
                "Letters, digits, dot, dash and underscore are safest: GB/T 33993 forbids "
                "% & / < > ? in a lot number, although GS1 codes can carry them."
            )
        }

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["origin"].queryset = sites if sites is not None else Site.objects.none()

    def clean_gtin(self) -> str:
        from traceability.digital_link import is_valid_gtin

        gtin = self.cleaned_data.get("gtin", "").strip()
        if gtin and not is_valid_gtin(gtin):
            raise forms.ValidationError(_("GTIN check digit is wrong."))
        return gtin.zfill(14) if gtin else ""


class InputForm(forms.ModelForm):
    class Meta:
        model = InputRecord
        fields = [
            "kind",
            "product",
            "active_ingredient",
            "registration_no",
            "dose",
            "dose_unit",
            "applied_on",
            "phi_days",
            "withdrawal_days",
            "withdrawal_degree_days",
            "disease",
            "notes",
        ]
        widgets = {"applied_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applied_on"].initial = date.today

    def clean_applied_on(self) -> date:
        day = self.cleaned_data["applied_on"]
        if day > date.today():
            raise forms.ValidationError(_("An application cannot be in the future."))
        return day


class HarvestForm(forms.Form):
    harvest_date = forms.DateField(label=_("harvest date"), widget=DateInput())
    quantity = forms.DecimalField(label=_("quantity"), min_value=0, required=False)


class InspectionForm(forms.ModelForm):
    items_text = forms.CharField(label=_("items tested (comma separated)"), required=False)

    class Meta:
        model = Inspection
        fields = ["kind", "tested_on", "lab", "result", "report_ref"]
        widgets = {"tested_on": DateInput()}

    def items(self) -> list[str]:
        raw = self.cleaned_data.get("items_text", "")
        return [i.strip() for i in raw.replace("，", ",").split(",") if i.strip()]


class ReleaseForm(forms.Form):
    override_reason = forms.CharField(
        label=_("override reason (managers only)"), required=False, max_length=255
    )


class ShipForm(forms.Form):
    destination = forms.CharField(label=_("destination"), max_length=128)


class LabelForm(forms.Form):
    template = forms.ChoiceField(
        label=_("label size"),
        choices=[
            ("a4-3x8", _("A4 sheet, 3 × 8 labels of 70 × 37 mm")),
            ("thermal-40x30", _("Thermal roll, 40 × 30 mm")),
            ("thermal-50x30", _("Thermal roll, 50 × 30 mm")),
            ("thermal-60x40", _("Thermal roll, 60 × 40 mm")),
        ],
    )
    count = forms.IntegerField(
        label=_("number of labels"), min_value=1, max_value=5000, initial=100
    )
    reprint_of = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class ReceiveForm(forms.Form):
    from_party = forms.CharField(label=_("received from"), max_length=128)


class PackForm(forms.Form):
    case_count = forms.IntegerField(label=_("number of cases"), min_value=1, max_value=MAX_CASES)
    per_case = forms.DecimalField(
        label=_("quantity per case"), min_value=Decimal("0.001"), max_digits=10, decimal_places=3
    )


class ProcessForm(forms.Form):
    """The new lot made by processing: what it is, how much of the source it used."""

    product_name = forms.CharField(label=_("new product"), max_length=64)
    product_name_en = forms.CharField(
        label=_("new product (English)"), max_length=64, required=False
    )
    lot_number = forms.CharField(
        label=_("new lot number"),
        max_length=20,
        validators=[lot_number_validator, lot_number_not_dots],
    )
    gtin = forms.CharField(label=_("GTIN"), max_length=14, required=False)
    quantity = forms.DecimalField(
        label=_("quantity produced"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    unit = forms.CharField(label=_("unit"), max_length=16, initial="kg")
    consumed_quantity = forms.DecimalField(
        label=_("quantity of this lot used"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )

    def clean_gtin(self) -> str:
        from traceability.digital_link import is_valid_gtin

        gtin = self.cleaned_data.get("gtin", "").strip()
        if gtin and not is_valid_gtin(gtin):
            raise forms.ValidationError(_("GTIN check digit is wrong."))
        return gtin.zfill(14) if gtin else ""


class SellForm(forms.Form):
    buyer = forms.CharField(label=_("buyer"), max_length=128)
    invoice_ref = forms.CharField(label=_("invoice number"), max_length=64)
    quantity = forms.DecimalField(
        label=_("quantity sold (blank: the whole lot)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    override_reason = forms.CharField(
        label=_("override reason (managers only)"), required=False, max_length=255
    )


class ImportForm(forms.Form):
    """A partner's EPCIS 2.0 file (JSON-LD or XML), for an organisation the user manages."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("organisation")
    )
    document = forms.FileField(label=_("EPCIS 2.0 JSON or XML file"))

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations
        self.fields["document"].widget.attrs["accept"] = (
            ".json,.jsonld,.xml,application/json,application/xml,text/xml"
        )

    def clean_document(self):
        from traceability.imports import UploadRejected, check_upload

        upload = self.cleaned_data["document"]
        try:
            check_upload(upload.name, upload.content_type or "", upload.size)
        except UploadRejected as exc:
            raise forms.ValidationError(exc.text) from None
        return upload
