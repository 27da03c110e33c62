"""EPCIS 2.0 / CBV 2.0 vocabulary used by the lot records, and the project's own terms.

CBV 2.0 has no harvesting step: harvest and catch are ``commissioning`` (the
lot comes into existence). Applying an input to a plot or pond has no CBV
step either, so those events use the project's own bizStep URIs below
(EPCIS 2.0 allows any URI as a bizStep). They live under ``urn:agrimon:``
so they can never be mistaken for GS1 terms.
"""

from __future__ import annotations

CBV = "https://ref.gs1.org/cbv/"

# Standard CBV 2.0 business steps (bare words are the JSON-LD short form).
COMMISSIONING = "commissioning"  # harvest / catch
INSPECTING = "inspecting"
PACKING = "packing"
SHIPPING = "shipping"
RECEIVING = "receiving"
SELLING = "retail_selling"

# Dispositions.
ACTIVE = "active"
IN_PROGRESS = "in_progress"
CONFORMANT = "conformant"
NON_CONFORMANT = "non_conformant"
IN_TRANSIT = "in_transit"
SELLABLE_ACCESSIBLE = "sellable_accessible"

# The project's own business steps.
OWN = "urn:agrimon:bizstep:"
APPLY_FERTILISER = OWN + "fertiliser_application"
APPLY_PESTICIDE = OWN + "pesticide_application"
FEEDING = OWN + "feeding"
VET_TREATMENT = OWN + "veterinary_treatment"
RELEASE = OWN + "release"  # passed the compliance gate
GATE_OVERRIDE = OWN + "gate_override"  # released by a manager despite a block, with reason

INPUT_STEPS = {
    "fertiliser": APPLY_FERTILISER,
    "pesticide": APPLY_PESTICIDE,
    "feed": FEEDING,
    "vet_drug": VET_TREATMENT,
}


def site_uri(site_id: int) -> str:
    return f"urn:agrimon:site:{site_id}"


def org_uri(org_id: int) -> str:
    return f"urn:agrimon:org:{org_id}"
