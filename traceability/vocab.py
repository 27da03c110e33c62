"""EPCIS 2.0 / CBV 2.0 vocabulary used by the lot records, and the project's own terms.

CBV 2.0 has no harvesting step: harvest and catch are ``commissioning`` (the
lot comes into existence). Applying an input to a plot or pond has no CBV
step either, so those events use the project's own bizStep URIs below
(EPCIS 2.0 allows any URI as a bizStep). They live under ``urn:agrimon:``
so they can never be mistaken for GS1 terms.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from traceability.epcis_document import EPCIS_CONTEXT

CBV = "https://ref.gs1.org/cbv/"

# Standard CBV 2.0 business steps (bare words are the JSON-LD short form).
COMMISSIONING = "commissioning"  # harvest / catch
INSPECTING = "inspecting"
PACKING = "packing"
SHIPPING = "shipping"
RECEIVING = "receiving"
SELLING = "retail_selling"  # point of sale to a consumer; not used for a cooperative's sales

# Dispositions.
ACTIVE = "active"
IN_PROGRESS = "in_progress"
CONFORMANT = "conformant"
NON_CONFORMANT = "non_conformant"
IN_TRANSIT = "in_transit"
SELLABLE_ACCESSIBLE = "sellable_accessible"

# The project's own business steps.
OWN = "urn:agrimon:bizstep:"
# Prefix of the project's extension fields (``agrimon:input`` ...), declared in every
# exported document's @context; event hashes are computed with the same context, so a
# partner recomputing an eventID from our export gets the same value.
OWN_NAMESPACE = "urn:agrimon:ns:"
DOCUMENT_CONTEXT = [EPCIS_CONTEXT, {"agrimon": OWN_NAMESPACE}]
APPLY_FERTILISER = OWN + "fertiliser_application"
APPLY_PESTICIDE = OWN + "pesticide_application"
FEEDING = OWN + "feeding"
VET_TREATMENT = OWN + "veterinary_treatment"
RELEASE = OWN + "release"  # passed the compliance gate
GATE_OVERRIDE = OWN + "gate_override"  # released by a manager despite a block, with reason
# CBV's only selling step, ``retail_selling``, is the consumer point of sale; a
# cooperative selling to a wholesaler or a supermarket is a different business step.
SALE = OWN + "sale"
# A producer takes a lot back from the market; the lot keeps CBV's ``recalled`` disposition.
RECALL = OWN + "recall"
RECALLED = "recalled"

# CBV 2.0 source/destination type and business transaction type (bare words).
OWNING_PARTY = "owning_party"
INVOICE = "inv"

INPUT_STEPS = {
    "fertiliser": APPLY_FERTILISER,
    "pesticide": APPLY_PESTICIDE,
    "feed": FEEDING,
    "vet_drug": VET_TREATMENT,
}


_URI = re.compile(r"^[a-z][a-z0-9+.-]*:[\x21-\x7e]+$", re.IGNORECASE)


def site_uri(site_id: int) -> str:
    return f"urn:agrimon:site:{site_id}"


def org_uri(org_id: int) -> str:
    return f"urn:agrimon:org:{org_id}"


def party_uri(party: str) -> str:
    """A trading partner as a URI: kept when it already is one (a GLN URI, a partner's own
    URN), otherwise the name percent-encoded under ``urn:agrimon:party:`` so it passes the
    schema's URI format check and stays readable once decoded."""
    party = party.strip()
    if _URI.match(party):
        return party
    return "urn:agrimon:party:" + quote(party, safe="")


def case_uri(trace_code: str, serial: int) -> str:
    """A case packed from a lot.

    An SSCC (``/00/…`` or ``urn:epc:id:sscc:…``) needs a GS1 Company Prefix, which
    most cooperatives do not hold, and an EPC URN may only be minted under one. So
    cases get the project's own URN, like lots without a GTIN: the lot's trace code
    plus a serial, unique because trace codes are.
    """
    return f"urn:agrimon:case:{trace_code}.{serial}"


def invoice_uri(org_id: int, reference: str) -> str:
    """The seller's invoice number, scoped by organisation so two sellers' numbers differ."""
    return f"urn:agrimon:invoice:{org_id}:{quote(reference.strip(), safe='')}"
