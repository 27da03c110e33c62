"""A delivery's detail as people read it: our own reasons in the reader's language, the
vendor's reply kept verbatim (it is what the vendor said, and what support will ask for).

Delivery rows store plain English reasons (for logs and tests); this maps the ones we
write to translated text and leaves the rest — the provider's answer — as raw detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from alerts import channels

_FIXED = {
    "channel not configured": lambda: _("Channel not configured on this server."),
    "unreachable: no channel set up": lambda: _("Unreachable: no channel set up."),
    "unreachable: unverified mobile number": lambda: _("Unreachable: mobile number not verified."),
    "manager unreachable too": lambda: _("Their manager cannot be reached either."),
    "no manager to tell": lambda: _("No manager to tell instead."),
    "the policy's channels do not reach this person": lambda: _(
        "The policy's channels do not reach this person; sent where they can be reached."
    ),
    "shown in the alert inbox": lambda: _("Shown in the alert inbox."),
    "incident resolved": lambda: _("Not sent: the incident was resolved."),
    "incident acknowledged, snoozed or silenced": lambda: _(
        "Not sent: the incident was acknowledged, snoozed or silenced."
    ),
    "incident silenced": lambda: _("Not sent: the incident is silenced."),
}
_FOR = re.compile(r"^for (?P<name>.+?): (?P<why>.+)$")
_AFTER = re.compile(r"^after (?P<channel>\w+) failed: (?P<raw>.*)$", re.S)
_GAVE_UP = re.compile(
    r"^gave up after (?P<n>\d+) attempts, next channel queued: (?P<raw>.*)$", re.S
)
_GROUPED = re.compile(r"^grouped into delivery (?P<pk>\d+)$")
_NEXT = " (next channel queued)"


@dataclass(frozen=True)
class DetailText:
    note: str  # ours, translated ("" when there is none)
    raw: str  # the vendor's reply, verbatim ("" when there is none)


def detail_text(detail: str) -> DetailText:
    detail = detail.strip()
    if detail in _FIXED:
        return DetailText(_FIXED[detail](), "")
    if m := _FOR.match(detail):
        why = detail_text(f"unreachable: {m['why']}").note or m["why"]
        return DetailText(_("For %(name)s. %(why)s") % {"name": m["name"], "why": why}, "")
    if m := _AFTER.match(detail):
        note = _("Sent because %(channel)s failed.") % {"channel": channels.label(m["channel"])}
        return DetailText(note, m["raw"])
    if m := _GAVE_UP.match(detail):
        note = _("Gave up after %(n)s attempts; the next channel was used.") % {"n": m["n"]}
        return DetailText(note, m["raw"])
    if m := _GROUPED.match(detail):
        return DetailText(_("Sent together with another alert."), "")
    if detail.endswith(_NEXT):
        return DetailText(_("The next channel was used."), detail[: -len(_NEXT)])
    return DetailText("", detail)
