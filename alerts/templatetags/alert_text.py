"""Alert records as people read them: rule summaries and their basis, roles, channels,
delivery kinds and history reasons in the reader's language (the records keep codes)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts import delivery_text, event_text
from alerts import rule_text as texts
from alerts.forms import CHANNEL_LABELS
from farm.models import Role

register = template.Library()

DELIVERY_KINDS = {
    "stand_in": _("For someone unreachable"),
    "test": _("Test"),
    "verify": _("Verification code"),
    "firing": _("Alert"),
    "resolved": _("All clear"),
    "escalation": _("Escalation"),
    "reminder": _("Reminder"),
}


@register.simple_tag
def rule_text(rule) -> texts.RuleText:
    """``{% rule_text rule as text %}``: ``text.summary`` for everyone, ``text.basis``."""
    return texts.rule_text(rule)


@register.simple_tag
def basis_legend() -> str:
    return gettext(texts.BASIS_LEGEND)


@register.filter
def template_label(key: str) -> str:
    return texts.template_label(key)


def _label(choices: dict, code: str) -> str:
    label = choices.get(code)
    return str(label) if label is not None else code


@register.filter
def role_labels(codes: Iterable[str] | None) -> str:
    """``["operator", "manager"]`` → "操作员、经理" (a list of role codes, as stored)."""
    return gettext(", ").join(_label(dict(Role.choices), c) for c in codes or [])


@register.filter
def channel_labels(codes: Iterable[str] | None) -> str:
    return gettext(", ").join(_label(CHANNEL_LABELS, c) for c in codes or [])


@register.filter
def channel_label(code: str) -> str:
    return _label(CHANNEL_LABELS, code)


@register.filter
def delivery_kind(code: str) -> str:
    return _label(DELIVERY_KINDS, code)


@register.filter
def event_reason(reason: str) -> str:
    return event_text.event_reason(reason)


@register.filter
def delivery_detail(detail: str) -> delivery_text.DetailText:
    """``{% with t=d.detail|delivery_detail %}``: ``t.note`` translated, ``t.raw`` verbatim."""
    return delivery_text.detail_text(detail or "")
