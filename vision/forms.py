"""The trap review form: a verdict per detected box and a count of new insects per species."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vision.models import TrapPhoto
from vision.services.traps import TrapReview
from vocabulary.detector_classes import class_label

NOT_A_PEST = "-"


class TrapReviewForm(forms.Form):
    def __init__(self, photo: TrapPhoto, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.photo = photo
        classes = list(photo.model.class_names) if photo.model else []
        self.classes = classes
        choices = [(c, class_label(c)) for c in classes] + [
            (NOT_A_PEST, _("not a pest / no insect"))
        ]
        labels = photo.labels if photo.status == TrapPhoto.Status.REVIEWED else None
        kept = {tuple(lab["box"]): lab["class_name"] for lab in labels or []}
        for i, box in enumerate(photo.boxes):
            initial = box["class_name"]
            if labels is not None:
                initial = kept.get(tuple(box["box"]), NOT_A_PEST)
            self.fields[f"box_{i}"] = forms.ChoiceField(
                label=_("Box %(n)d") % {"n": i + 1}, choices=choices, initial=initial
            )
        counts = {c.species: c.count for c in photo.counts.all()}
        for species in classes:
            self.fields[f"count_{species}"] = forms.IntegerField(
                label=class_label(species),
                min_value=0,
                max_value=100_000,
                initial=counts.get(species, 0),
            )

    def box_fields(self):
        return [(box, self[f"box_{i}"]) for i, box in enumerate(self.photo.boxes)]

    def count_fields(self):
        return [self[f"count_{species}"] for species in self.classes]

    def review(self) -> TrapReview:
        data = self.cleaned_data
        return TrapReview(
            box_classes=[
                None if data[f"box_{i}"] == NOT_A_PEST else data[f"box_{i}"]
                for i in range(len(self.photo.boxes))
            ],
            new_counts={species: data[f"count_{species}"] for species in self.classes},
        )


class DetectionFilterForm(forms.Form):
    """Filters of the detection timeline; the choices are limited to what the user may read."""

    site = forms.ModelChoiceField(queryset=None, required=False, label=_("Site"))
    camera = forms.ModelChoiceField(queryset=None, required=False, label=_("Camera"))
    class_name = forms.CharField(max_length=64, required=False, label=_("Class"))
    since = forms.DateField(required=False, label=_("From"))
    until = forms.DateField(required=False, label=pgettext_lazy("date range", "To"))

    def __init__(self, cameras, sites, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["camera"].queryset = cameras
        self.fields["site"].queryset = sites

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filter(self, detections):
        data = self.cleaned_data
        if data.get("site"):
            detections = detections.filter(camera__site=data["site"])
        if data.get("camera"):
            detections = detections.filter(camera=data["camera"])
        if data.get("class_name"):
            detections = detections.filter(class_name=data["class_name"])
        if data.get("since"):
            detections = detections.filter(time__date__gte=data["since"])
        if data.get("until"):
            detections = detections.filter(time__date__lte=data["until"])
        return detections
