"""What people call the detector classes: names the detectors, the trap reviews, the alert
rules and the regional reports share.

Models name their classes in English identifiers (``aphid``, ``white_spot``); records keep
them, pages and messages show these names. A class a model brings that is not listed here
is shown as the model names it.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

CLASS_LABELS = {
    # insects on field cameras and trap cards
    "aphid": pgettext_lazy("detector class", "aphid"),
    "beetle": pgettext_lazy("detector class", "beetle"),
    "moth": pgettext_lazy("detector class", "moth"),
    "brown_planthopper": pgettext_lazy("detector class", "brown planthopper"),
    "brown_planthopper_per_100_hills": pgettext_lazy(
        "detector class", "brown planthoppers per 100 hills"
    ),
    # fish on pond cameras
    "fish": pgettext_lazy("detector class", "fish"),
    "white_spot": pgettext_lazy("detector class", "white spot disease"),
    "red_ulcer": pgettext_lazy("detector class", "red skin ulcer"),
    "gasping": pgettext_lazy("detector class", "fish gasping at the surface"),
    "crowding": pgettext_lazy("detector class", "fish crowding at the surface"),
}

# Fish-disease classes: offered only by a model trained on real lesion photos, of which none
# public with boxes exists yet; the camera wall says so on fish cameras.
LESION_CLASSES = frozenset({"white_spot", "red_ulcer", "fin_rot", "saprolegnia"})


def class_label(name: str) -> str:
    """``"white_spot"`` → "白点病" in zh-Hans; an unlisted class as the model names it."""
    label = CLASS_LABELS.get(name)
    return str(label) if label is not None else name
