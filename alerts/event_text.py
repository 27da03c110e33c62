"""The reason on an incident's history line, in the reader's language.

The engine and the clock store short machine texts — "pending → firing", "reminder 2",
"step 1: 30 min unacknowledged", a probe's fault code, "until <UTC ISO time>: <reason>" —
so the record stays the same whoever reads it; times are shown in the site's time zone,
and people's own reasons (a snooze, a silence) are kept as typed.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from alerts.models import AlertState
from farm.units import duration_text
from sensors.faults import FAULT_LABELS, fault_label

_TRANSITION = re.compile(r"(\w+) → (\w+)")
_REMINDER = re.compile(r"reminder (\d+)")
_ESCALATION = re.compile(r"step (\d+): (\d+) min unacknowledged")
_UNTIL = re.compile(r"until (\S+): (.*)", re.S)
_STATES = dict(AlertState.State.choices)


def event_reason(reason: str) -> str:
    if m := _TRANSITION.fullmatch(reason):
        old, new = m.groups()
        if old in _STATES and new in _STATES:
            return f"{_STATES[old]} → {_STATES[new]}"
    if m := _REMINDER.fullmatch(reason):
        n = int(m.group(1))
        return ngettext("reminder %(n)d", "reminder %(n)d", n) % {"n": n}
    if m := _ESCALATION.fullmatch(reason):
        step, minutes = int(m.group(1)), int(m.group(2))
        return gettext("step %(step)d: not acknowledged for %(duration)s") % {
            "step": step,
            "duration": duration_text(minutes * 60),
        }
    if m := _UNTIL.fullmatch(reason):
        try:
            until = datetime.fromisoformat(m.group(1))
        except ValueError:
            return reason
        if timezone.is_naive(until):
            return reason
        when = date_format(timezone.localtime(until), "m-d H:i")
        return gettext("until %(time)s: %(reason)s") % {"time": when, "reason": m.group(2)}
    if reason in FAULT_LABELS:
        return fault_label(reason)
    return reason
