"""The probe faults nodes report instead of a value, and what they are called for people.

The codes are the codecs' (``Reading.fault``): the native codec's status words and the vendor
decoders' flags. They are stored as codes; pages and messages name them with ``fault_label``.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

FAULT_LABELS = {
    "fault": gettext_noop("probe fault"),
    "no_response": gettext_noop("probe not responding"),
    "crc_error": gettext_noop("checksum error from the probe"),
    "out_of_range": gettext_noop("reading out of the probe's range"),
    "not_calibrated": gettext_noop("probe not calibrated"),
    "warming_up": gettext_noop("probe warming up"),
    "no_sensor": gettext_noop("no probe connected"),
    "invalid_reading": gettext_noop("invalid reading"),
}


def fault_label(code: str) -> str:
    """The fault in the active language; an unknown code is shown as it came."""
    label = FAULT_LABELS.get(code)
    return gettext(label) if label else code
